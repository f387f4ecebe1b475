// Every Outlook-side change to a booking reaches the booking system, end to end over real HTTP (the whole
// app on the local host, Azurite, a simulator of this file's own, real MSAL): a move or delete in the same
// delta round as the create, a booking far beyond the busy cache's window, an attendee or a room that
// declines; and sync messages of connections that need re-auth or are gone complete without failing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/server.js';
import { SEED_ROOMS } from '../../dev/simulator/seed.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createSimUser, createTestClient, type ConnectedUser, type TestClient } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';
import { api, bookingBody, sim } from '../bookings/support.js';
import { startWebhookReceiver, type WebhookReceiver } from './support.js';
import { waitFor } from '../support/wait-for.js';

let simulator: RunningSimulator;
let app: AppHost;
let receiver: WebhookReceiver;
let client: TestClient;
let user: ConnectedUser;
const hostLog: string[] = [];

const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
const syncState = (u: ConnectedUser) => app.services.store.busy.getSyncState(u.connection.id, u.connection.busyCalendarIds[0]!);
const hooks = (bookingId: string, type: string) => receiver.events.filter((e) => e.type === type && e.data.bookingId === bookingId);
const hook = (bookingId: string, type: string) => waitFor(async () => hooks(bookingId, type)[0], { message: `${type} for ${bookingId}`, timeout: 30_000 });
const outlook = (u: ConnectedUser, method: string, eventId: string, body?: unknown) =>
  sim(app, method, `/users/${encodeURIComponent(u.userPrincipalName)}/events/${encodeURIComponent(eventId)}`, body);

async function book(u: ConnectedUser, fields: Record<string, unknown>): Promise<{ bookingId: string; eventId: string }> {
  const body = bookingBody(u, { timeZone: 'UTC', ...fields });
  const created = await api(app, u.apiKey, 'POST', 'bookings', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { bookingId: String(body.bookingId), eventId: String(created.body.eventId) };
}

beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
  receiver = await startWebhookReceiver();
  app = await startAppHost({ simulatorUrl: simulator.url, log: (line) => hostLog.push(line) });
  client = await createTestClient(app, { webhookUrl: receiver.url });
  user = await connectUser(app, { client });
  await waitFor(async () => (await syncState(user))?.entity.status === 'synced', { message: 'the first full sync', timeout: 30_000 });
}, 90_000);

afterAll(async () => {
  await app?.close();
  await receiver?.close();
  await simulator?.close();
});

