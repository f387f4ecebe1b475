// Envelope encryption: round trip, tamper detection and key rotation, on the real local secret store; and a
// value stored in the cb1 format, written by code independent of EnvelopeCipher, that must stay readable.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DecryptionError, EnvelopeCipher, envelopeKeyRef } from '../../shared/secrets/envelope.js';
import { IN_MEMORY, LocalSecretStore } from '../../shared/secrets/local-secret-store.js';
import { generateTokenKey } from '../../shared/secrets/well-known-secrets.js';

const KEY = 'token-encryption-key';
const AAD = 'connections|client-1|conn-1';

async function setup() {
  const secrets = new LocalSecretStore(IN_MEMORY);
  const v1 = await secrets.set(KEY, generateTokenKey());
  return { secrets, v1, cipher: new EnvelopeCipher(secrets, KEY) };
}

/** Flips one bit of the n-th dot-separated part. */
function flip(envelope: string, part: number, byte = 0): string {
  const parts = envelope.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[byte] = bytes[byte]! ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

async function failure(promise: Promise<unknown>): Promise<DecryptionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DecryptionError);
  return error as DecryptionError;
}

describe('EnvelopeCipher', () => {
  it('round-trips text and bytes, naming the key and version beside the ciphertext', async () => {
    const { cipher, v1 } = await setup();
    const text = '{"AccessToken":{},"RefreshToken":{"rt":"secret-value ✓"}}';
    const sealed = await cipher.encrypt(text, AAD);
    expect(sealed.startsWith(`cb1.${KEY}.${v1}.`)).toBe(true);
    expect(sealed).not.toContain('secret-value');
    expect(envelopeKeyRef(sealed)).toEqual({ keyName: KEY, keyVersion: v1 });
    expect(await cipher.decryptString(sealed, AAD)).toBe(text);

    const bytes = new Uint8Array([0, 1, 2, 255]);
    expect([...(await cipher.decrypt(await cipher.encrypt(bytes, AAD), AAD))]).toEqual([0, 1, 2, 255]);
  });

  it('uses a fresh nonce and data key every time', async () => {
    const { cipher } = await setup();
    const a = (await cipher.encrypt('same', AAD)).split('.');
    const b = (await cipher.encrypt('same', AAD)).split('.');
    expect(a[3]).not.toBe(b[3]); // wrapped data key
    expect(a[4]).not.toBe(b[4]); // nonce
    expect(a[5]).not.toBe(b[5]); // ciphertext
  });

  it('detects tampering with the ciphertext, the tag, the nonce, the wrapped key or the associated data', async () => {
    const { cipher } = await setup();
    const sealed = await cipher.encrypt('refresh token cache', AAD);
    const tagByte = Buffer.from(sealed.split('.')[5]!, 'base64url').length - 1;
    for (const tampered of [flip(sealed, 5, 0), flip(sealed, 5, tagByte), flip(sealed, 4), flip(sealed, 3, 20)]) {
      expect((await failure(cipher.decrypt(tampered, AAD))).code).toBe('tampered');
    }
    // Moved to another row: the associated data no longer matches.
    expect((await failure(cipher.decrypt(sealed, 'connections|client-1|conn-2'))).code).toBe('tampered');
  });

  it('detects an edited key version, an unknown version, a foreign key name and a malformed value', async () => {
    const { cipher, secrets } = await setup();
    const sealed = await cipher.encrypt('data', AAD);
    const v2 = await secrets.set(KEY, generateTokenKey());
    const parts = sealed.split('.');
    expect((await failure(cipher.decrypt([parts[0], parts[1], v2, ...parts.slice(3)].join('.'), AAD))).code).toBe('tampered');
    expect((await failure(cipher.decrypt([parts[0], parts[1], 'f'.repeat(32), ...parts.slice(3)].join('.'), AAD))).code).toBe('unknown_key');
    await secrets.set('admin-api-key', generateTokenKey());
    expect((await failure(cipher.decrypt([parts[0], 'admin-api-key', ...parts.slice(2)].join('.'), AAD))).code).toBe('unknown_key');
    expect((await failure(cipher.decrypt('not-an-envelope', AAD))).code).toBe('malformed');
    expect((await failure(cipher.decrypt(sealed.split('.').slice(0, 5).join('.'), AAD))).code).toBe('malformed');
  });

  it('keeps data written under an older key version readable after a rotation, and encrypts new data with the new version', async () => {
    const { cipher, secrets, v1 } = await setup();
    const old = await cipher.encrypt('written before rotation', AAD);
    const v2 = await secrets.set(KEY, generateTokenKey());
    const fresh = await cipher.encrypt('written after rotation', AAD);
    expect(envelopeKeyRef(old).keyVersion).toBe(v1);
    expect(envelopeKeyRef(fresh).keyVersion).toBe(v2);
    expect(await cipher.decryptString(old, AAD)).toBe('written before rotation');
    expect(await cipher.decryptString(fresh, AAD)).toBe('written after rotation');
  });

  it('refuses a key-encryption key that is not 32 bytes, without revealing it', async () => {
    const secrets = new LocalSecretStore(IN_MEMORY);
    await secrets.set(KEY, Buffer.from('too-short-key').toString('base64'));
    const error = await new EnvelopeCipher(secrets, KEY).encrypt('x', AAD).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/32 bytes/);
    expect((error as Error).message).not.toContain('dG9vLXNob3J0LWtleQ');
  });
});

describe('the stored cb1 format (known answer)', () => {
  // Sealed outside EnvelopeCipher with node:crypto alone, following the format: key-encryption key 00 01 .. 1f,
  // data key 32 x 0x42, nonces 00112233445566778899aabb (wrap) and ccddeeff0011223344556677 (data).
  const KEY_VERSION = '0123456789abcdef0123456789abcdef';
  const KEK = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
  const STORED =
    'cb1.token-encryption-key.0123456789abcdef0123456789abcdef' +
    '.ABEiM0RVZneImaq7mMSy8Q0lCVwqIoJeOM7Af3tA8RdQKDn1yM1UstPyXPkTrW2wIhOdXglRkWkvETuf' +
    '.zN3u_wARIjNEVWZ3' +
    '.0N8EwnSbxFXDs4lVw_jHoAfmgU0cklB1h0xB7bFkTBe7PNOj_b7l32bOcylRLQRHBuAEVDlMb1o1aD0KXl5tP1s';

  it('decrypts a fixed stored value with the key version it names, and only under its own associated data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-envelope-'));
    try {
      const path = join(dir, 'secrets.json');
      writeFileSync(path, JSON.stringify({ secrets: { [KEY]: [{ version: KEY_VERSION, value: KEK, createdOn: '2026-01-01T00:00:00.000Z' }] } }));
      const secrets = new LocalSecretStore(path);
      const cipher = new EnvelopeCipher(secrets, KEY);
      expect(envelopeKeyRef(STORED)).toEqual({ keyName: KEY, keyVersion: KEY_VERSION });
      expect(await cipher.decryptString(STORED, AAD)).toBe('{"RefreshToken":{"rt":"stored before this test"}}');
      expect((await failure(cipher.decrypt(STORED, 'connections|client-1|conn-2'))).code).toBe('tampered');
      // After a rotation the stored value still reads with the version it names.
      await secrets.set(KEY, generateTokenKey());
      expect(await cipher.decryptString(STORED, AAD)).toBe('{"RefreshToken":{"rt":"stored before this test"}}');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
