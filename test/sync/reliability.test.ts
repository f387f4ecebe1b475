// Reliability under faults: with 20% of Graph requests failing (429 and 503, Retry-After 1 s)
// and 10% of notifications dropped or duplicated, N bookings made through the API and N changes made "in
// Outlook" converge: every booking exists exactly once in Outlook, the busy cache equals the simulator's
// calendar after the next sync, and no change is applied to the wrong connection (a second connection
// under the same faults keeps exactly its own events). N = RELIABILITY_N (500).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createTestClient, type ConnectedUser } from '../support/connect-user.js';
import { addFault, api, bookingBody, calendarEvents, removeFault, sim } from '../bookings/support.js';
import { BOOKING_PROPERTY_ID } from '../../shared/bookings/event-mapping.js';
import { waitFor } from '../support/wait-for.js';

const N = Number(process.env.RELIABILITY_N ?? 500);
const CONCURRENCY = 8;

let app: AppHost;
let alice: ConnectedUser;
let bob: ConnectedUser;
const faults: string[] = [];

async function pool<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  }));
}

const calendarOf = (u: ConnectedUser) => u.connection.busyCalendarIds[0]!;
const state = (u: ConnectedUser) => app.services.store.busy.getSyncState(u.connection.id, calendarOf(u));

async function withFaults(u: ConnectedUser): Promise<void> {
  faults.push(await addFault(app, u, { errorRate: 0.1, status: 429, retryAfterSeconds: 1 }));
  faults.push(await addFault(app, u, { errorRate: 0.1, status: 503, retryAfterSeconds: 1 }));
  faults.push(await addFault(app, u, { dropNotifications: 0.05, duplicateNotifications: 0.05 }));
}

/** The simulator's truth for the cached window: id -> start/end of every event instance. */
async function truth(u: ConnectedUser): Promise<Map<string, string>> {
  const s = (await state(u))!.entity;
  const q = `startDateTime=${s.windowStart.toISOString()}&endDateTime=${s.windowEnd.toISOString()}`;
  const view = (await sim(app, 'GET', `/users/${u.userPrincipalName}/calendars/${encodeURIComponent(calendarOf(u))}/events?${q}`)).value as {
    id: string;
    isCancelled: boolean;
    start: { dateTime: string };
    end: { dateTime: string };
  }[];
  const iso = (d: string) => new Date(`${d.replace(/\.\d+$/, '')}Z`).toISOString();
  return new Map(view.filter((e) => !e.isCancelled).map((e) => [e.id, `${iso(e.start.dateTime)}/${iso(e.end.dateTime)}`]));
}

async function cache(u: ConnectedUser): Promise<Map<string, string>> {
  const rows = await app.services.store.busy.listCalendarEvents(u.connection.id, calendarOf(u));
  return new Map(rows.map((r) => [r.eventId, `${r.start.toISOString()}/${r.end.toISOString()}`]));
}

beforeAll(async () => {
  app = await startAppHost();
  const client = await createTestClient(app);
  alice = await connectUser(app, { client });
  bob = await connectUser(app, { client });
  for (const u of [alice, bob]) await waitFor(async () => (await state(u))?.entity.status === 'synced', { message: 'the first full sync', timeout: 30_000 });
  for (const u of [alice, bob]) await withFaults(u);
}, 60_000);

afterAll(async () => {
  for (const id of faults) await removeFault(app, id);
  await app?.close();
});

