// One mailbox calendar, several owners, over real HTTP against the simulator's documented behaviour:
// - two booking systems connect the same person: Graph allows one subscription per app, resource and
//   changeType (409 for a second), so the second shares the first's; both caches follow Outlook, the
//   daily reconciliation leaves both alone, and disconnecting one keeps the other live;
// - a secondary calendar's own resource is not documented and Graph refuses it: the calendar falls back
//   to the documented mailbox resource;
// - a booking's event the person moves to another of their calendars keeps its immutable id, and the
//   booking survives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createTestClient, type ConnectedUser } from '../support/connect-user.js';
import { api, bookingBody, sim } from '../bookings/support.js';
import { listConnectionSubscriptions } from '../../shared/sync/calendar-subscriptions.js';
import { reconcileOwners } from '../../shared/sync/reconcile-subscriptions.js';
import { resyncCalendars } from '../../shared/sync/resync-calendars.js';
import { defaultSyncDeps } from '../../shared/sync/sync-deps.js';
import { startWebhookReceiver, type WebhookReceiver } from './support.js';
import { waitFor } from '../support/wait-for.js';

let app: AppHost;
let first: ConnectedUser;
let second: ConnectedUser;
let receiver: WebhookReceiver;

const simSubs = async (objectId: string): Promise<{ id: string; resource: string }[]> =>
  ((await sim(app, 'GET', '/subscriptions')).value as { id: string; resource: string }[]).filter((s) => s.resource.includes(objectId));
const cached = (user: ConnectedUser, calendarId = user.connection.busyCalendarIds[0]!) => app.services.store.busy.listCalendarEvents(user.connection.id, calendarId);
const records = (user: ConnectedUser) => listConnectionSubscriptions(app.services, user.client.clientId, user.connection.id);
const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

async function addOutlookEvent(user: ConnectedUser, subject: string, date: string, calendarId?: string): Promise<{ id: string }> {
  return sim(app, 'POST', `/users/${user.userPrincipalName}/events`, {
    ...(calendarId ? { calendarId } : {}),
    subject,
    start: { dateTime: `${date}T10:00:00`, timeZone: 'UTC' },
    end: { dateTime: `${date}T11:00:00`, timeZone: 'UTC' },
    showAs: 'busy',
  });
}

beforeAll(async () => {
  app = await startAppHost();
  receiver = await startWebhookReceiver();
  first = await connectUser(app, { client: await createTestClient(app, { webhookUrl: receiver.url }) });
  second = await connectUser(app, { userPrincipalName: first.userPrincipalName });
  for (const user of [first, second]) {
    await waitFor(async () => (await app.services.store.busy.getSyncState(user.connection.id, user.connection.busyCalendarIds[0]!))?.entity.status === 'synced', { message: 'the first full sync' });
  }
}, 90_000);
afterAll(async () => {
  await app?.close();
  await receiver?.close();
});

