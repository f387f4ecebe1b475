// Bookings through the local host over real HTTP, against Azurite and the simulator, with the real MSAL
// and Graph client: exactly-once creates (retries, concurrency, a timeout after Graph created the event),
// reschedules guarded by the event's etag, idempotent cancels, and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOKING_PROPERTY_ID, transactionIdFor } from '../../shared/bookings/event-mapping.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, type ConnectedUser } from '../support/connect-user.js';
import { addFault, api, bookingBody, calendarEvents, mailboxCounters, removeFault, UTC, withBookingRef } from './support.js';

let app: AppHost;
let user: ConnectedUser;

beforeAll(async () => {
  app = await startAppHost();
  user = await connectUser(app);
});
afterAll(async () => {
  await app?.close();
});

const POST_EVENTS = 'POST /users/{user}/calendars/{calendarId}/events';
const calendarOf = () => user.connection.bookingCalendarId ?? 'default';
const clientId = () => user.client.clientId;

describe('POST /api/bookings', () => {
  it('creates one Outlook event with the transactionId, our extended property, reminder and zone', async () => {
    const body = bookingBody(user, { reminderMinutes: 30, categories: ['Salon'], showAs: 'busy' });
    const res = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      bookingId: body.bookingId,
      connectionId: user.connection.id,
      status: 'confirmed',
      eventId: expect.any(String),
      webLink: expect.stringContaining('outlook'),
      etag: expect.any(String),
      start: '2030-05-06T08:00:00Z', // London is on BST in May
      end: '2030-05-06T08:45:00Z',
    });
    const events = withBookingRef(await calendarEvents(app, user, calendarOf()), clientId(), body.bookingId as string);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event!.id).toBe(res.body.eventId);
    expect(event!.transactionId).toBe(transactionIdFor(clientId(), body.bookingId as string));
    expect(event!.singleValueExtendedProperties).toContainEqual({ id: BOOKING_PROPERTY_ID, value: `${clientId()}/${body.bookingId}` });
    expect(event!.originalStartTimeZone).toBe('GMT Standard Time');
    expect(UTC(event!.start.dateTime)).toBe('2030-05-06T08:00:00.000Z');
    expect(event).toMatchObject({ isReminderOn: true, reminderMinutesBeforeStart: 30, showAs: 'busy', subject: 'Haircut with Sam' });
  });

  it('answers the same bookingId again with the same event (200), and another payload with 409 booking_id_conflict', async () => {
    const body = bookingBody(user);
    const first = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(first.status).toBe(201);
    const again = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(again.status).toBe(200);
    expect(again.body.eventId).toBe(first.body.eventId);
    const other = await api(app, user.apiKey, 'POST', 'bookings', { ...body, subject: 'Something else' });
    expect(other.status).toBe(409);
    expect(other.headers.get('content-type')).toContain('application/problem+json');
    expect(other.body).toMatchObject({ code: 'booking_id_conflict', field: 'bookingId' });
    expect(withBookingRef(await calendarEvents(app, user, calendarOf()), clientId(), body.bookingId as string)).toHaveLength(1);
  });

  it('makes exactly one event, with one Graph request, for 20 concurrent identical POSTs', async () => {
    const body = bookingBody(user, { reminderMinutes: null });
    const before = (await mailboxCounters(app, user))[POST_EVENTS] ?? 0;
    const answers = await Promise.all(Array.from({ length: 20 }, () => api(app, user.apiKey, 'POST', 'bookings', body)));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(19);
    expect(new Set(answers.map((a) => a.body.eventId)).size).toBe(1);
    expect(withBookingRef(await calendarEvents(app, user, calendarOf()), clientId(), body.bookingId as string)).toHaveLength(1);
    expect((await mailboxCounters(app, user))[POST_EVENTS] ?? 0).toBe(before + 1);
  });

  it('returns the single event on a retry after a timeout that came after Graph had created it', async () => {
    // A short Graph deadline for this test only (the services, and their in-memory secrets, stay the same).
    const config = app.services.config;
    const saved = config.graphTimeoutMs;
    config.graphTimeoutMs = 400;
    const fault = await addFault(app, user, { endpoint: POST_EVENTS, latencyMs: 1500, remaining: 1 });
    try {
      const body = bookingBody(user);
      const first = await api(app, user.apiKey, 'POST', 'bookings', body);
      expect(first.status).toBe(504);
      expect(first.body).toMatchObject({ code: 'graph_timeout' });
      // The simulator finishes the delayed POST after our client gave up: the event exists in Outlook.
      await expect.poll(async () => withBookingRef(await calendarEvents(app, user, calendarOf()), clientId(), body.bookingId as string).length, { timeout: 5000 }).toBe(1);
      const pending = await api(app, user.apiKey, 'GET', `bookings/${body.bookingId}`);
      expect(pending.body.status).toBe('pending');

      const retry = await api(app, user.apiKey, 'POST', 'bookings', body);
      expect(retry.status).toBe(201);
      const events = withBookingRef(await calendarEvents(app, user, calendarOf()), clientId(), body.bookingId as string);
      expect(events).toHaveLength(1);
      expect(retry.body).toMatchObject({ status: 'confirmed', eventId: events[0]!.id });
      expect((await api(app, user.apiKey, 'POST', 'bookings', body)).body.eventId).toBe(events[0]!.id);
    } finally {
      await removeFault(app, fault);
      config.graphTimeoutMs = saved;
    }
  });

  it('keeps a pending row after a Graph 5xx (502), and the retry creates exactly one event', async () => {
    const fault = await addFault(app, user, { endpoint: POST_EVENTS, errorRate: 1, status: 504, retryAfterSeconds: 0, remaining: 4 });
    const body = bookingBody(user);
    try {
      const first = await api(app, user.apiKey, 'POST', 'bookings', body);
      expect(first.status).toBe(502);
      expect(first.body).toMatchObject({ code: 'graph_error' });
    } finally {
      await removeFault(app, fault);
    }
    expect((await api(app, user.apiKey, 'GET', `bookings/${body.bookingId}`)).body.status).toBe('pending');
    const retry = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(retry.status).toBe(201);
    expect(withBookingRef(await calendarEvents(app, user, calendarOf()), clientId(), body.bookingId as string)).toHaveLength(1);
  });

  it('answers throttling beyond retries with 503 and Retry-After, and leaves no booking row behind', async () => {
    const fault = await addFault(app, user, { endpoint: POST_EVENTS, errorRate: 1, status: 429, retryAfterSeconds: 1, remaining: 4 });
    const body = bookingBody(user);
    try {
      const res = await api(app, user.apiKey, 'POST', 'bookings', body);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'graph_throttled' });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      await removeFault(app, fault);
    }
    const after = await api(app, user.apiKey, 'GET', `bookings/${body.bookingId}`);
    expect(after.status).toBe(404);
    expect(withBookingRef(await calendarEvents(app, user, calendarOf()), clientId(), body.bookingId as string)).toHaveLength(0);
  });

  it.each([
    [{ subject: undefined }, 'subject'],
    [{ end: '2030-05-06T08:00:00' }, 'end'],
    [{ start: 'tomorrow' }, 'start'],
    [{ timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
    [{ bookingId: 'has spaces' }, 'bookingId'],
    [{ attendees: [{ email: 'not-an-email' }] }, 'attendees.0.email'],
    [{ end: '2030-09-06T09:00:00' }, 'end'],
    [{ reminderMinutes: -5 }, 'reminderMinutes'],
  ])('refuses bad input %j with 400 naming %s', async (overrides, field) => {
    const res = await api(app, user.apiKey, 'POST', 'bookings', bookingBody(user, overrides));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.field).toBe(field);
  });

  it('answers an unknown connection with 404 naming connectionId, and no API key with 401', async () => {
    const unknown = await api(app, user.apiKey, 'POST', 'bookings', bookingBody(user, { connectionId: 'no-such-connection' }));
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'connection_not_found', field: 'connectionId' });
    expect((await api(app, null, 'POST', 'bookings', bookingBody(user))).status).toBe(401);
    expect((await api(app, user.apiKey, 'GET', 'bookings/never-created')).status).toBe(404);
  });
});

