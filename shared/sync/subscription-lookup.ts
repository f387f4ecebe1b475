// Reads of subscription records (one partition: the record and its share rows) for the notification endpoints, which anyone can POST to. Kept
// briefly in memory both ways, and bounded, so anonymous POSTs cannot be turned into storage load:
// - found records for a minute: a burst of notifications for one subscription costs one Table read;
// - unknown ids for a minute (negative cache): a flood repeating made-up ids costs nothing after the first;
// - at most LOOKUP_CONCURRENCY reads in flight for the whole process: what is left of the storage
//   connection pool and the event loop serves the booking systems.
// A subscription this process creates or deletes is forgotten both ways at once (forgetSubscription).
import type { Store } from '../store/index.js';
import { isShareRow, type SubscriptionEntity } from '../store/repositories/subscriptions.js';

type Owner = Pick<SubscriptionEntity, 'clientId' | 'connectionId' | 'calendarId'>;

export type SubscriptionRef = Pick<SubscriptionEntity, 'subscriptionId' | 'clientId' | 'connectionId' | 'calendarId' | 'clientStateHash'> & {
  /** Other owners' calendars served by the same Graph subscription (share rows). */
  shares: Owner[];
};

const TTL_MS = 60_000;
const MAX_ENTRIES = 20_000;
export const LOOKUP_CONCURRENCY = 2;

interface Caches {
  found: Map<string, { ref: SubscriptionRef; at: number }>;
  unknown: Map<string, number>;
  inFlight: number;
  waiting: (() => void)[];
}

const caches = new WeakMap<Store, Caches>();

function cachesOf(store: Store): Caches {
  let c = caches.get(store);
  if (!c) caches.set(store, (c = { found: new Map(), unknown: new Map(), inFlight: 0, waiting: [] }));
  return c;
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/** What memory already says about an id, without I/O: a record, `null` (known unknown), or undefined. */
export function cachedSubscription(store: Store, subscriptionId: string, now = Date.now()): SubscriptionRef | null | undefined {
  const c = cachesOf(store);
  const hit = c.found.get(subscriptionId);
  if (hit && now - hit.at < TTL_MS) return hit.ref;
  const missAt = c.unknown.get(subscriptionId);
  if (missAt !== undefined && now - missAt < TTL_MS) return null;
  return undefined;
}

async function withSlot<T>(c: Caches, fn: () => Promise<T>): Promise<T> {
  while (c.inFlight >= LOOKUP_CONCURRENCY) await new Promise<void>((resolve) => c.waiting.push(resolve));
  c.inFlight += 1;
  try {
    return await fn();
  } finally {
    c.inFlight -= 1;
    c.waiting.shift()?.();
  }
}

export async function lookupSubscription(store: Store, subscriptionId: string, now = Date.now()): Promise<SubscriptionRef | undefined> {
  const cached = cachedSubscription(store, subscriptionId, now);
  if (cached !== undefined) return cached ?? undefined;
  const c = cachesOf(store);
  // One partition: the record and the share rows of other owners of the same Graph subscription.
  const rows = await withSlot(c, () => store.subscriptions.listOwners(subscriptionId));
  const record = rows.find((r) => !isShareRow(r));
  if (!record) {
    c.found.delete(subscriptionId);
    remember(c.unknown, subscriptionId, now);
    return undefined;
  }
  const { clientId, connectionId, calendarId, clientStateHash } = record;
  const shares = rows.filter(isShareRow).map((r) => ({ clientId: r.clientId, connectionId: r.connectionId, calendarId: r.calendarId }));
  const ref = { subscriptionId, clientId, connectionId, calendarId, clientStateHash, shares };
  c.unknown.delete(subscriptionId);
  remember(c.found, subscriptionId, { ref, at: now });
  return ref;
}

/** Called when this process creates, deletes or replaces a subscription. */
export function forgetSubscription(store: Store, subscriptionId: string): void {
  const c = cachesOf(store);
  c.found.delete(subscriptionId);
  c.unknown.delete(subscriptionId);
}