describe('two connections to one calendar', () => {
  it('share one Graph subscription, and an Outlook change reaches both', async () => {
    const objectId = first.connection.account.objectId!;
    expect(second.connection.account.objectId).toBe(objectId);
    const subs = await simSubs(objectId);
    expect(subs, JSON.stringify(subs)).toHaveLength(1);
    expect((await records(first)).map((r) => r.subscriptionId)).toEqual([subs[0]!.id]);
    expect((await records(second)).map((r) => r.subscriptionId)).toEqual([subs[0]!.id]);

    const event = await addOutlookEvent(first, 'Seen by both', day(2));
    for (const user of [first, second]) await waitFor(async () => (await cached(user)).some((r) => r.eventId === event.id), { message: `the event in ${user.client.clientId}'s cache` });
  });

  it('the reconciliation displaces neither, however often it runs', async () => {
    const deps = defaultSyncDeps(app.services);
    const before = (await simSubs(first.connection.account.objectId!)).map((s) => s.id);
    // These two owners only, as the daily timer's pages reconcile them: other test files' connections come
    // and go in the same storage meanwhile.
    const owners = await Promise.all([first, second].map(async (u) => (await app.services.store.connections.getConnection(u.client.clientId, u.connection.id))!.entity));
    for (let run = 0; run < 2; run += 1) {
      const { report, unread } = await reconcileOwners(deps, owners);
      expect(unread).toEqual([]);
      expect(report).toMatchObject({ connections: 2, orphansDeleted: 0, created: 0, lostRecreated: 0, removed: 0, failed: 0 });
    }
    expect((await simSubs(first.connection.account.objectId!)).map((s) => s.id)).toEqual(before);
    const event = await addOutlookEvent(first, 'After reconciling', day(3));
    for (const user of [first, second]) await waitFor(async () => (await cached(user)).some((r) => r.eventId === event.id), { message: 'the event in both caches' });
  });

  it("a secondary calendar's undocumented resource is refused, so it shares the documented mailbox one", async () => {
    const side = await sim(app, 'POST', `/users/${first.userPrincipalName}/calendars`, { name: `Side ${Date.now()}` });
    const patched = await api(app, first.apiKey, 'PATCH', `connections/${first.connection.id}`, { busyCalendarIds: [...first.connection.busyCalendarIds, side.id] });
    expect(patched.status).toBe(200);
    const sideRecord = await waitFor(async () => (await records(first)).find((r) => r.calendarId === side.id), { message: 'the side calendar served' });
    const subs = await simSubs(first.connection.account.objectId!);
    expect(subs).toHaveLength(1);
    expect(sideRecord.subscriptionId).toBe(subs[0]!.id);
    expect(subs[0]!.resource).toBe(`/users/${first.connection.account.objectId}/events`);
    // Outlook does not notify the side calendar on that resource: the hourly sweep polls it.
    expect(sideRecord.unwatched).toBe(true);
    await waitFor(async () => (await app.services.store.busy.getSyncState(first.connection.id, side.id))?.entity.status === 'synced', { message: 'the side calendar synced' });
    const event = await addOutlookEvent(first, 'On the side', day(2), side.id);
    const report = await resyncCalendars(defaultSyncDeps(app.services));
    expect(report.queued).toBeGreaterThanOrEqual(1);
    await waitFor(async () => (await cached(first, side.id)).some((r) => r.eventId === event.id), { message: 'the side event in the cache' });
  });

  it("a booking's event moved to another calendar in Outlook keeps its id and its booking", async () => {
    const target = await sim(app, 'POST', `/users/${first.userPrincipalName}/calendars`, { name: `Moved to ${Date.now()}` });
    const body = bookingBody(first, { start: `${day(4)}T09:00:00`, end: `${day(4)}T09:30:00`, timeZone: 'UTC' });
    const created = await api(app, first.apiKey, 'POST', 'bookings', body);
    expect(created.status).toBe(201);
    const row = await waitFor(async () => (await cached(first)).find((r) => r.bookingRef === `${first.client.clientId}/${body.bookingId}`), { message: 'the booking in the cache' });

    const moved = await sim(app, 'POST', `/users/${first.userPrincipalName}/events/${row.eventId}/move`, { calendarId: target.id });
    expect(moved.id).toBe(row.eventId);
    await waitFor(async () => !(await cached(first)).some((r) => r.eventId === row.eventId), { message: 'the event gone from the old calendar cache' });
    const read = await api(app, first.apiKey, 'GET', `bookings/${body.bookingId}`);
    expect(read.status).toBe(200);
    expect(read.body.status).not.toBe('cancelled');
    const stored = await app.services.store.bookings.getBooking(first.client.clientId, String(body.bookingId));
    expect(stored?.entity.status).not.toBe('cancelled');
    expect(receiver.events.some((e) => e.type === 'booking.deleted_in_calendar' && e.data.bookingId === body.bookingId)).toBe(false);
  });

  it('disconnecting one keeps the subscription, and the other still follows Outlook', async () => {
    const objectId = first.connection.account.objectId!;
    const before = (await simSubs(objectId)).map((s) => s.id);
    const res = await api(app, first.apiKey, 'DELETE', `connections/${first.connection.id}`);
    expect(res.status).toBeLessThan(300);
    await waitFor(async () => (await records(first)).length === 0, { message: 'the first connection unsubscribed' });
    expect((await simSubs(objectId)).map((s) => s.id)).toEqual(before);
    expect((await records(second)).map((r) => r.subscriptionId)).toEqual(before);
    const event = await addOutlookEvent(second, 'Only the second is left', day(5));
    await waitFor(async () => (await cached(second)).some((r) => r.eventId === event.id), { message: "the event in the second's cache" });
  });

  it("a subscription whose owner has not recorded it yet is shared, not deleted as lost", async () => {
    // The first owner's create reached Graph, but its record is not written yet (a slow Table write): a
    // second owner's create then meets Graph's 409 for a subscription no record names. It must not take
    // that for one we lost track of and delete it under its owner.
    const owner = await connectUser(app, { client: await createTestClient(app) });
    await waitFor(async () => (await records(owner)).length === 1, { message: "the first owner's subscription record" });
    const [record] = await records(owner);
    const before = (await simSubs(owner.connection.account.objectId!)).map((s) => s.id);
    expect(before).toEqual([record!.subscriptionId]);
    const { partitionKey: _p, rowKey: _r, ...fields } = record!;
    await app.services.store.subscriptions.deleteSubscription(record!.subscriptionId);

    const late = new Promise<void>((resolve, reject) => {
      setTimeout(() => app.services.store.subscriptions.createSubscription(fields).then(() => resolve(), reject), 1_000);
    });
    const other = await connectUser(app, { userPrincipalName: owner.userPrincipalName });
    await late;
    await waitFor(async () => (await records(other)).length === 1, { message: "the second owner's share" });
    expect((await simSubs(owner.connection.account.objectId!)).map((s) => s.id)).toEqual(before);
    expect((await records(other)).map((r) => r.subscriptionId)).toEqual(before);
    expect((await records(owner)).map((r) => r.subscriptionId)).toEqual(before);
  });
});
