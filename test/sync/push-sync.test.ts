// Push sync end to end over real HTTP: the whole app on the local host, Azurite, the simulator and real
// MSAL. Connect -> one subscription per busy calendar (validated by the simulator against our endpoints)
// -> full sync into the busy cache -> a change "in Outlook" notifies us -> a delta round updates the cache
// and tells the booking system; lifecycle events as Microsoft 365 raises them (time passing, lost
// notifications); disconnect removes everything. The simulator is this file's own: its clock moves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/server.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createTestClient, type ConnectedUser } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';
import { api, bookingBody, sim } from '../bookings/support.js';
import { hashClientState } from '../../shared/sync/client-state.js';
import { listConnectionSubscriptions } from '../../shared/sync/calendar-subscriptions.js';
import { syncCalendar } from '../../shared/sync/calendar-sync.js';
import { defaultSyncDeps } from '../../shared/sync/sync-deps.js';
import type { SubscriptionEntity } from '../../shared/store/repositories/subscriptions.js';
import { lifecycleSent as lifecycleDelivery, startWebhookReceiver, type WebhookReceiver } from './support.js';
import { waitFor } from '../support/wait-for.js';

let simulator: RunningSimulator;
let app: AppHost;
let user: ConnectedUser;
let calendarId: string;
let record: SubscriptionEntity;
let receiver: WebhookReceiver;

interface SimSub {
  id: string;
  resource: string;
  clientState: string;
  expirationDateTime: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string;
}

const clientId = () => user.client.clientId;
const connectionId = () => user.connection.id;
const simSubs = async (): Promise<SimSub[]> =>
  ((await sim(app, 'GET', '/subscriptions')).value as SimSub[]).filter((s) => s.resource.includes(user.connection.account.objectId!));
const syncState = () => app.services.store.busy.getSyncState(connectionId(), calendarId);
const cachedRows = () => app.services.store.busy.listCalendarEvents(connectionId(), calendarId);

/** Events the booking system received (signed deliveries by the webhook processor). */
async function webhookEvents(): Promise<{ type: string; data: Record<string, unknown> }[]> {
  return receiver.events;
}

beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
  // Only the challenges this file causes (the random ones are the simulator tests' subject).
  await simControl(simulator.url, 'PATCH', '/settings', { reauthorizationRatePerHour: 0 });
  app = await startAppHost({ simulatorUrl: simulator.url });
  receiver = await startWebhookReceiver();
  user = await connectUser(app, { client: await createTestClient(app, { webhookUrl: receiver.url }) });
  calendarId = user.connection.busyCalendarIds[0]!;
  record = await waitFor(async () => (await listConnectionSubscriptions(app.services, clientId(), connectionId()))[0], { message: 'the subscription record' });
  await waitFor(async () => (await syncState())?.entity.status === 'synced', { message: 'the first full sync' });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await receiver?.close();
  await simulator?.close();
});