describe(`reliability with faults (N=${N})`, () => {
  it('converges: bookings exactly once, the cache equals Outlook, nothing crosses connections', { timeout: 240_000 }, async () => {
    const base = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) + 2 * 86_400_000;
    const slot = (i: number) => new Date(base + i * 3 * 3600_000).toISOString().slice(0, 19);
    const bookingIds: string[] = [];
    const eventOf = new Map<string, string>();

    // N bookings through the API; a booking system retries a 5xx with the same bookingId.
    await pool(Array.from({ length: N }, (_, i) => i), async (i) => {
      const body = bookingBody(alice, { start: slot(i), end: slot(i).replace(/T(\d\d)/, (_m, h: string) => `T${h}`) });
      body.end = new Date(Date.parse(`${slot(i)}Z`) + 45 * 60_000).toISOString().slice(0, 19);
      body.timeZone = 'UTC';
      for (let attempt = 0; attempt < 20; attempt += 1) {
        const res = await api(app, alice.apiKey, 'POST', 'bookings', body);
        if (res.status === 200 || res.status === 201) {
          bookingIds.push(String(body.bookingId));
          if (res.body?.eventId) eventOf.set(String(body.bookingId), res.body.eventId);
          return;
        }
        if (res.status < 500) throw new Error(`booking ${i}: ${res.status} ${JSON.stringify(res.body)}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      throw new Error(`booking ${i} never succeeded`);
    });
    expect(bookingIds).toHaveLength(N);

    // N changes in Outlook: half new events for alice (and a few for bob), half moves of booked events.
    const outlookEvents = Array.from({ length: Math.ceil(N / 2) }, (_, i) => i);
    await pool(outlookEvents, async (i) => {
      const who = i % 10 === 0 ? bob : alice;
      await sim(app, 'POST', `/users/${who.userPrincipalName}/events`, {
        calendarId: calendarOf(who),
        subject: `Outlook ${i}`,
        start: { dateTime: new Date(base + i * 3 * 3600_000 + 3600_000).toISOString().slice(0, 19), timeZone: 'UTC' },
        end: { dateTime: new Date(base + i * 3 * 3600_000 + 5400_000).toISOString().slice(0, 19), timeZone: 'UTC' },
      });
    });
    const aliceEvents = await calendarEvents(app, alice, calendarOf(alice));
    const booked = aliceEvents.filter((e) => e.singleValueExtendedProperties?.some((p) => p.id.toLowerCase() === BOOKING_PROPERTY_ID.toLowerCase()));
    await pool(booked.slice(0, Math.floor(N / 2)), async (e) => {
      const start = Date.parse(`${e.start.dateTime.replace(/\.\d+$/, '')}Z`) + 30 * 60_000;
      await sim(app, 'PATCH', `/users/${alice.userPrincipalName}/events/${e.id}`, {
        start: { dateTime: new Date(start).toISOString().slice(0, 19), timeZone: 'UTC' },
        end: { dateTime: new Date(start + 45 * 60_000).toISOString().slice(0, 19), timeZone: 'UTC' },
      });
    });

    // Faults off, then "the next sync": one more change notifies, and its delta round catches up on
    // whatever dropped notifications left behind.
    for (const id of faults.splice(0)) await removeFault(app, id);
    for (const u of [alice, bob]) {
      const marker = await sim(app, 'POST', `/users/${u.userPrincipalName}/events`, {
        calendarId: calendarOf(u),
        subject: 'next sync',
        start: { dateTime: new Date(base + 3600_000 * 7).toISOString().slice(0, 19), timeZone: 'UTC' },
        end: { dateTime: new Date(base + 3600_000 * 8).toISOString().slice(0, 19), timeZone: 'UTC' },
      });
      await waitFor(async () => (await cache(u)).has(marker.id), { message: 'the marker in the cache', timeout: 60_000 });
    }

    // Every booking exactly once in Outlook.
    const finalEvents = await calendarEvents(app, alice, calendarOf(alice));
    const perBooking = new Map<string, number>();
    for (const e of finalEvents)
      for (const p of e.singleValueExtendedProperties ?? [])
        if (p.id.toLowerCase() === BOOKING_PROPERTY_ID.toLowerCase()) perBooking.set(p.value, (perBooking.get(p.value) ?? 0) + 1);
    expect(perBooking.size).toBe(N);
    expect([...perBooking.values()].every((n) => n === 1)).toBe(true);
    for (const id of bookingIds) expect(perBooking.get(`${alice.client.clientId}/${id}`)).toBe(1);

    // The cache equals the simulator's truth, per connection, and holds nothing of the other one.
    for (const u of [alice, bob]) {
      await waitFor(async () => {
        const [t, c] = [await truth(u), await cache(u)];
        return t.size === c.size && [...t].every(([id, span]) => c.get(id) === span);
      }, { message: 'the cache to equal Outlook', timeout: 60_000 });
    }
    const aliceIds = new Set((await calendarEvents(app, alice, calendarOf(alice))).map((e) => e.id));
    const bobIds = new Set((await calendarEvents(app, bob, calendarOf(bob))).map((e) => e.id));
    for (const id of (await cache(alice)).keys()) expect(bobIds.has(id)).toBe(false);
    for (const id of (await cache(bob)).keys()) expect(aliceIds.has(id)).toBe(false);
    expect((await cache(bob)).size).toBeGreaterThan(0);
  });
});
