// Booking-system API keys: `cb_live_<clientId>_<secret>`. The client id inside the key makes the lookup a
// point read; only a SHA-256 hash of the key is stored (the key is 256 random bits, so a slow hash buys
// nothing), and hashes are compared in constant time.
import { randomBytes } from 'node:crypto';
import { matchesSha256, sha256Base64Url } from '../sha256.js';

export const API_KEY_PREFIX = 'cb_live_';
const KEY_PATTERN = /^cb_live_([a-z0-9]{8,40})_([A-Za-z0-9_-]{43})$/;

export function newClientId(): string {
  return randomBytes(10).toString('hex');
}

export function generateApiKey(clientId: string): { key: string; hash: string } {
  const key = `${API_KEY_PREFIX}${clientId}_${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return sha256Base64Url(key);
}

/** The client id a well-formed key claims, or undefined. Proves nothing until verifyApiKey agrees. */
export function clientIdOfKey(key: string): string | undefined {
  return KEY_PATTERN.exec(key)?.[1];
}

/** True when `key` hashes to one of the stored hashes. Every stored hash is compared, in constant time. */
export function verifyApiKey(key: string, storedHashes: readonly string[]): boolean {
  let match = false;
  for (const stored of storedHashes) if (matchesSha256(key, stored)) match = true;
  return match;
}

/** Reads `Authorization: Bearer <credential>`; undefined when absent, malformed or longer than `maxLength`. */
export function bearerToken(authorization: string | null | undefined, maxLength = 512): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m?.[1] && m[1].length <= maxLength ? m[1] : undefined;
}