describe('subscriptions on connect', () => {
  it('creates one subscription per busy calendar on the documented mailbox resource, with both URLs and a near-maximum expiry', async () => {
    const subs = await simSubs();
    expect(subs).toHaveLength(user.connection.busyCalendarIds.length);
    const sub = subs.find((s) => s.id === record.subscriptionId)!;
    // The default calendar: "Changes to all events in a user's mailbox: /users/{id}/events".
    expect(sub.resource).toBe(`/users/${user.connection.account.objectId}/events`);
    expect(sub.notificationUrl).toBe(`${app.url}/api/graph/notifications`);
    expect(sub.lifecycleNotificationUrl).toBe(`${app.url}/api/graph/lifecycle`);
    const minutes = (Date.parse(sub.expirationDateTime) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(10_080 - 120);
    expect(minutes).toBeLessThanOrEqual(10_080);
    // 32 random bytes, base64url; only its hash is stored.
    expect(sub.clientState).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(record.clientStateHash).toBe(hashClientState(sub.clientState));
    expect(JSON.stringify(record)).not.toContain(sub.clientState);
  });
});

describe('the connection resource says per calendar whether push sync is live', () => {
  it('is live once the calendar has an active subscription and a synced cache', async () => {
    const view = (await api(app, user.apiKey, 'GET', `connections/${connectionId()}`)).body as { pushSync: unknown[] };
    expect(view.pushSync).toEqual(user.connection.busyCalendarIds.map((id) => expect.objectContaining({ calendarId: id })));
    expect(view.pushSync).toContainEqual({ calendarId, live: true, subscription: 'active', cache: 'synced' });
  });
});

describe('notifications -> delta -> busy cache', () => {
  it('an event added in Outlook reaches the busy cache and emits busy.changed', async () => {
    const created = await sim(app, 'POST', `/users/${user.userPrincipalName}/events`, {
      calendarId,
      subject: 'Dentist',
      start: { dateTime: '2030-01-01T10:00:00', timeZone: 'UTC' },
      end: { dateTime: '2030-01-01T11:00:00', timeZone: 'UTC' },
      showAs: 'busy',
    });
    // Beyond the 90-day window: nothing cached. A near one instead:
    const soon = new Date(Date.now() + 3 * 86_400_000);
    const day = soon.toISOString().slice(0, 10);
    const near = await sim(app, 'POST', `/users/${user.userPrincipalName}/events`, {
      calendarId,
      subject: 'Dentist soon',
      start: { dateTime: `${day}T10:00:00`, timeZone: 'UTC' },
      end: { dateTime: `${day}T11:00:00`, timeZone: 'UTC' },
      showAs: 'busy',
    });
    const row = await waitFor(async () => (await cachedRows()).find((r) => r.eventId === near.id), { message: 'the event in the cache' });
    expect(row.start.toISOString()).toBe(`${day}T10:00:00.000Z`);
    expect(row.end.toISOString()).toBe(`${day}T11:00:00.000Z`);
    expect((await cachedRows()).some((r) => r.eventId === created.id)).toBe(false);
    await waitFor(async () => (await webhookEvents()).find((e) => e.type === 'busy.changed'), { message: 'busy.changed' });

    await sim(app, 'DELETE', `/users/${user.userPrincipalName}/events/${near.id}`);
    await waitFor(async () => !(await cachedRows()).some((r) => r.eventId === near.id), { message: 'the event gone from the cache' });
  });

  it("a booking's event moved and then deleted in Outlook is reported to the booking system", async () => {
    const soon = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
    const body = bookingBody(user, { start: `${soon}T09:00:00`, end: `${soon}T09:30:00`, timeZone: 'UTC' });
    const created = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(created.status).toBe(201);
    const eventId = created.body.eventId ?? created.body.event?.id;
    const row = await waitFor(async () => (await cachedRows()).find((r) => r.bookingRef === `${clientId()}/${body.bookingId}`), { message: 'the booking in the cache' });
    expect(eventId === undefined || row.eventId === eventId).toBe(true);

    await sim(app, 'PATCH', `/users/${user.userPrincipalName}/events/${row.eventId}`, {
      start: { dateTime: `${soon}T13:00:00`, timeZone: 'UTC' },
      end: { dateTime: `${soon}T13:30:00`, timeZone: 'UTC' },
    });
    const moved = await waitFor(
      async () => (await webhookEvents()).find((e) => e.type === 'booking.changed_in_calendar' && e.data.bookingId === body.bookingId),
      { message: 'booking.changed_in_calendar' },
    );
    expect(moved.data).toMatchObject({ change: 'moved', connectionId: connectionId(), start: `${soon}T13:00:00.000Z` });

    await sim(app, 'DELETE', `/users/${user.userPrincipalName}/events/${row.eventId}`);
    await waitFor(
      async () => (await webhookEvents()).find((e) => e.type === 'booking.deleted_in_calendar' && e.data.bookingId === body.bookingId),
      { message: 'booking.deleted_in_calendar' },
    );
    const booking = await app.services.store.bookings.getBooking(clientId(), String(body.bookingId));
    expect(booking?.entity.status).toBe('cancelled');
  });
});

describe('the notification endpoint under a burst', () => {
  // Graph marks an endpoint slow when over 10% of its answers in 10 minutes take more than 3 s, and then
  // delays every notification by 10 minutes (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks).
  it('answers fast enough that Graph keeps judging it normal after 100 notifications and more', { timeout: 120_000 }, async () => {
    const url = `${app.url}/api/graph/notifications`;
    const judged = async () => ((await sim(app, 'GET', '/endpoints')).value as { url: string; state: string; answers: number; over3s: number }[]).find((e) => e.url === url);
    const day = new Date(Date.now() + 4 * 86_400_000).toISOString().slice(0, 10);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        sim(app, 'POST', `/users/${user.userPrincipalName}/events`, {
          calendarId,
          subject: `Burst ${i}`,
          start: { dateTime: `${day}T${String(6 + (i % 12)).padStart(2, '0')}:00:00`, timeZone: 'UTC' },
          end: { dateTime: `${day}T${String(6 + (i % 12)).padStart(2, '0')}:30:00`, timeZone: 'UTC' },
        }),
      ),
    );
    for (let round = 0; ((await judged())?.answers ?? 0) < 100; round += 1) {
      // Edits: several updated notifications each.
      const events = ((await sim(app, 'GET', `/users/${user.userPrincipalName}/calendars/default/events`)).value as { id: string; subject: string }[]).filter((e) => e.subject.startsWith('Burst'));
      await Promise.all(events.slice(0, 10).map((e) => sim(app, 'PATCH', `/users/${user.userPrincipalName}/events/${e.id}`, { subject: `${e.subject}.` })));
      if (round > 20) throw new Error('fewer than 100 notifications were answered');
      await new Promise((r) => setTimeout(r, 200));
    }
    const endpoint = (await judged())!;
    expect(endpoint.state).toBe('normal');
    expect(endpoint.over3s / endpoint.answers).toBeLessThanOrEqual(0.1);
  });
});

