// The clientState secret of a Graph subscription: Graph echoes it in every notification, and it is the only
// proof that a POST to our public endpoint came from a subscription we made (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks). Only its SHA-256
// is stored; notifications are checked in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, base64url: 43 characters, inside Graph's 128-character limit (https://learn.microsoft.com/en-us/graph/api/resources/subscription). */
export function newClientState(): string {
  return randomBytes(32).toString('base64url');
}

export function hashClientState(clientState: string): string {
  return createHash('sha256').update(clientState, 'utf8').digest('base64url');
}

/** Constant-time comparison of a received clientState with the stored hash. */
export function clientStateMatches(received: unknown, storedHash: string): boolean {
  if (typeof received !== 'string' || received.length === 0 || received.length > 255) return false;
  const actual = Buffer.from(hashClientState(received), 'utf8');
  const expected = Buffer.from(storedHash, 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
