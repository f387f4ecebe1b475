// Outbound webhook signatures: HMAC-SHA256 over `${timestamp}.${body}`, sent as
//   Calendar-Bridge-Timestamp: <unix seconds>
//   Calendar-Bridge-Signature: v1=<base64>[, v1=<base64>]   (two while a signing secret is rotated)
// Receivers check the timestamp is recent (replay window) and any one signature in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'Calendar-Bridge-Timestamp';
export const SIGNATURE_HEADER = 'Calendar-Bridge-Signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function computeSignature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('base64');
}

/** Headers for one delivery, signed with every active secret (newest first). */
export function signatureHeaders(secrets: readonly string[], body: string, nowMs = Date.now()): Record<string, string> {
  if (secrets.length === 0) throw new Error('at least one signing secret is required');
  const timestamp = Math.floor(nowMs / 1000);
  return {
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: secrets.map((s) => `v1=${computeSignature(s, timestamp, body)}`).join(', '),
  };
}

export type VerifyResult = { ok: true } | { ok: false; reason: 'missing_headers' | 'stale_timestamp' | 'bad_signature' };

/** What a receiver does (the README shows the same steps). */
export function verifySignature(
  secret: string,
  body: string,
  headers: { timestamp: string | null | undefined; signature: string | null | undefined },
  options: { nowMs?: number; toleranceSeconds?: number } = {},
): VerifyResult {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'missing_headers' };
  const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    return { ok: false, reason: 'stale_timestamp' };
  }
  const expected = Buffer.from(computeSignature(secret, Number(timestamp), body), 'base64');
  const candidates = signature
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => Buffer.from(part.slice(3), 'base64'));
  let match = false;
  for (const candidate of candidates) {
    // Compare every candidate, so timing does not reveal which one matched.
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) match = true;
  }
  return match ? { ok: true } : { ok: false, reason: 'bad_signature' };
}
