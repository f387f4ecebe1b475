// A short memory of notification items already taken, so Graph's duplicates (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks: a change can
// yield several identical notifications) do not each cost a delta round. Per process and best effort: the
// delta round is idempotent anyway. Kept short on purpose: Graph retries a delivery we failed (5xx, e.g.
// the queue was down) after 10 s or more, and that retry must not be mistaken for a duplicate.
const TTL_MS = 5_000;
const MAX_ENTRIES = 50_000;
const seen = new Map<string, number>();

/** True when `fingerprint` was seen within the last few seconds; records it otherwise. */
export function recentlySeen(fingerprint: string, now = Date.now()): boolean {
  const at = seen.get(fingerprint);
  if (at !== undefined && now - at < TTL_MS) return true;
  if (seen.size >= MAX_ENTRIES) {
    for (const [key, t] of seen) {
      if (now - t >= TTL_MS || seen.size >= MAX_ENTRIES) seen.delete(key);
      if (seen.size < MAX_ENTRIES * 0.9) break;
    }
  }
  seen.set(fingerprint, now);
  return false;
}