describe('Outlook-side changes to bookings', () => {
  it('reports a move or a delete made right after the create, in the same delta round, and cancels the deleted booking', { timeout: 90_000 }, async () => {
    // The change lands while the create's own notification is still settling: one round sees both.
    const made: { bookingId: string; eventId: string; change: 'move' | 'delete'; hour: number }[] = [];
    for (let i = 0; i < 4; i += 1) {
      const hour = 8 + i;
      const hh = String(hour).padStart(2, '0');
      const b = await book(user, { start: `${day(3)}T${hh}:00:00`, end: `${day(3)}T${hh}:30:00` });
      const change = i % 2 === 0 ? 'move' : 'delete';
      if (change === 'move') {
        await outlook(user, 'PATCH', b.eventId, {
          start: { dateTime: `${day(4)}T${hh}:00:00`, timeZone: 'UTC' },
          end: { dateTime: `${day(4)}T${hh}:45:00`, timeZone: 'UTC' },
        });
      } else await outlook(user, 'DELETE', b.eventId);
      made.push({ ...b, change, hour });
    }
    for (const m of made) {
      if (m.change === 'move') {
        const moved = await hook(m.bookingId, 'booking.changed_in_calendar');
        expect(moved.data).toMatchObject({ change: 'moved', eventId: m.eventId, start: `${day(4)}T${String(m.hour).padStart(2, '0')}:00:00.000Z` });
        const view = await api(app, user.apiKey, 'GET', `bookings/${m.bookingId}`);
        expect(view.body.status).toBe('confirmed');
      } else {
        await hook(m.bookingId, 'booking.deleted_in_calendar');
        const view = await api(app, user.apiKey, 'GET', `bookings/${m.bookingId}`);
        expect(view.body.status).toBe('cancelled');
      }
    }
  });

  it('a reported Outlook move still refuses a PATCH without force: the row keeps the version this service wrote', { timeout: 90_000 }, async () => {
    const b = await book(user, { start: `${day(5)}T08:00:00`, end: `${day(5)}T08:30:00` });
    await outlook(user, 'PATCH', b.eventId, {
      start: { dateTime: `${day(5)}T14:00:00`, timeZone: 'UTC' },
      end: { dateTime: `${day(5)}T14:30:00`, timeZone: 'UTC' },
    });
    await hook(b.bookingId, 'booking.changed_in_calendar');
    const row = async () => (await app.services.store.bookings.require(client.client.clientId, b.bookingId)).entity;
    await waitFor(async () => (await row()).start?.toISOString() === `${day(5)}T14:00:00.000Z` || undefined, { message: 'the move recorded on the booking', timeout: 30_000 });

    const read = await api(app, user.apiKey, 'GET', `bookings/${b.bookingId}`);
    expect(read.body.event).toMatchObject({ changedInCalendar: true });
    const refused = await api(app, user.apiKey, 'PATCH', `bookings/${b.bookingId}`, { subject: 'Overwrite?' });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('event_changed_in_calendar');
  });

  it('reports a move and a delete of a booking far beyond the busy cache window', { timeout: 90_000 }, async () => {
    const b = await book(user, { start: `${day(200)}T10:00:00`, end: `${day(200)}T11:00:00` });
    await outlook(user, 'PATCH', b.eventId, {
      start: { dateTime: `${day(201)}T14:00:00`, timeZone: 'UTC' },
      end: { dateTime: `${day(201)}T15:00:00`, timeZone: 'UTC' },
    });
    const moved = await hook(b.bookingId, 'booking.changed_in_calendar');
    expect(moved.data).toMatchObject({ change: 'moved', start: `${day(201)}T14:00:00.000Z`, end: `${day(201)}T15:00:00.000Z` });

    await outlook(user, 'DELETE', b.eventId);
    await hook(b.bookingId, 'booking.deleted_in_calendar');
    expect((await api(app, user.apiKey, 'GET', `bookings/${b.bookingId}`)).body.status).toBe('cancelled');
  });

  it('reports a required attendee and a room that decline, once each', { timeout: 90_000 }, async () => {
    const guest = await createSimUser(app.simulatorUrl);
    const room = SEED_ROOMS.adams.userPrincipalName;
    const b = await book(user, {
      start: `${day(6)}T09:00:00`,
      end: `${day(6)}T10:00:00`,
      attendees: [
        { email: guest.userPrincipalName, type: 'required' },
        { email: room, type: 'resource' },
      ],
    });
    const upn = encodeURIComponent(user.userPrincipalName);
    await sim(app, 'POST', `/users/${upn}/events/${encodeURIComponent(b.eventId)}/responses`, { attendee: guest.userPrincipalName, response: 'declined' });
    const first = await hook(b.bookingId, 'booking.declined_in_calendar');
    expect(first.data).toMatchObject({ eventId: b.eventId, declinedBy: [{ email: guest.userPrincipalName, type: 'required' }] });

    await sim(app, 'POST', `/users/${upn}/events/${encodeURIComponent(b.eventId)}/responses`, { attendee: room, response: 'declined' });
    await waitFor(async () => hooks(b.bookingId, 'booking.declined_in_calendar').length >= 2 || undefined, { message: 'the room decline', timeout: 30_000 });
    const second = hooks(b.bookingId, 'booking.declined_in_calendar')[1]!;
    expect(second.data).toMatchObject({ declinedBy: [{ email: room, type: 'resource' }] });

    // An unrelated change later reports nothing new about the declines.
    await outlook(user, 'PATCH', b.eventId, { subject: 'Renamed in Outlook' });
    const before = (await syncState(user))!.entity.syncedAt.getTime();
    await waitFor(async () => (await syncState(user))!.entity.syncedAt.getTime() > before || undefined, { message: 'a round after the rename', timeout: 30_000 });
    expect(hooks(b.bookingId, 'booking.declined_in_calendar')).toHaveLength(2);
    expect(hooks(b.bookingId, 'booking.changed_in_calendar')).toHaveLength(0);
  });

  it('shows a room that accepts later, and a PATCH after that answer still goes through', { timeout: 60_000 }, async () => {
    const room = SEED_ROOMS.adams.mail;
    const b = await book(user, { start: `${day(8)}T09:00:00`, end: `${day(8)}T10:00:00`, attendees: [{ email: room, type: 'resource' }] });
    const roomResponse = async () => {
      const view = await api(app, user.apiKey, 'GET', `bookings/${b.bookingId}`);
      return (view.body.event?.attendees as { email: string; response?: string }[] | undefined)?.find((a) => a.email === room)?.response;
    };
    expect(await roomResponse()).toBe('none');
    await waitFor(async () => (await roomResponse()) === 'accepted' || undefined, { message: 'the room accepting', timeout: 30_000 });
    // The answer changed the organizer's event (a new change key) but nothing the booking wrote.
    const patched = await api(app, user.apiKey, 'PATCH', `bookings/${b.bookingId}`, { subject: 'Renamed by the booking system' });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(hooks(b.bookingId, 'booking.declined_in_calendar')).toEqual([]);
  });

  it('reports a room that declines after processing the request, because it is busy at that time', { timeout: 60_000 }, async () => {
    const room = SEED_ROOMS.rainier.userPrincipalName;
    await book(user, { start: `${day(7)}T09:00:00`, end: `${day(7)}T10:00:00`, attendees: [{ email: room, type: 'resource' }] });
    const b = await book(user, { start: `${day(7)}T09:30:00`, end: `${day(7)}T10:30:00`, attendees: [{ email: room, type: 'resource' }] });
    const declined = await hook(b.bookingId, 'booking.declined_in_calendar');
    expect(declined.data).toMatchObject({ declinedBy: [{ email: room, type: 'resource' }] });
  });
});

