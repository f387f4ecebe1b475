// Online meetings end to end (the whole app on the local host, Azurite, a simulator of this file's own, real
// MSAL and Graph client): the join URL and dial-in in the create's answer, GET and the webhooks; the provider
// taken from the booking calendar's allowedOnlineMeetingProviders; a calendar that allows none refused with
// no event written; and a join URL Outlook sets up after the create answered, reported by push sync.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppHost } from '../support/app-host.js';
import { connectUser, type ConnectedUser, type TestClient } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';
import { waitFor } from '../support/wait-for.js';
import type { WebhookReceiver } from '../sync/support.js';
import { api, bookingBody, calendarEvents, day, mailboxCounters, sim, startBookingWorld, withBookingRef, type BookingWorld } from './support.js';

let world: BookingWorld;
let app: AppHost;
let receiver: WebhookReceiver;
let client: TestClient;
const setProviders = (u: ConnectedUser, settings: Record<string, unknown>) =>
  sim(app, 'PATCH', `/users/${encodeURIComponent(u.userPrincipalName)}/calendars/default`, settings);
const onlineBooking = (u: ConnectedUser, hour: number, extra: Record<string, unknown> = {}) =>
  bookingBody(u, { timeZone: 'UTC', start: `${day(2)}T${String(hour).padStart(2, '0')}:00:00`, end: `${day(2)}T${String(hour).padStart(2, '0')}:30:00`, isOnlineMeeting: true, ...extra });
const synced = (u: ConnectedUser) =>
  waitFor(async () => (await app.services.store.busy.getSyncState(u.connection.id, u.connection.busyCalendarIds[0]!))?.entity.status === 'synced', {
    message: 'the first full sync',
    timeout: 30_000,
  });

beforeAll(async () => {
  world = await startBookingWorld();
  ({ app, receiver, client } = world);
  await simControl(app.simulatorUrl, 'PATCH', '/settings', { reauthorizationRatePerHour: 0 });
}, 90_000);

afterAll(async () => {
  await world?.close();
});

