// Envelope encryption for data kept in Table Storage (token caches, PKCE verifiers): AES-256-GCM under a fresh
// 256-bit data key per value, the data key wrapped (AES-256-GCM) by the key-encryption key (KEK) from the secret
// store. The KEK's name and version travel with the ciphertext, so a rotation (a new version of the secret)
// leaves older values readable, and new values use the latest version.
//
// Format (one string, dot-separated, base64url parts):
//   cb1.<keyName>.<keyVersion>.<wrapped: nonce|key|tag>.<nonce>.<ciphertext|tag>
// The header `cb1.<keyName>.<keyVersion>` is bound into both encryptions as associated data, and the caller's
// associated data (e.g. the row identity) into the data encryption, so a value moved to another row, or an
// edited header, fails to decrypt.
// @see https://learn.microsoft.com/azure/security/fundamentals/encryption-atrest#envelope-encryption-with-a-key-hierarchy
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretStore } from './secret-store.js';
import { isSecretNotFound } from './secret-store.js';

const FORMAT = 'cb1';
const NONCE_BYTES = 12; // 96-bit nonce, as GCM recommends
const KEY_BYTES = 32;
const TAG_BYTES = 16;

export type DecryptionFailure = 'malformed' | 'unknown_key' | 'tampered';

/** A value that cannot be decrypted. The message never includes the value or a key. */
export class DecryptionError extends Error {
  override name = 'DecryptionError';
  constructor(
    readonly code: DecryptionFailure,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

export interface EnvelopeKeyRef {
  keyName: string;
  keyVersion: string;
}

function seal(key: Buffer, plaintext: Buffer, aad: Buffer): { nonce: Buffer; sealed: Buffer } {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { nonce, sealed };
}

function open(key: Buffer, nonce: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (nonce.length !== NONCE_BYTES || sealed.length < TAG_BYTES) throw new DecryptionError('malformed', 'encrypted value is malformed');
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch (cause) {
    throw new DecryptionError('tampered', 'encrypted value failed authentication (tampered, or bound to other data)', { cause });
  }
}

function parseKek(value: string): Buffer {
  const key = Buffer.from(value, 'base64');
  if (key.length !== KEY_BYTES) throw new Error('the token-encryption key must be 32 bytes, base64-encoded');
  return key;
}

const b64 = (bytes: Buffer) => bytes.toString('base64url');
const fromB64 = (text: string) => Buffer.from(text, 'base64url');

/** The key a value was encrypted with, without decrypting it (e.g. to find values still on an old key). */
export function envelopeKeyRef(envelope: string): EnvelopeKeyRef {
  const parts = envelope.split('.');
  if (parts.length !== 6 || parts[0] !== FORMAT) throw new DecryptionError('malformed', 'not an encrypted value of a known format');
  return { keyName: parts[1]!, keyVersion: parts[2]! };
}

export class EnvelopeCipher {
  constructor(
    private readonly secrets: SecretStore,
    /** The secret holding the KEK (config.tokenKeyName). */
    readonly keyName: string,
  ) {}

  /** Encrypts under the latest KEK version. `associatedData` must be given again, identical, to decrypt. */
  async encrypt(plaintext: string | Uint8Array, associatedData: string): Promise<string> {
    const kek = await this.secrets.get(this.keyName);
    const header = `${FORMAT}.${this.keyName}.${kek.version}`;
    const dataKey = randomBytes(KEY_BYTES);
    try {
      const wrapped = seal(parseKek(kek.value), dataKey, Buffer.from(header));
      const data = seal(dataKey, Buffer.from(plaintext), Buffer.from(`${header}|${associatedData}`));
      return [header, b64(Buffer.concat([wrapped.nonce, wrapped.sealed])), b64(data.nonce), b64(data.sealed)].join('.');
    } finally {
      dataKey.fill(0);
    }
  }

  async decrypt(envelope: string, associatedData: string): Promise<Buffer> {
    const { keyName, keyVersion } = envelopeKeyRef(envelope);
    // Only our own key: a stored value must not be able to make us use some other secret as a key.
    if (keyName !== this.keyName) throw new DecryptionError('unknown_key', 'encrypted value names an unexpected key');
    const [, , , wrappedPart, noncePart, sealedPart] = envelope.split('.') as [string, string, string, string, string, string];
    let kekValue: string;
    try {
      kekValue = (await this.secrets.get(keyName, keyVersion)).value;
    } catch (error) {
      if (isSecretNotFound(error)) throw new DecryptionError('unknown_key', 'encrypted value names a key version that does not exist', { cause: error });
      throw error;
    }
    const header = `${FORMAT}.${keyName}.${keyVersion}`;
    const wrapped = fromB64(wrappedPart);
    const dataKey = open(parseKek(kekValue), wrapped.subarray(0, NONCE_BYTES), wrapped.subarray(NONCE_BYTES), Buffer.from(header));
    try {
      return open(dataKey, fromB64(noncePart), fromB64(sealedPart), Buffer.from(`${header}|${associatedData}`));
    } finally {
      dataKey.fill(0);
    }
  }

  async decryptString(envelope: string, associatedData: string): Promise<string> {
    return (await this.decrypt(envelope, associatedData)).toString('utf8');
  }
}
