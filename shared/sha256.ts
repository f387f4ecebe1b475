// SHA-256 of text (UTF-8): what the app stores instead of a bearer secret (API keys, link ids, OAuth
// states, clientState), derives stable ids from, and compares secrets through in constant time.
import { hash, timingSafeEqual } from 'node:crypto';

/** The one-shot `crypto.hash` (Node 20.12+): about half the cost of a Hash object, and the notification path hashes every clientState. */
export function sha256(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}

/** 43 characters, safe in table keys, URLs and cookie names. */
export function sha256Base64Url(text: string): string {
  return sha256(text).toString('base64url');
}

export function sha256Hex(text: string): string {
  return sha256(text).toString('hex');
}

/** Whether `text` hashes to `storedHash` (a sha256Base64Url): the two 32-byte digests compared in constant time. */
export function matchesSha256(text: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash, 'base64url');
  const actual = sha256(text);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Whether two secrets are equal, in time that depends on neither (their digests have one length). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}
