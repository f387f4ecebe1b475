// Subscriptions: point reads by id, and an expiry index the renewal timer reads by key range.
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../shared/store/errors.js';
import { expiryBucket, ownerIndexKey, type NewSubscription } from '../../shared/store/repositories/subscriptions.js';
import { subscriptionStates } from '../../shared/telemetry/gauges.js';
import { testStore, uniqueId } from './helpers.js';

const NOW = new Date('2025-06-13T12:00:00.000Z');
const hours = (h: number) => new Date(NOW.getTime() + h * 3600_000);

function subscription(expiresAt: Date): NewSubscription {
  return {
    subscriptionId: uniqueId('sub'),
    clientId: 'client-1',
    connectionId: 'conn-1',
    resource: '/me/events',
    clientStateHash: 'hash',
    expiresAt,
    createdAt: NOW,
  };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('SubscriptionRepository on Azurite', () => {
  it('names expiry buckets by UTC hour, in sortable order', () => {
    expect(expiryBucket(new Date('2025-06-13T14:59:59.999Z'))).toBe('exp-2025061314');
    expect(expiryBucket(hours(1)) < expiryBucket(hours(25))).toBe(true);
  });

  it('creates, reads by id, refuses duplicates and deletes idempotently', async () => {
    const { subscriptions } = testStore();
    const sub = subscription(hours(2));
    await subscriptions.createSubscription(sub);
    expect((await subscriptions.getSubscription(sub.subscriptionId))?.entity).toMatchObject(sub);
    await expect(subscriptions.createSubscription(sub)).rejects.toBeInstanceOf(ConflictError);
    await subscriptions.deleteSubscription(sub.subscriptionId);
    await subscriptions.deleteSubscription(sub.subscriptionId);
    expect(await subscriptions.getSubscription(sub.subscriptionId)).toBeNull();
  });

  it('lists only what expires by the horizon, including already expired ones, and follows renewals', async () => {
    const { subscriptions } = testStore();
    const expired = subscription(hours(-3));
    const soon = subscription(hours(1));
    const later = subscription(hours(30));
    for (const s of [expired, soon, later]) await subscriptions.createSubscription(s);

    const due = await collect(subscriptions.listExpiring(hours(2)));
    expect(due.map((d) => d.entity.subscriptionId).sort()).toEqual([expired.subscriptionId, soon.subscriptionId].sort());

    // Renewing moves `soon` out of the window; its old index row is no longer listed.
    await subscriptions.mutateSubscription(soon.subscriptionId, (s) => ({ ...s, expiresAt: hours(48) }));
    const afterRenewal = await collect(subscriptions.listExpiring(hours(2)));
    expect(afterRenewal.map((d) => d.entity.subscriptionId)).toEqual([expired.subscriptionId]);
    expect((await collect(subscriptions.listExpiring(hours(48)))).map((d) => d.entity.subscriptionId).sort()).toEqual(
      [expired.subscriptionId, soon.subscriptionId, later.subscriptionId].sort(),
    );

    // A deleted subscription disappears from the index too.
    await subscriptions.deleteSubscription(expired.subscriptionId);
    expect(await collect(subscriptions.listExpiring(hours(2)))).toEqual([]);
  });

  it('records renewals from the index rows alone: expiries move, fields written meanwhile stay, a gone record takes its index rows', async () => {
    const { subscriptions } = testStore();
    const subs = [subscription(hours(1)), subscription(hours(1)), subscription(hours(-2))];
    for (const sub of subs) await subscriptions.createSubscription(sub);
    const page = await subscriptions.listExpiringPage(hours(2));
    expect(page.refs.map((r) => r.subscriptionId).sort()).toEqual(subs.map((s) => s.subscriptionId).sort());
    const dueOf = (id: string) => {
      const ref = page.refs.find((r) => r.subscriptionId === id)!;
      return { subscriptionId: id, bucket: ref.bucket, clientId: ref.clientId!, connectionId: ref.connectionId! };
    };
    const [kept, changed, unsubscribed] = subs.map((s) => dueOf(s.subscriptionId));
    expect(kept).toMatchObject({ clientId: 'client-1', connectionId: 'conn-1', bucket: expiryBucket(hours(1)) });
    // Between the scan and the renewal: another writer changes one record, another is unsubscribed.
    await subscriptions.mutateSubscription(changed!.subscriptionId, (current) => ({ ...current, deltaLink: 'written-meanwhile' }));
    await subscriptions.deleteSubscription(unsubscribed!.subscriptionId);

    const renewed = [kept!, changed!, unsubscribed!].map((due) => ({ due, expiresAt: hours(150) }));
    expect(await subscriptions.recordRenewals(renewed)).toEqual({ recorded: 2, gone: 1, failed: 0 });
    expect((await subscriptions.getSubscription(changed!.subscriptionId))?.entity).toMatchObject({ expiresAt: hours(150), deltaLink: 'written-meanwhile', resource: '/me/events' });
    expect((await subscriptions.getSubscription(kept!.subscriptionId))?.entity.expiresAt).toEqual(hours(150));
    expect(await subscriptions.getSubscription(unsubscribed!.subscriptionId)).toBeNull();
    // The index follows: nothing due any more, the two renewed at their new hour, no row for the one gone.
    expect((await subscriptions.listExpiringPage(hours(2))).refs).toEqual([]);
    expect((await subscriptions.listExpiringPage(hours(151))).refs.map((r) => r.subscriptionId).sort()).toEqual([kept!.subscriptionId, changed!.subscriptionId].sort());
  });

  it('skips and removes a stale index row whose record moved to another bucket', async () => {
    const { subscriptions } = testStore();
    const sub = subscription(hours(1));
    await subscriptions.createSubscription(sub);
    // Simulate a crash after the record moved but before the old index row was removed.
    await subscriptions.records.update(
      { ...(await subscriptions.getSubscription(sub.subscriptionId))!.entity, expiresAt: hours(40) },
      (await subscriptions.getSubscription(sub.subscriptionId))!.etag,
    );
    expect(await collect(subscriptions.listExpiring(hours(2)))).toEqual([]);
  });

  it("finds an owner's records and shares through its owner index, and follows promotion and deletion", async () => {
    const { subscriptions } = testStore();
    const mine = subscription(hours(30));
    const theirs = { ...subscription(hours(30)), clientId: 'client-2', connectionId: 'conn-2', calendarId: 'cal-2' };
    await subscriptions.createSubscription(mine);
    const theirRecord = (await subscriptions.createSubscription(theirs)).entity;
    // conn-1 also rides on conn-2's subscription for one of its calendars.
    const share = await subscriptions.addShare(theirRecord, { clientId: 'client-1', connectionId: 'conn-1', calendarId: 'cal-1' }, false);
    const ids = async (clientId: string, connectionId: string) =>
      (await subscriptions.listOwnerRecords(clientId, connectionId)).map((r) => `${r.subscriptionId}|${r.rowKey}`).sort();

    expect(await ids('client-1', 'conn-1')).toEqual([`${mine.subscriptionId}|record`, `${theirs.subscriptionId}|${share.rowKey}`].sort());
    expect(await ids('client-2', 'conn-2')).toEqual([`${theirs.subscriptionId}|record`]);

    // conn-2 leaves: its record passes to conn-1's share, which goes.
    await subscriptions.promoteShare(theirRecord, share);
    expect(await ids('client-2', 'conn-2')).toEqual([]);
    expect(await ids('client-1', 'conn-1')).toEqual([`${mine.subscriptionId}|record`, `${theirs.subscriptionId}|record`].sort());

    await subscriptions.deleteSubscription(mine.subscriptionId);
    expect(await ids('client-1', 'conn-1')).toEqual([`${theirs.subscriptionId}|record`]);
  });

  it('skips an owner index row whose record is not written yet (a create in flight) without removing it', async () => {
    const { subscriptions } = testStore();
    const sub = subscription(hours(30));
    await subscriptions.indexOwner({ ...sub, partitionKey: `sub-${sub.subscriptionId}`, rowKey: 'record' });
    expect(await subscriptions.listOwnerRecords(sub.clientId, sub.connectionId)).toEqual([]);
    // The record lands: the pointer written before it finds it.
    await subscriptions.records.create({ ...sub, partitionKey: `sub-${sub.subscriptionId}`, rowKey: 'record' });
    expect((await subscriptions.listOwnerRecords(sub.clientId, sub.connectionId)).map((r) => r.subscriptionId)).toEqual([sub.subscriptionId]);
  });

  it("lists the owner's calendars no notification covers from its own index partition, a share's and a promoted share's too", async () => {
    const { subscriptions } = testStore();
    const owner = { clientId: 'client-u', connectionId: uniqueId('conn') };
    const watched = { ...subscription(hours(30)), ...owner, calendarId: 'cal-default' };
    const polled = { ...subscription(hours(30)), ...owner, calendarId: 'cal-side', unwatched: true };
    await subscriptions.createSubscription(watched);
    await subscriptions.createSubscription(polled);
    expect([...(await subscriptions.listUnwatched(owner.clientId, owner.connectionId))]).toEqual([['cal-side', polled.subscriptionId]]);

    // Another owner's secondary calendar rides on this owner's mailbox subscription, unwatched for it.
    const other = { clientId: 'client-u', connectionId: uniqueId('conn') };
    const record = (await subscriptions.getSubscription(watched.subscriptionId))!.entity;
    const share = await subscriptions.addShare(record, { ...other, calendarId: 'cal-theirs' }, true);
    expect([...(await subscriptions.listUnwatched(other.clientId, other.connectionId))]).toEqual([['cal-theirs', watched.subscriptionId]]);
    // The first owner leaves: the record passes to the share, and stays polled for its new owner.
    await subscriptions.promoteShare(record, share);
    expect((await subscriptions.getSubscription(watched.subscriptionId))!.entity).toMatchObject({ ...other, calendarId: 'cal-theirs', unwatched: true });
    expect([...(await subscriptions.listUnwatched(other.clientId, other.connectionId))]).toEqual([['cal-theirs', watched.subscriptionId]]);
  });

  it('reads a pointer written before pointers carried the flag through its row once, and rewrites it', async () => {
    const { subscriptions } = testStore();
    const sub = { ...subscription(hours(30)), connectionId: uniqueId('conn'), calendarId: 'cal-side', unwatched: true };
    await subscriptions.createSubscription(sub);
    const [pointer] = await collect(subscriptions.owners.queryAll(`PartitionKey eq '${ownerIndexKey(sub.clientId, sub.connectionId)}'`));
    // As an older version wrote it: no calendar, no flag.
    const { calendarId: _c, unwatched: _u, ...legacy } = pointer!.entity;
    await subscriptions.owners.upsert(legacy);
    expect((await subscriptions.owners.get(legacy.partitionKey, legacy.rowKey))?.entity.unwatched).toBeUndefined();
    expect([...(await subscriptions.listUnwatched(sub.clientId, sub.connectionId))]).toEqual([['cal-side', sub.subscriptionId]]);
    expect((await subscriptions.owners.get(legacy.partitionKey, legacy.rowKey))?.entity).toMatchObject({ calendarId: 'cal-side', unwatched: true });
  });

  it('keeps the subscription count exact under concurrent creates and deletes (the gauge reads it)', async () => {
    const store = testStore();
    // Healthy subscriptions (expiring well beyond the gauge's day), made and removed many at once, as a
    // busy deployment's instances do.
    const subs = Array.from({ length: 48 }, () => subscription(hours(72)));
    await Promise.all(subs.map((s) => store.subscriptions.createSubscription(s)));
    expect(await subscriptionStates(store, NOW)).toEqual({ healthy: 48, expiring: 0, expired: 0 });
    await Promise.all(subs.slice(0, 30).map((s) => store.subscriptions.deleteSubscription(s.subscriptionId)));
    expect(await subscriptionStates(store, NOW)).toEqual({ healthy: 18, expiring: 0, expired: 0 });
  });
});
