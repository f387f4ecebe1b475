// Reads of subscription records (one partition: the record and its share rows) for the notification endpoints, which anyone can POST to. Kept
// briefly in memory both ways, and bounded, so anonymous POSTs cannot be turned into storage load:
// - found records for a minute: a burst of notifications for one subscription costs one Table read; a record
//   still being notified after half a minute is re-read in the background while it is served, so a
//   subscription that keeps notifying never makes a notification wait for storage;
// - unknown ids for a minute (negative cache): a flood repeating made-up ids costs nothing after the first;
// - one read per id at a time: concurrent callers asking for the same id share it;
// - at most LOOKUP_CONCURRENCY reads in flight for the whole process: what is left of the storage
//   connection pool and the event loop serves the booking systems.
// A subscription this process creates or deletes is forgotten both ways at once (forgetSubscription), and a
// read already under way then is not remembered.
import type { Store } from '../store/index.js';
import { isShareRow, type SubscriptionEntity } from '../store/repositories/subscriptions.js';

type Owner = Pick<SubscriptionEntity, 'clientId' | 'connectionId' | 'calendarId'>;

export type SubscriptionRef = Pick<SubscriptionEntity, 'subscriptionId' | 'clientId' | 'connectionId' | 'calendarId' | 'clientStateHash'> & {
  /** Other owners' calendars served by the same Graph subscription (share rows). */
  shares: Owner[];
};

/** How long a record (or the absence of one) is believed without reading it again. */
export const SUBSCRIPTION_TTL_MS = 60_000;
/** A found record older than this is read again in the background when asked for (and served meanwhile). */
export const SUBSCRIPTION_REFRESH_AFTER_MS = 30_000;
const MAX_ENTRIES = 20_000;
export const LOOKUP_CONCURRENCY = 2;

interface Caches {
  found: Map<string, { ref: SubscriptionRef; at: number }>;
  unknown: Map<string, number>;
  /** Reads under way, by id: every caller of one id shares its read. */
  reading: Map<string, Promise<SubscriptionRef | undefined>>;
  inFlight: number;
  waiting: (() => void)[];
}

const caches = new WeakMap<Store, Caches>();

function cachesOf(store: Store): Caches {
  let c = caches.get(store);
  if (!c) caches.set(store, (c = { found: new Map(), unknown: new Map(), reading: new Map(), inFlight: 0, waiting: [] }));
  return c;
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/**
 * What memory already says about an id, without waiting: a record, `null` (known unknown), or undefined.
 * A record past its refresh point is still answered, and its background re-read started.
 */
export function cachedSubscription(store: Store, subscriptionId: string, now = Date.now()): SubscriptionRef | null | undefined {
  const c = cachesOf(store);
  const hit = c.found.get(subscriptionId);
  if (hit && now - hit.at < SUBSCRIPTION_TTL_MS) {
    // A failed refresh leaves the record to expire; the read at expiry reports the failure to its caller.
    if (now - hit.at >= SUBSCRIPTION_REFRESH_AFTER_MS) read(c, store, subscriptionId, now).catch(() => undefined);
    return hit.ref;
  }
  const missAt = c.unknown.get(subscriptionId);
  if (missAt !== undefined && now - missAt < SUBSCRIPTION_TTL_MS) return null;
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
  return read(cachesOf(store), store, subscriptionId, now);
}

/** The read under way for this id, or a new one; its answer is remembered unless the id was forgotten meanwhile. */
function read(c: Caches, store: Store, subscriptionId: string, now: number): Promise<SubscriptionRef | undefined> {
  const under = c.reading.get(subscriptionId);
  if (under) return under;
  const reading: Promise<SubscriptionRef | undefined> = withSlot(c, () => store.subscriptions.listOwners(subscriptionId))
    .then((rows) => {
      const ref = toRef(subscriptionId, rows);
      if (c.reading.get(subscriptionId) !== reading) return ref; // forgotten while reading
      if (ref) {
        c.unknown.delete(subscriptionId);
        remember(c.found, subscriptionId, { ref, at: now });
      } else {
        c.found.delete(subscriptionId);
        remember(c.unknown, subscriptionId, now);
      }
      return ref;
    })
    .finally(() => {
      if (c.reading.get(subscriptionId) === reading) c.reading.delete(subscriptionId);
    });
  c.reading.set(subscriptionId, reading);
  return reading;
}

/** One partition: the record and the share rows of other owners of the same Graph subscription. */
function toRef(subscriptionId: string, rows: SubscriptionEntity[]): SubscriptionRef | undefined {
  const record = rows.find((r) => !isShareRow(r));
  if (!record) return undefined;
  const { clientId, connectionId, calendarId, clientStateHash } = record;
  const shares = rows.filter(isShareRow).map((r) => ({ clientId: r.clientId, connectionId: r.connectionId, calendarId: r.calendarId }));
  return { subscriptionId, clientId, connectionId, calendarId, clientStateHash, shares };
}

/** Called when this process creates, deletes or replaces a subscription. */
export function forgetSubscription(store: Store, subscriptionId: string): void {
  const c = cachesOf(store);
  c.found.delete(subscriptionId);
  c.unknown.delete(subscriptionId);
  c.reading.delete(subscriptionId);
}
