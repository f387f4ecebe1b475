// Point reads of subscription records for the notification endpoints, kept briefly in memory: a burst of
// notifications for one subscription costs one Table read, not one per POST (the 3 s budget, graph.md §2.2).
// Only found records are kept, so a subscription stored a moment after Graph created it is seen at once.
import type { Store } from '../store/index.js';
import type { SubscriptionEntity } from '../store/repositories/subscriptions.js';

export type SubscriptionRef = Pick<SubscriptionEntity, 'subscriptionId' | 'clientId' | 'connectionId' | 'calendarId' | 'clientStateHash'>;

const TTL_MS = 60_000;
const MAX_ENTRIES = 20_000;
const caches = new WeakMap<Store, Map<string, { ref: SubscriptionRef; at: number }>>();

function cacheOf(store: Store): Map<string, { ref: SubscriptionRef; at: number }> {
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new Map()));
  return cache;
}

export async function lookupSubscription(store: Store, subscriptionId: string, now = Date.now()): Promise<SubscriptionRef | undefined> {
  const cache = cacheOf(store);
  const hit = cache.get(subscriptionId);
  if (hit && now - hit.at < TTL_MS) return hit.ref;
  const found = await store.subscriptions.getSubscription(subscriptionId);
  if (!found) {
    cache.delete(subscriptionId);
    return undefined;
  }
  const { clientId, connectionId, calendarId, clientStateHash } = found.entity;
  const ref = { subscriptionId, clientId, connectionId, calendarId, clientStateHash };
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(subscriptionId, { ref, at: now });
  return ref;
}

/** Called when this process deletes or replaces a subscription. */
export function forgetSubscription(store: Store, subscriptionId: string): void {
  cacheOf(store).delete(subscriptionId);
}
