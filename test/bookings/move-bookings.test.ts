// Moving future bookings, end to end over real HTTP (the app on the local host, Azurite, a simulator of this
// file's own, real MSAL and Graph client): a booking-calendar switch with `moveFutureBookings`, and a
// person's new connection (another Microsoft account, same externalUserId) adopting the old one's bookings.
// Each booking keeps its id and ends as exactly one event, in the new calendar, with what the old event
// carried; the busy cache of both calendars follows; the booking system gets connection.bookings_moved.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppHost } from '../support/app-host.js';
import { connectUser, type TestClient } from '../support/connect-user.js';
import type { WebhookReceiver } from '../sync/support.js';
import { waitFor } from '../support/wait-for.js';
import { addFault, api, book, bookingsMovedHook, calendarEvents, day, newCalendar, removeFault, startBookingWorld, withBookingRef, type BookingWorld } from './support.js';

let world: BookingWorld;
let app: AppHost;
let receiver: WebhookReceiver;
let client: TestClient;

beforeAll(async () => {
  world = await startBookingWorld();
  ({ app, receiver, client } = world);
}, 90_000);

afterAll(async () => {
  await world?.close();
});

describe('switching the booking calendar with moveFutureBookings', () => {
  it('moves each future booking exactly once, keeps its id and details, and leaves past bookings and both busy caches right', { timeout: 150_000 }, async () => {
    const user = await connectUser(app, { client });
    const oldCalendar = user.connection.bookingCalendarId!;
    const target = await newCalendar(app, user.userPrincipalName, 'Appointments');
    const both = await api(app, user.apiKey, 'PATCH', `connections/${user.connection.id}`, { busyCalendarIds: [oldCalendar, target] });
    expect(both.status, JSON.stringify(both.body)).toBe(200);
    const synced = (calendarId: string) => app.services.store.busy.getSyncState(user.connection.id, calendarId);
    await waitFor(async () => (await synced(oldCalendar))?.entity.status === 'synced' && (await synced(target))?.entity.status === 'synced', {
      message: 'both calendars synced',
      timeout: 45_000,
    });

    const future = [
      await book(app, user, { start: `${day(2)}T09:00:00`, end: `${day(2)}T09:30:00`, attendees: [{ email: 'guest@example.com', name: 'Guest' }] }),
      await book(app, user, { start: `${day(3)}T10:00:00`, end: `${day(3)}T10:45:00` }),
      await book(app, user, { start: `${day(4)}T11:00:00`, end: `${day(4)}T11:15:00` }),
    ];
    const past = await book(app, user, { start: `${day(-2)}T09:00:00`, end: `${day(-2)}T09:30:00` });
    // The old cache holds the bookings before the move.
    await waitFor(async () => (await app.services.store.busy.listCalendarEvents(user.connection.id, oldCalendar)).filter((r) => future.some((f) => f.eventId === r.eventId)).length === 3, {
      message: 'the old calendar cache to hold the bookings',
      timeout: 30_000,
    });

    const patched = await api(app, user.apiKey, 'PATCH', `connections/${user.connection.id}`, { bookingCalendarId: target, moveFutureBookings: true });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.bookingCalendarId).toBe(target);
    expect(patched.body.move).toMatchObject({ state: 'running', kind: 'calendar', fromCalendarId: oldCalendar, toCalendarId: target, moved: 0 });
    expect(patched.body.move.cursor).toBeUndefined(); // the worker's state stays inside
    const moveId = String(patched.body.move.id);

    const hook = await bookingsMovedHook(receiver, user.connection.id, moveId);
    expect(hook.data).toMatchObject({ kind: 'calendar', total: 3, moved: 3, failed: 0, leftInOldCalendar: 0, failedBookingIds: [] });
    const view = await api(app, user.apiKey, 'GET', `connections/${user.connection.id}`);
    expect(view.body.move).toMatchObject({ id: moveId, state: 'done', total: 3, moved: 3, failed: 0 });

    const oldEvents = await calendarEvents(app, user, oldCalendar);
    const newEvents = await calendarEvents(app, user, target);
    for (const f of future) {
      expect(withBookingRef(oldEvents, user.client.clientId, f.bookingId)).toHaveLength(0);
      const copies = withBookingRef(newEvents, user.client.clientId, f.bookingId);
      expect(copies).toHaveLength(1);
      const booking = await api(app, user.apiKey, 'GET', `bookings/${f.bookingId}`);
      expect(booking.status).toBe(200);
      expect(booking.body).toMatchObject({ bookingId: f.bookingId, status: 'confirmed', calendarId: target, eventId: copies[0]!.id });
      expect(copies[0]!.id).not.toBe(f.eventId);
    }
    const withGuest = withBookingRef(newEvents, user.client.clientId, future[0]!.bookingId)[0]!;
    expect(withGuest.subject).toBe('Haircut with Sam');
    expect(withGuest.attendees?.map((a) => a.emailAddress.address)).toEqual(['guest@example.com']);
    expect(withGuest.start.dateTime.startsWith(`${day(2)}T09:00:00`)).toBe(true);
    // The past booking stayed where it was.
    expect(withBookingRef(oldEvents, user.client.clientId, past.bookingId)).toHaveLength(1);

    // Busy caches: the old events leave the old calendar's, the copies arrive in the new one's.
    await waitFor(
      async () => {
        const oldRows = await app.services.store.busy.listCalendarEvents(user.connection.id, oldCalendar);
        const newRows = await app.services.store.busy.listCalendarEvents(user.connection.id, target);
        const copyIds = newEvents.filter((e) => future.some((f) => withBookingRef([e], user.client.clientId, f.bookingId).length)).map((e) => e.id);
        return !oldRows.some((r) => future.some((f) => f.eventId === r.eventId)) && copyIds.every((id) => newRows.some((r) => r.eventId === id));
      },
      { message: 'both busy caches to follow the move', timeout: 45_000 },
    );

    // The moved booking is an ordinary booking of its new calendar: it can be changed and cancelled.
    const changed = await api(app, user.apiKey, 'PATCH', `bookings/${future[1]!.bookingId}`, { subject: 'Moved and renamed' });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(withBookingRef(await calendarEvents(app, user, target), user.client.clientId, future[1]!.bookingId)[0]!.subject).toBe('Moved and renamed');
    const cancelled = await api(app, user.apiKey, 'DELETE', `bookings/${future[2]!.bookingId}`);
    expect(cancelled.status).toBe(200);
    expect(withBookingRef(await calendarEvents(app, user, target), user.client.clientId, future[2]!.bookingId)).toHaveLength(0);
    // No webhook took the move for a deletion in Outlook.
    expect(receiver.events.filter((e) => e.type === 'booking.deleted_in_calendar' && future.some((f) => f.bookingId === e.data.bookingId))).toEqual([]);
  });

  it('refuses a move without a new calendar, and a second move while one runs', { timeout: 90_000 }, async () => {
    const user = await connectUser(app, { client });
    const first = await newCalendar(app, user.userPrincipalName, 'First');
    const second = await newCalendar(app, user.userPrincipalName, 'Second');
    const bare = await api(app, user.apiKey, 'PATCH', `connections/${user.connection.id}`, { moveFutureBookings: true });
    expect(bare.status).toBe(400);
    expect(bare.body).toMatchObject({ code: 'invalid_field', field: 'moveFutureBookings' });

    await book(app, user, { start: `${day(2)}T09:00:00`, end: `${day(2)}T09:30:00` });
    // Hold the move inside its first Graph read, so it is still running when the second request comes.
    const slow = await addFault(app, user, { endpoint: 'GET /users/{user}/calendars/{calendarId}/events', latencyMs: 4_000, remaining: 1 });
    const started = await api(app, user.apiKey, 'PATCH', `connections/${user.connection.id}`, { bookingCalendarId: first, moveFutureBookings: true });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const again = await api(app, user.apiKey, 'PATCH', `connections/${user.connection.id}`, { bookingCalendarId: second, moveFutureBookings: true });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'booking_move_in_progress', moveId: started.body.move.id });
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    await bookingsMovedHook(receiver, user.connection.id, String(started.body.move.id));
    await removeFault(app, slow);
    // Refused means unchanged: the booking calendar is still the first move's.
    expect((await api(app, user.apiKey, 'GET', `connections/${user.connection.id}`)).body.bookingCalendarId).toBe(first);
  });
});

