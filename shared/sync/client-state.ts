// The clientState secret of a Graph subscription: Graph echoes it in every notification, and it is the only
// proof that a POST to our public endpoint came from a subscription we made (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks). Only its SHA-256
// is stored; notifications are checked in constant time.
import { randomBytes } from 'node:crypto';
import { matchesSha256, sha256Base64Url } from '../sha256.js';

/** 32 random bytes, base64url: 43 characters, inside Graph's 128-character limit (https://learn.microsoft.com/en-us/graph/api/resources/subscription). */
export function newClientState(): string {
  return randomBytes(32).toString('base64url');
}

export function hashClientState(clientState: string): string {
  return sha256Base64Url(clientState);
}

/** Constant-time comparison of a received clientState with the stored hash. */
export function clientStateMatches(received: unknown, storedHash: string): boolean {
  if (typeof received !== 'string' || received.length === 0 || received.length > 255) return false;
  return matchesSha256(received, storedHash);
}