describe('PATCH /api/bookings/{bookingId}', () => {
  it('reschedules the event, and refuses with 409 and the current state after a change in Outlook unless forced', async () => {
    const body = bookingBody(user);
    const created = await api(app, user.apiKey, 'POST', 'bookings', body);
    const moved = await api(app, user.apiKey, 'PATCH', `bookings/${body.bookingId}`, { start: '2030-05-07T10:00:00', end: '2030-05-07T11:00:00' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ start: '2030-05-07T09:00:00Z', end: '2030-05-07T10:00:00Z' });
    expect(moved.body.etag).not.toBe(created.body.etag);
    let [event] = withBookingRef(await calendarEvents(app, user, calendarOf()), clientId(), body.bookingId as string);
    expect(UTC(event!.start.dateTime)).toBe('2030-05-07T09:00:00.000Z');

    // The user renames it in Outlook.
    await fetch(`${app.simulatorUrl}/_sim/graph/users/${user.userPrincipalName}/events/${event!.id}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ subject: 'Renamed in Outlook' }),
    });
    const refused = await api(app, user.apiKey, 'PATCH', `bookings/${body.bookingId}`, { subject: 'Beard trim' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'event_changed_in_calendar', current: { subject: 'Renamed in Outlook', changedInCalendar: true } });
    [event] = withBookingRef(await calendarEvents(app, user, calendarOf()), clientId(), body.bookingId as string);
    expect(event!.subject).toBe('Renamed in Outlook');

    const forced = await api(app, user.apiKey, 'PATCH', `bookings/${body.bookingId}`, { subject: 'Beard trim', force: true });
    expect(forced.status).toBe(200);
    [event] = withBookingRef(await calendarEvents(app, user, calendarOf()), clientId(), body.bookingId as string);
    expect(event!.subject).toBe('Beard trim');
    const read = await api(app, user.apiKey, 'GET', `bookings/${body.bookingId}`);
    expect(read.body).toMatchObject({ status: 'confirmed', subject: 'Beard trim', event: { subject: 'Beard trim', changedInCalendar: false } });
  });

  it('refuses end before start (400 end), an unknown booking (404) and an empty change (400)', async () => {
    const body = bookingBody(user);
    await api(app, user.apiKey, 'POST', 'bookings', body);
    const bad = await api(app, user.apiKey, 'PATCH', `bookings/${body.bookingId}`, { end: '2030-05-06T08:00:00' });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('end');
    expect((await api(app, user.apiKey, 'PATCH', 'bookings/nope', { subject: 'x' })).status).toBe(404);
    expect((await api(app, user.apiKey, 'PATCH', `bookings/${body.bookingId}`, {})).status).toBe(400);
  });
});

describe('DELETE /api/bookings/{bookingId}', () => {
  it('deletes an event without attendees, and is idempotent', async () => {
    const body = bookingBody(user);
    await api(app, user.apiKey, 'POST', 'bookings', body);
    const res = await api(app, user.apiKey, 'DELETE', `bookings/${body.bookingId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'cancelled', cancelledAt: expect.any(String) });
    expect(withBookingRef(await calendarEvents(app, user, calendarOf()), clientId(), body.bookingId as string)).toHaveLength(0);
    expect((await api(app, user.apiKey, 'DELETE', `bookings/${body.bookingId}`)).status).toBe(200);
    const recreate = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(recreate.status).toBe(409);
    expect(recreate.body.code).toBe('booking_cancelled');
  });

  it('cancels a meeting with attendees (with the message), and treats an event deleted in Outlook as done', async () => {
    const body = bookingBody(user, { attendees: [{ email: 'customer@example.com', name: 'Customer' }] });
    const created = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(created.status).toBe(201);
    const res = await api(app, user.apiKey, 'DELETE', `bookings/${body.bookingId}`, { message: 'Sorry, Sam is ill.' });
    expect(res.status).toBe(200);
    const left = withBookingRef(await calendarEvents(app, user, calendarOf()), clientId(), body.bookingId as string);
    expect(left.every((e) => e.isCancelled)).toBe(true);

    const gone = bookingBody(user);
    const made = await api(app, user.apiKey, 'POST', 'bookings', gone);
    await fetch(`${app.simulatorUrl}/_sim/graph/users/${user.userPrincipalName}/events/${made.body.eventId}`, { method: 'DELETE' });
    const read = await api(app, user.apiKey, 'GET', `bookings/${gone.bookingId}`);
    expect(read.body.event).toBeNull();
    expect((await api(app, user.apiKey, 'DELETE', `bookings/${gone.bookingId}`)).body.status).toBe('cancelled');
  });
});

describe('a connection that lost access', () => {
  it('answers 409 connection_needs_reauth with a fresh connect link, and writes nothing', async () => {
    const other = await connectUser(app, { client: { client: user.client, apiKey: user.apiKey, signingSecret: user.signingSecret } });
    await app.services.store.connections.mutate(user.client.clientId, other.connection.id, (c) => ({ ...c, status: 'needs_reauth' }));
    const body = bookingBody(other);
    const res = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'connection_needs_reauth', connectionId: other.connection.id, connectUrl: expect.stringContaining('/api/connect/') });
    expect((await api(app, user.apiKey, 'GET', `bookings/${body.bookingId}`)).status).toBe(404);
    const busy = await api(app, user.apiKey, 'GET', `connections/${other.connection.id}/busy?start=2030-05-06T00:00:00Z&end=2030-05-07T00:00:00Z`);
    expect(busy.status).toBe(409);
    expect(busy.body.code).toBe('connection_needs_reauth');
  });
});