describe('lifecycle notifications, raised as Microsoft 365 raises them', () => {
  const lifecycleSent = (event: string, subscriptionId: string) => lifecycleDelivery(app.simulatorUrl, event, subscriptionId);

  it('reauthorizationRequired before the delegated access lapses renews the subscription with one PATCH, and delivery resumes', async () => {
    const before = (await app.services.store.subscriptions.getSubscription(record.subscriptionId))!.entity;
    // Time passes: the access token the subscription was made with nears its end.
    await simControl(app.simulatorUrl, 'POST', '/clock/advance', { minutes: 57 });
    await waitFor(() => lifecycleSent('reauthorizationRequired', record.subscriptionId), { message: 'reauthorizationRequired' });
    const after = await waitFor(async () => {
      const now = (await app.services.store.subscriptions.getSubscription(record.subscriptionId))?.entity;
      return now?.updatedAt && now.updatedAt.getTime() > (before.updatedAt?.getTime() ?? 0) ? now : undefined;
    }, { message: 'the renewal' });
    expect(after.expiresAt.getTime()).toBeGreaterThanOrEqual(before.expiresAt.getTime());
    await waitFor(async () => (await simSubs()).find((s) => s.id === record.subscriptionId && !(s as SimSub & { paused: boolean }).paused), { message: 'delivery resumed' });
  });

  it('missed after notifications were lost marks the cache stale and runs a full resync', async () => {
    const before = (await syncState())!.entity.syncedAt;
    // Notifications for the mailbox are lost: Graph sends missed.
    const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const fault = await sim(app, 'POST', '/faults', { mailbox: user.userPrincipalName, dropNotifications: 1 });
    try {
      await sim(app, 'POST', `/users/${user.userPrincipalName}/events`, {
        calendarId,
        subject: 'Lost notification',
        start: { dateTime: `${day}T15:00:00`, timeZone: 'UTC' },
        end: { dateTime: `${day}T16:00:00`, timeZone: 'UTC' },
      });
      await waitFor(() => lifecycleSent('missed', record.subscriptionId), { message: 'missed' });
    } finally {
      await sim(app, 'DELETE', `/faults/${fault.id}`);
    }
    await waitFor(async () => {
      const state = (await syncState())?.entity;
      return state?.status === 'synced' && state.syncedAt > before;
    }, { message: 'a full resync' });
    // The resync found what the lost notification would have announced.
    await waitFor(async () => (await cachedRows()).find((r) => r.start.toISOString() === `${day}T15:00:00.000Z`), { message: 'the lost event in the cache' });
  });
});

describe('a round that outlives its connection', () => {
  it('a disconnect landing while a full round writes the cache leaves no rows or sync state behind', async () => {
    const other = await connectUser(app, { client: await createTestClient(app) });
    const otherCalendar = other.connection.busyCalendarIds[0]!;
    const state = () => app.services.store.busy.getSyncState(other.connection.id, otherCalendar);
    await waitFor(async () => (await state())?.entity.status === 'synced', { message: "the other connection's first full sync" });
    await sim(app, 'POST', `/users/${other.userPrincipalName}/events`, {
      subject: 'Cached before the disconnect',
      start: { dateTime: `${new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)}T10:00:00`, timeZone: 'UTC' },
      end: { dateTime: `${new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)}T11:00:00`, timeZone: 'UTC' },
      showAs: 'busy',
    });
    // The round's own store: right after it writes the events, the booking system disconnects the
    // connection (the real API call), whose forget of the cache therefore runs between the round's writes.
    const { store } = app.services;
    let disconnected = false;
    const busy = new Proxy(store.busy, {
      get: (target, name) => {
        const value = Reflect.get(target, name) as unknown;
        if (name !== 'writeEvents' || !(value instanceof Function)) return value instanceof Function ? value.bind(target) : value;
        return async (...args: unknown[]) => {
          const written = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          if (!disconnected) {
            disconnected = true;
            expect((await api(app, other.apiKey, 'DELETE', `connections/${other.connection.id}`)).status).toBe(200);
          }
          return written;
        };
      },
    });
    const racingStore = new Proxy(store, { get: (target, name) => (name === 'busy' ? busy : Reflect.get(target, name)) });
    const services = new Proxy(app.services, { get: (target, name) => (name === 'store' ? racingStore : Reflect.get(target, name)) });
    const deps = { ...defaultSyncDeps(app.services), services, settleMs: 0 };
    await syncCalendar(deps, { clientId: other.client.clientId, connectionId: other.connection.id, calendarId: otherCalendar, receivedAt: new Date(), full: true });
    expect(disconnected).toBe(true);
    expect(await state()).toBeNull();
    expect(await app.services.store.busy.listCalendarEvents(other.connection.id, otherCalendar)).toEqual([]);
  });
});

describe('disconnect', () => {
  it('deletes the subscriptions in Graph and here, and forgets the busy cache', async () => {
    const res = await api(app, user.apiKey, 'DELETE', `connections/${connectionId()}`);
    expect(res.status).toBe(200);
    expect(await simSubs()).toEqual([]);
    expect(await listConnectionSubscriptions(app.services, clientId(), connectionId())).toEqual([]);
    expect(await syncState()).toBeNull();
    expect(await cachedRows()).toEqual([]);
  });
});