describe('expected outcomes are not failures', () => {
  const failed = () => hostLog.filter((l) => l.includes("Executed 'syncCalendars' (Failed"));
  const completed = (u: ConnectedUser, reason: string) =>
    waitFor(async () => hostLog.some((l) => / info {2}/.test(l) && l.includes(`connection ${u.connection.id} completed: ${reason}`)), { message: `a completed message of ${reason}`, timeout: 60_000 });

  it('completes the sync messages of a connection that needs re-auth, and of one that is disconnected', { timeout: 150_000 }, async () => {
    const lapsed = await connectUser(app, { client });
    const gone = await connectUser(app, { client });
    for (const u of [lapsed, gone]) await waitFor(async () => (await syncState(u))?.entity.status === 'synced', { message: 'the first full sync', timeout: 30_000 });
    const failedBefore = failed().length;

    // Needs re-auth: the user signs out everywhere and the access token runs out; then Outlook notifies.
    await simControl(app.simulatorUrl, 'POST', `/users/${encodeURIComponent(lapsed.userPrincipalName)}/revoke-sign-in-sessions`);
    await simControl(app.simulatorUrl, 'POST', '/clock/advance', { minutes: 65 });
    const add = (u: ConnectedUser) =>
      sim(app, 'POST', `/users/${encodeURIComponent(u.userPrincipalName)}/events`, {
        subject: 'Outlook event',
        start: { dateTime: `${day(2)}T10:00:00`, timeZone: 'UTC' },
        end: { dateTime: `${day(2)}T11:00:00`, timeZone: 'UTC' },
      });
    await add(lapsed);
    // Disconnected while its notification is on the queue.
    await add(gone);
    expect((await api(app, gone.apiKey, 'DELETE', `connections/${gone.connection.id}`)).status).toBeLessThan(300);

    await waitFor(async () => (await api(app, lapsed.apiKey, 'GET', `connections/${lapsed.connection.id}`)).body.status === 'needs_reauth', { message: 'needs_reauth', timeout: 30_000 });
    // A failed attempt is logged before the retry that would complete it, so none may precede these.
    await completed(lapsed, 'connection_needs_reauth');
    await completed(gone, 'connection_not_active');
    expect(failed().slice(failedBefore)).toEqual([]);
  });
});