describe('adopting the bookings of the same person\'s earlier connection', () => {
  it('moves them to the new account\'s booking calendar, and checks who may adopt what', { timeout: 120_000 }, async () => {
    const externalUserId = `staff-move-${Date.now().toString(36)}`;
    const oldUser = await connectUser(app, { client, externalUserId });
    const bookings = [
      await book(app, oldUser, { start: `${day(5)}T08:00:00`, end: `${day(5)}T08:30:00` }),
      await book(app, oldUser, { start: `${day(6)}T08:00:00`, end: `${day(6)}T08:30:00` }),
    ];
    const newUser = await connectUser(app, { client, externalUserId });
    expect(newUser.connection.id).not.toBe(oldUser.connection.id);
    const stranger = await connectUser(app, { client });

    const refusals = [
      { path: `connections/${newUser.connection.id}/adopt-bookings`, body: { fromConnectionId: stranger.connection.id }, status: 400, code: 'invalid_field' },
      { path: `connections/${newUser.connection.id}/adopt-bookings`, body: { fromConnectionId: newUser.connection.id }, status: 400, code: 'invalid_field' },
      { path: `connections/${newUser.connection.id}/adopt-bookings`, body: { fromConnectionId: '00000000-0000-4000-8000-000000000000' }, status: 404, code: 'connection_not_found' },
      { path: `connections/${newUser.connection.id}/adopt-bookings`, body: {}, status: 400, code: 'invalid_field' },
    ];
    for (const r of refusals) {
      const res = await api(app, newUser.apiKey, 'POST', r.path, r.body);
      expect(res.status, JSON.stringify(res.body)).toBe(r.status);
      expect(res.body).toMatchObject({ code: r.code });
      if (r.code !== 'invalid_field' || 'fromConnectionId' in r.body) expect(res.body.field).toBe('fromConnectionId');
    }

    const adopted = await api(app, newUser.apiKey, 'POST', `connections/${newUser.connection.id}/adopt-bookings`, { fromConnectionId: oldUser.connection.id });
    expect(adopted.status, JSON.stringify(adopted.body)).toBe(202);
    expect(adopted.body.move).toMatchObject({ state: 'running', kind: 'account', fromConnectionId: oldUser.connection.id });
    const hook = await bookingsMovedHook(receiver, newUser.connection.id, String(adopted.body.move.id));
    expect(hook.data).toMatchObject({ kind: 'account', total: 2, moved: 2, failed: 0, leftInOldCalendar: 0 });

    const oldEvents = await calendarEvents(app, oldUser);
    const newEvents = await calendarEvents(app, newUser, newUser.connection.bookingCalendarId);
    for (const b of bookings) {
      expect(withBookingRef(oldEvents, client.client.clientId, b.bookingId)).toHaveLength(0);
      const copies = withBookingRef(newEvents, client.client.clientId, b.bookingId);
      expect(copies).toHaveLength(1);
      const view = await api(app, newUser.apiKey, 'GET', `bookings/${b.bookingId}`);
      expect(view.body).toMatchObject({ status: 'confirmed', connectionId: newUser.connection.id, eventId: copies[0]!.id });
    }
    // The old connection may now go: the bookings live on in the new one and stay writable.
    expect((await api(app, oldUser.apiKey, 'DELETE', `connections/${oldUser.connection.id}`)).status).toBe(200);
    const changed = await api(app, newUser.apiKey, 'PATCH', `bookings/${bookings[0]!.bookingId}`, { subject: 'After the account switch' });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
  });

  it('still moves the bookings of a disconnected connection, from what the booking row holds, and counts the old events left behind', { timeout: 120_000 }, async () => {
    const externalUserId = `staff-gone-${Date.now().toString(36)}`;
    const oldUser = await connectUser(app, { client, externalUserId });
    const b = await book(app, oldUser, { subject: 'Kept across accounts', start: `${day(7)}T13:00:00`, end: `${day(7)}T13:30:00` });
    expect((await api(app, oldUser.apiKey, 'DELETE', `connections/${oldUser.connection.id}`)).status).toBe(200);
    // Today's answer for such a booking: read-only.
    const refused = await api(app, oldUser.apiKey, 'PATCH', `bookings/${b.bookingId}`, { subject: 'x' });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('connection_not_active');

    const newUser = await connectUser(app, { client, externalUserId });
    const adopted = await api(app, newUser.apiKey, 'POST', `connections/${newUser.connection.id}/adopt-bookings`, { fromConnectionId: oldUser.connection.id });
    expect(adopted.status, JSON.stringify(adopted.body)).toBe(202);
    const hook = await bookingsMovedHook(receiver, newUser.connection.id, String(adopted.body.move.id));
    expect(hook.data).toMatchObject({ total: 1, moved: 1, failed: 0, leftInOldCalendar: 1 });
    const copies = withBookingRef(await calendarEvents(app, newUser, newUser.connection.bookingCalendarId), client.client.clientId, b.bookingId);
    expect(copies).toHaveLength(1);
    expect(copies[0]!.subject).toBe('Kept across accounts');
    expect(copies[0]!.start.dateTime.startsWith(`${day(7)}T13:00:00`)).toBe(true);
    const writable = await api(app, newUser.apiKey, 'PATCH', `bookings/${b.bookingId}`, { subject: 'Writable again' });
    expect(writable.status, JSON.stringify(writable.body)).toBe(200);
  });
});
