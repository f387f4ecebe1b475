// The API-key timing oracle, closed by construction rather than measured: every check of a presented key
// goes through crypto.timingSafeEqual over equal-length SHA-256 digests, against every stored hash, and a
// key for an unknown client (or no key at all) takes the same path against a dummy hash. The real
// timingSafeEqual is wrapped to record each call; nothing is timed.
import * as realCrypto from 'node:crypto';
import type * as NodeCrypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';

const calls: [number, number][] = [];
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof NodeCrypto>();
  const timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    calls.push([a.byteLength, b.byteLength]);
    return original.timingSafeEqual(a, b);
  };
  return { ...original, default: { ...original, timingSafeEqual }, timingSafeEqual };
});

// The worker's set-up loaded the app's modules before this file's mock: load them again, now over the mock.
vi.resetModules();
const { generateApiKey, hashApiKey, verifyApiKey } = await import('../../shared/auth/api-keys.js');
const { authenticateAdmin, authenticateClient } = await import('../../shared/http/authenticate-client.js');
const { HttpRequest } = await import('../../dev/host/azure-functions.js');

afterEach(() => {
  calls.length = 0;
});

const request = (authorization?: string) => new HttpRequest({ method: 'GET', url: 'http://x/api/connections', headers: authorization ? { authorization } : {} });

/** A store with one client holding `hashes`; any other client id is unknown. */
function storeWith(clientId: string, hashes: string[]) {
  const lookups: string[] = [];
  const entity = { partitionKey: 'client', rowKey: clientId, apiKeyHashes: hashes, disabled: false };
  return {
    lookups,
    services: {
      store: {
        clients: {
          getClient: async (id: string) => {
            lookups.push(id);
            return id === clientId ? { entity, etag: '*' } : null;
          },
        },
      },
    } as never,
  };
}

async function outcome(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ok',
    (e: { status?: number }) => String(e.status),
  );
}

describe('API keys: constant-time comparison by construction', () => {
  it('compares the presented key against every stored hash, each as two 32-byte digests, even after a match', () => {
    const clientId = 'abcdef0123456789abcd';
    const keys = [generateApiKey(clientId), generateApiKey(clientId), generateApiKey(clientId)];
    const hashes = keys.map((k) => k.hash);
    for (const presented of [keys[0]!.key, keys[2]!.key, `${keys[0]!.key.slice(0, -1)}x`, 'short', 'x'.repeat(5000)]) {
      calls.length = 0;
      verifyApiKey(presented, hashes);
      expect(calls, presented.slice(0, 20)).toEqual([
        [32, 32],
        [32, 32],
        [32, 32],
      ]);
    }
    expect(verifyApiKey(keys[1]!.key, hashes)).toBe(true);
    expect(verifyApiKey(`${keys[1]!.key}x`, hashes)).toBe(false);
  });

  it('a key of an unknown client, a malformed key and no key take the same comparison as a wrong key of a known client', async () => {
    const clientId = 'abcdef0123456789abcd';
    const { key, hash } = generateApiKey(clientId);
    const { services, lookups } = storeWith(clientId, [hash]);
    const wrongKnown = `${key.slice(0, -2)}xx`;
    const unknownClient = generateApiKey('ffffffffffffffffffff').key;
    const traces: Record<string, { result: string; calls: [number, number][] }> = {};
    for (const [label, auth] of [
      ['right key', `Bearer ${key}`],
      ['wrong key, known client', `Bearer ${wrongKnown}`],
      ['unknown client', `Bearer ${unknownClient}`],
      ['malformed key', 'Bearer not-a-key'],
      ['no key', undefined],
    ] as const) {
      calls.length = 0;
      const result = await outcome(authenticateClient(request(auth), services));
      traces[label] = { result, calls: [...calls] };
    }
    expect(traces['right key']!.result).toBe('ok');
    for (const label of ['wrong key, known client', 'unknown client', 'malformed key', 'no key']) {
      expect(traces[label]!.result, label).toBe('401');
      // One digest compare of equal lengths, exactly as for a known client with one key.
      expect(traces[label]!.calls, label).toEqual(traces['right key']!.calls);
    }
    expect(traces['right key']!.calls).toEqual([[32, 32]]);
    // The unknown client was looked up like a known one (a point read), so the storage path is the same too.
    expect(lookups).toEqual([clientId, clientId, 'ffffffffffffffffffff']);
    expect(hashApiKey(key)).toBe(hash);
  });

  it('the admin key is compared as equal-length digests, whatever the length of the presented key, and when absent', async () => {
    const adminKey = `cb_admin_${realCrypto.randomBytes(24).toString('base64url')}`;
    const services = { config: { adminKeySecretName: 'admin-api-key', admin: { keyEnabled: true } }, secrets: { get: async () => ({ value: adminKey }) } } as never;
    const results: string[] = [];
    for (const auth of [`Bearer ${adminKey}`, `Bearer ${adminKey}x`, 'Bearer a', `Bearer ${'z'.repeat(500)}`, undefined]) {
      calls.length = 0;
      results.push(await outcome(authenticateAdmin(request(auth), services)));
      expect(calls).toEqual([[32, 32]]);
    }
    expect(results).toEqual(['ok', '401', '401', '401', '401']);
  });
});
