// The notification endpoints' memory of subscription records, against the run's Azurite: a record that keeps
// being notified is re-read in the background before it expires (no notification waits for storage), one
// read serves every concurrent caller, and a record this process forgets is never brought back by a read
// that was already under way.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getServices, type Services } from '../../shared/services.js';
import { cachedSubscription, forgetSubscription, lookupSubscription, SUBSCRIPTION_REFRESH_AFTER_MS, SUBSCRIPTION_TTL_MS } from '../../shared/sync/subscription-lookup.js';
import { seedSubscription } from './support.js';

let services: Services;
beforeAll(() => {
  services = getServices();
});

/** Holds every subscription read until release(); counts them. */
function holdReads(): { count: () => number; release: () => void; restore: () => void } {
  const repo = services.store.subscriptions;
  const original = repo.listOwners.bind(repo);
  let n = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  repo.listOwners = async (id, options) => {
    n += 1;
    await gate;
    return original(id, options);
  };
  return { count: () => n, release, restore: () => (repo.listOwners = original) };
}
let held: ReturnType<typeof holdReads> | undefined;
afterEach(() => {
  held?.release();
  held?.restore();
  held = undefined;
});

/** The promise's value, or a loud failure if it is still pending when the deadline passes. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe('subscription lookup', () => {
  it('serves a record past its refresh point from memory while one background read refreshes it', async () => {
    const sub = await seedSubscription(services);
    const t0 = Date.now();
    expect((await lookupSubscription(services.store, sub.subscriptionId, t0))?.connectionId).toBe(sub.connectionId);

    held = holdReads();
    const later = t0 + SUBSCRIPTION_REFRESH_AFTER_MS + 1;
    // Storage is held: an answer here can only come from memory.
    const ref = await within(lookupSubscription(services.store, sub.subscriptionId, later), 5_000, 'a lookup past the refresh point');
    expect(ref?.connectionId).toBe(sub.connectionId);
    expect(cachedSubscription(services.store, sub.subscriptionId, later)?.connectionId).toBe(sub.connectionId);
    expect(held.count()).toBe(1);

    held.release();
    // Once refreshed, the record counts from the refresh: still fresh when the first read would have expired.
    const refreshedBy = later + SUBSCRIPTION_REFRESH_AFTER_MS - 1;
    expect(refreshedBy - t0).toBeGreaterThanOrEqual(SUBSCRIPTION_TTL_MS);
    await expect.poll(() => cachedSubscription(services.store, sub.subscriptionId, refreshedBy)?.connectionId, { timeout: 10_000 }).toBe(sub.connectionId);
    expect(held.count()).toBe(1);
  });

  it('reads a record again, once for all callers, when it has not been seen for a whole TTL', async () => {
    const sub = await seedSubscription(services);
    const t0 = Date.now();
    await lookupSubscription(services.store, sub.subscriptionId, t0);
    const expired = t0 + SUBSCRIPTION_TTL_MS;
    expect(cachedSubscription(services.store, sub.subscriptionId, expired)).toBeUndefined();
    held = holdReads();
    const callers = Array.from({ length: 10 }, () => lookupSubscription(services.store, sub.subscriptionId, expired));
    held.release();
    expect((await Promise.all(callers)).map((r) => r?.subscriptionId)).toEqual(Array.from({ length: 10 }, () => sub.subscriptionId));
    expect(held.count()).toBe(1);
  });

  it('does not let a read under way bring back a record forgotten meanwhile', async () => {
    const id = randomUUID();
    held = holdReads();
    const reading = lookupSubscription(services.store, id);
    // The subscription is created by this process while the read (which will find nothing) is under way.
    forgetSubscription(services.store, id);
    held.release();
    expect(await reading).toBeUndefined();
    expect(cachedSubscription(services.store, id)).toBeUndefined();
  });
});
