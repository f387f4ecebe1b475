// Outbound webhook signatures in the Standard Webhooks format (https://www.standardwebhooks.com/), so a
// receiver verifies with a maintained `standardwebhooks` library in its own language:
//   webhook-id:        the event id (the same on every retry: receivers dedupe on it)
//   webhook-timestamp: Unix seconds
//   webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>"> [v1,<...>]  (space-separated:
//                      one per active secret, two while a signing secret is rotated)
// Secrets are `whsec_` + base64 of the key bytes; the HMAC key is the decoded bytes.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

const SECRET_PREFIX = 'whsec_';

/** `whsec_` + base64 of 32 random bytes: the Standard Webhooks secret format. */
export function newSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/**
 * The secret as the libraries read it. Secrets issued before the switch to Standard Webhooks use the
 * URL-safe base64 alphabet, which the libraries refuse: their key bytes are the same, so sign with them
 * written in the standard alphabet (receivers holding one should rotate, see the README).
 */
export function standardSecret(secret: string): string {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('a signing secret starts with whsec_');
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) throw new Error('a signing secret is whsec_ followed by base64');
  return SECRET_PREFIX + Buffer.from(encoded, 'base64').toString('base64');
}

/** Headers for one delivery, signed with every active secret (newest first). */
export function signatureHeaders(secrets: readonly string[], eventId: string, body: string, nowMs = Date.now()): Record<string, string> {
  if (secrets.length === 0) throw new Error('at least one signing secret is required');
  const timestamp = new Date(Math.floor(nowMs / 1000) * 1000);
  return {
    [WEBHOOK_ID_HEADER]: eventId,
    [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp.getTime() / 1000),
    [WEBHOOK_SIGNATURE_HEADER]: secrets.map((secret) => new Webhook(standardSecret(secret)).sign(eventId, timestamp, body)).join(' '),
  };
}