describe('online meetings', () => {
  it('a work account gets a Teams meeting: join URL and dial-in in the answer, in GET and on the event', { timeout: 60_000 }, async () => {
    const user = await connectUser(app, { client });
    const body = onlineBooking(user, 9);
    const before = await mailboxCounters(app, user);
    const created = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // The meeting costs one read of the calendar's providers before the one POST.
    const after = await mailboxCounters(app, user);
    const delta = (key: string) => (after[key] ?? 0) - (before[key] ?? 0);
    expect(delta('GET /users/{user}/calendars/{calendarId}')).toBe(1);
    expect(delta('POST /users/{user}/calendars/{calendarId}/events')).toBe(1);
    expect(created.body.onlineMeeting).toMatchObject({ provider: 'teamsForBusiness', joinUrl: expect.stringMatching(/^https:\/\/teams\.microsoft\.com\/l\/meetup-join\//) });
    expect(created.body.onlineMeeting.conferenceId).toMatch(/^\d{9}$/);
    expect(created.body.onlineMeeting.tollNumber).toMatch(/^\+1 /);

    const [event] = withBookingRef(await calendarEvents(app, user), client.client.clientId, String(body.bookingId)) as unknown as {
      onlineMeetingProvider: string;
      onlineMeeting: { joinUrl: string };
    }[];
    expect(event!.onlineMeetingProvider).toBe('teamsForBusiness');
    expect(event!.onlineMeeting.joinUrl).toBe(created.body.onlineMeeting.joinUrl);

    const read = await api(app, user.apiKey, 'GET', `bookings/${body.bookingId}`);
    expect(read.status).toBe(200);
    expect(read.body.onlineMeeting).toEqual(created.body.onlineMeeting);

    // A retry of the same create answers the same meeting (the event is not made twice).
    const again = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(again.status).toBe(200);
    expect(again.body.onlineMeeting.joinUrl).toBe(created.body.onlineMeeting.joinUrl);
  });

  it("takes the calendar's own provider: a personal account's consumer service, with a link and no dial-in", { timeout: 60_000 }, async () => {
    const user = await connectUser(app, { client });
    await setProviders(user, { allowedOnlineMeetingProviders: ['teamsForConsumer'], defaultOnlineMeetingProvider: 'teamsForConsumer' });
    const created = await api(app, user.apiKey, 'POST', 'bookings', onlineBooking(user, 10));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.onlineMeeting).toEqual({ provider: 'teamsForConsumer', joinUrl: expect.stringMatching(/^https:\/\/teams\.live\.com\/meet\//) });

    await setProviders(user, { allowedOnlineMeetingProviders: ['unknown', 'skypeForConsumer'], defaultOnlineMeetingProvider: 'unknown' });
    const skype = await api(app, user.apiKey, 'POST', 'bookings', onlineBooking(user, 11));
    expect(skype.body.onlineMeeting).toEqual({ provider: 'skypeForConsumer', joinUrl: expect.stringMatching(/^https:\/\/join\.skype\.com\//) });
  });

  it('a calendar that allows no provider: 422 online_meeting_unavailable naming isOnlineMeeting, and no event', { timeout: 60_000 }, async () => {
    const user = await connectUser(app, { client });
    await setProviders(user, { allowedOnlineMeetingProviders: ['unknown'], defaultOnlineMeetingProvider: 'unknown' });
    const body = onlineBooking(user, 12);
    const refused = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'online_meeting_unavailable', field: 'isOnlineMeeting' });
    expect(await calendarEvents(app, user)).toEqual([]);
    // Nothing is kept: the same bookingId without the meeting is a new booking, not a conflict.
    const plain = await api(app, user.apiKey, 'POST', 'bookings', { ...body, isOnlineMeeting: false });
    expect(plain.status, JSON.stringify(plain.body)).toBe(201);
    expect(plain.body.onlineMeeting).toBeUndefined();
  });

  it('a join URL Outlook sets up after the create: null in the answer, then booking.online_meeting_ready and GET', { timeout: 90_000 }, async () => {
    const user = await connectUser(app, { client });
    await synced(user);
    await simControl(app.simulatorUrl, 'PATCH', '/settings', { onlineMeetingDelayMs: 3_000 });
    try {
      const body = onlineBooking(user, 14);
      const created = await api(app, user.apiKey, 'POST', 'bookings', body);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.onlineMeeting).toEqual({ provider: 'teamsForBusiness', joinUrl: null });

      const ready = await waitFor(
        async () => receiver.events.find((e) => e.type === 'booking.online_meeting_ready' && e.data.bookingId === body.bookingId),
        { message: 'booking.online_meeting_ready', timeout: 60_000 },
      );
      const meeting = ready.data.onlineMeeting as { provider: string; joinUrl: string; conferenceId: string };
      expect(meeting.provider).toBe('teamsForBusiness');
      expect(meeting.joinUrl).toMatch(/^https:\/\/teams\.microsoft\.com\/l\/meetup-join\//);
      expect(ready.data).toMatchObject({ connectionId: user.connection.id, eventId: created.body.eventId });

      const read = await api(app, user.apiKey, 'GET', `bookings/${body.bookingId}`);
      expect(read.body.onlineMeeting).toMatchObject({ joinUrl: meeting.joinUrl, conferenceId: meeting.conferenceId });
      const row = (await app.services.store.bookings.require(client.client.clientId, String(body.bookingId))).entity;
      expect(row.onlineMeeting?.joinUrl).toBe(meeting.joinUrl);
      // Reported once, however many rounds see the event again.
      const moved = await sim(app, 'PATCH', `/users/${encodeURIComponent(user.userPrincipalName)}/events/${encodeURIComponent(created.body.eventId)}`, {
        start: { dateTime: `${day(2)}T15:00:00`, timeZone: 'UTC' },
        end: { dateTime: `${day(2)}T15:30:00`, timeZone: 'UTC' },
      });
      expect(moved.onlineMeeting.joinUrl).toBe(meeting.joinUrl);
      const change = await waitFor(
        async () => receiver.events.find((e) => e.type === 'booking.changed_in_calendar' && e.data.bookingId === body.bookingId),
        { message: 'booking.changed_in_calendar', timeout: 60_000 },
      );
      expect((change.data.onlineMeeting as { joinUrl: string }).joinUrl).toBe(meeting.joinUrl);
      expect(receiver.events.filter((e) => e.type === 'booking.online_meeting_ready' && e.data.bookingId === body.bookingId)).toHaveLength(1);
    } finally {
      await simControl(app.simulatorUrl, 'PATCH', '/settings', { onlineMeetingDelayMs: 0 });
    }
  });
});
