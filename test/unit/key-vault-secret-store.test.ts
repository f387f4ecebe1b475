// KeyVaultSecretStore with the real @azure/keyvault-secrets SecretClient against the HTTPS emulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenCredential } from '@azure/identity';
import { CachingSecretStore } from '../../shared/secrets/caching-secret-store.js';
import { KeyVaultSecretStore } from '../../shared/secrets/key-vault-secret-store.js';
import { SecretNotFoundError } from '../../shared/secrets/secret-store.js';
import { startKeyVaultEmulator, type KeyVaultEmulator } from '../support/keyvault-emulator.js';

// What lowkey-vault's Node example uses: the emulator accepts any bearer token.
const fakeCredential: TokenCredential = {
  getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3600_000 }),
};

let emulator: KeyVaultEmulator;

function store(overrides: { ca?: string | null; probeSecretName?: string } = {}): KeyVaultSecretStore {
  const ca = overrides.ca === undefined ? emulator.ca : overrides.ca;
  return new KeyVaultSecretStore(emulator.url, {
    credential: fakeCredential,
    timeoutMs: 5000,
    probeSecretName: overrides.probeSecretName,
    clientOptions: {
      // Loopback is not *.vault.azure.net, so the SDK's check that the challenge's resource matches
      // the vault's domain must be off.
      disableChallengeResourceVerification: true,
      ...(ca ? { tlsOptions: { ca } } : {}),
      retryOptions: { maxRetries: 0 },
    },
  });
}

beforeAll(async () => {
  emulator = await startKeyVaultEmulator();
});
afterAll(async () => {
  await emulator?.close();
});

describe('KeyVaultSecretStore against the Key Vault emulator', () => {
  it('answers the bearer challenge, then sets and reads the latest version and a given version', async () => {
    const kv = store();
    const v1 = await kv.set('signing-secret', 'first');
    const v2 = await kv.set('signing-secret', 'second');
    expect(v1).toMatch(/^[0-9a-f]{32}$/);
    expect(v2).not.toBe(v1);

    expect(await kv.get('signing-secret')).toEqual({ value: 'second', version: v2 });
    expect(await kv.get('signing-secret', v1)).toEqual({ value: 'first', version: v1 });
    expect(await kv.listVersions('signing-secret')).toEqual([v1, v2]);

    // The first request carried no token (the challenge), then every request did.
    const mine = emulator.requests.filter((r) => r.path.startsWith('/secrets/signing-secret'));
    expect(mine[0]).toMatchObject({ method: 'PUT', authorized: false });
    expect(mine.slice(1).some((r) => r.authorized && r.method === 'PUT')).toBe(true);
    expect(mine.some((r) => r.method === 'GET' && r.path === '/secrets/signing-secret/')).toBe(true); // trailing slash for latest
  });

  it('reports a missing secret or version as SecretNotFoundError', async () => {
    const kv = store();
    await expect(kv.get('no-such-secret')).rejects.toBeInstanceOf(SecretNotFoundError);
    await kv.set('has-versions', 'x');
    await expect(kv.get('has-versions', '0123456789abcdef0123456789abcdef')).rejects.toMatchObject({
      name: 'SecretNotFoundError',
      code: 'secret_not_found',
    });
  });

  it('caches the latest version for the TTL and a given version for good', async () => {
    let now = 1_000_000;
    const cached = new CachingSecretStore(store(), 60, () => now);
    const version = await cached.set('cached-secret', 'value-1');
    const reads = () => emulator.secretReads('cached-secret');
    const before = reads();

    expect((await cached.get('cached-secret')).value).toBe('value-1');
    expect((await cached.get('cached-secret')).value).toBe('value-1');
    expect(reads()).toBe(before + 1);

    // A rotation by someone else is seen once the TTL has passed.
    await store().set('cached-secret', 'value-2');
    expect((await cached.get('cached-secret')).value).toBe('value-1');
    now += 61_000;
    expect((await cached.get('cached-secret')).value).toBe('value-2');
    expect(reads()).toBe(before + 2);

    // A specific version is immutable: version 1 was remembered when it was the latest, and stays cached.
    now += 10_000_000;
    expect((await cached.get('cached-secret', version)).value).toBe('value-1');
    expect(reads()).toBe(before + 2);
    cached.clear();
    expect((await cached.get('cached-secret', version)).value).toBe('value-1');
    expect((await cached.get('cached-secret', version)).value).toBe('value-1');
    expect(reads()).toBe(before + 3);
  });

  it('probe() reads the probe secret, and fails when it is missing', async () => {
    await store().set('probe-key', 'k');
    await expect(store({ probeSecretName: 'probe-key' }).probe()).resolves.toBeUndefined();
    await expect(store({ probeSecretName: 'absent-key' }).probe()).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(store().probe()).resolves.toBeUndefined();
  });

  it('does not trust the self-signed certificate unless told to (production TLS is untouched)', async () => {
    const error = await store({ ca: null }).get('signing-secret').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toMatch(/self[- ]signed|certificate/i);
  });
});
