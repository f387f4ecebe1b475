// Moving future bookings meets the other booking features, end to end over real HTTP (the app on the local
// host, Azurite, a simulator of this file's own, real MSAL and Graph client):
// - a series moves with its exceptions: an occurrence moved through the API stays moved, a cancelled one
//   stays cancelled (Graph copies make a fresh series; the exceptions are written to it again), and a
//   series that began before the move but has occurrences ahead moves too;
// - an online meeting moves as an online meeting, with the provider the new calendar allows; Graph gives
//   the copy a meeting of its own, and the booking system hears the new join URL;
// - a calendar someone else shares with the person: series bookings in it, and moves into and out of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppHost } from '../support/app-host.js';
import { connectUser, createSimUser, followConnectLink, type ConnectedUser, type TestClient } from '../support/connect-user.js';
import { waitFor } from '../support/wait-for.js';
import type { WebhookReceiver } from '../sync/support.js';
import {
  api,
  book,
  bookingsMovedHook,
  calendarEvents,
  day,
  newCalendar,
  nextWeekday,
  plusDays,
  sim,
  startBookingWorld,
  UTC,
  withBookingRef,
  type BookingWorld,
} from './support.js';

let world: BookingWorld;
let app: AppHost;
let receiver: WebhookReceiver;
let client: TestClient;

const nextMonday = (offsetDays: number) => nextWeekday(offsetDays, 1);
const weekly = (count: number) => ({ pattern: { type: 'weekly', daysOfWeek: ['monday'] }, range: { type: 'numbered', numberOfOccurrences: count } });

interface Instance {
  id: string;
  type: string;
  seriesMasterId: string | null;
  start: { dateTime: string };
  end: { dateTime: string };
}

/** A series' occurrences and exceptions as Outlook's calendar view of `mailbox`'s calendar shows them. */
async function instancesOf(mailbox: string, calendarId: string, masterId: string, from: string, to: string): Promise<Instance[]> {
  const path = `/users/${encodeURIComponent(mailbox)}/calendars/${encodeURIComponent(calendarId)}/events?startDateTime=${from}T00:00:00Z&endDateTime=${to}T00:00:00Z`;
  return ((await sim(app, 'GET', path)).value as Instance[]).filter((e) => e.seriesMasterId === masterId);
}

async function moveTo(u: ConnectedUser, calendarId: string): Promise<Record<string, unknown>> {
  const patched = await api(app, u.apiKey, 'PATCH', `connections/${u.connection.id}`, { bookingCalendarId: calendarId, moveFutureBookings: true });
  expect(patched.status, JSON.stringify(patched.body)).toBe(200);
  return (await bookingsMovedHook(receiver, u.connection.id, String(patched.body.move.id))).data;
}

const hooksFor = (type: string, bookingId: string) => receiver.events.filter((e) => e.type === type && e.data.bookingId === bookingId);

beforeAll(async () => {
  world = await startBookingWorld();
  ({ app, receiver, client } = world);
}, 90_000);

afterAll(async () => {
  await world?.close();
});

describe('a series booking moved to another calendar', () => {
  it('keeps its moved and cancelled occurrences, and a series already under way moves too', { timeout: 150_000 }, async () => {
    const user = await connectUser(app, { client });
    const oldCalendar = user.connection.bookingCalendarId!;
    const target = await newCalendar(app, user.userPrincipalName, 'Appointments');
    // Both calendars count for busy time, so the cache shows what a booking system's availability would.
    expect((await api(app, user.apiKey, 'PATCH', `connections/${user.connection.id}`, { busyCalendarIds: [oldCalendar, target] })).status).toBe(200);
    const synced = (calendarId: string) => app.services.store.busy.getSyncState(user.connection.id, calendarId);
    await waitFor(async () => (await synced(oldCalendar))?.entity.status === 'synced' && (await synced(target))?.entity.status === 'synced', {
      message: 'both calendars synced',
      timeout: 45_000,
    });

    const monday = nextMonday(14);
    const second = plusDays(monday, 7);
    const third = plusDays(monday, 14);
    const series = await book(app, user, { start: `${monday}T13:00:00`, end: `${monday}T14:00:00`, recurrence: weekly(3) });
    const occurrence = (date: string) => `bookings/${series.bookingId}/occurrences/${date}`;
    const moved = await api(app, user.apiKey, 'PATCH', occurrence(second), { start: `${plusDays(second, 1)}T10:00:00`, end: `${plusDays(second, 1)}T11:00:00` });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect((await api(app, user.apiKey, 'DELETE', occurrence(third))).status).toBe(200);
    // A daily series whose first occurrence is already over: its later ones are future bookings.
    const underWay = await book(app, user, { start: `${day(-2)}T07:00:00`, end: `${day(-2)}T07:30:00`, recurrence: { pattern: { type: 'daily' }, range: { type: 'numbered', numberOfOccurrences: 6 } } });
    const before = (await api(app, user.apiKey, 'GET', `bookings/${series.bookingId}`)).body;

    const done = await moveTo(user, target);
    expect(done).toMatchObject({ total: 2, moved: 2, failed: 0, leftInOldCalendar: 0 });

    // Outlook: one series in the new calendar, with the exception where the API put it and no third week.
    const copies = withBookingRef(await calendarEvents(app, user, target), client.client.clientId, series.bookingId);
    expect(copies).toHaveLength(1);
    expect(withBookingRef(await calendarEvents(app, user, oldCalendar), client.client.clientId, series.bookingId)).toHaveLength(0);
    const instances = await instancesOf(user.userPrincipalName, target, copies[0]!.id, monday, plusDays(monday, 30));
    expect(instances.map((i) => [i.type, UTC(i.start.dateTime), UTC(i.end.dateTime)])).toEqual([
      ['occurrence', `${monday}T13:00:00.000Z`, `${monday}T14:00:00.000Z`],
      ['exception', `${plusDays(second, 1)}T10:00:00.000Z`, `${plusDays(second, 1)}T11:00:00.000Z`],
    ]);
    const daily = withBookingRef(await calendarEvents(app, user, target), client.client.clientId, underWay.bookingId);
    expect(daily).toHaveLength(1);

    // The booking system sees the same booking: same occurrences, now in the new calendar.
    const after = await api(app, user.apiKey, 'GET', `bookings/${series.bookingId}`);
    expect(after.body).toMatchObject({ status: 'confirmed', calendarId: target, eventId: copies[0]!.id });
    expect(after.body.occurrences).toEqual(before.occurrences);

    // The busy cache ends as Outlook is: the exception at its new time, nothing in the cancelled week...
    const expected = [
      { start: `${monday}T13:00:00Z`, end: `${monday}T14:00:00Z` },
      { start: `${plusDays(second, 1)}T10:00:00Z`, end: `${plusDays(second, 1)}T11:00:00Z` },
    ];
    await waitFor(
      async () => {
        const b = await api(app, user.apiKey, 'GET', `connections/${user.connection.id}/busy?start=${monday}T00:00:00Z&end=${plusDays(monday, 21)}T00:00:00Z`);
        return b.body.source === 'cache' && JSON.stringify(b.body.intervals.map(({ start, end }: { start: string; end: string }) => ({ start, end }))) === JSON.stringify(expected);
      },
      { message: 'busy time from the new calendar with the moved and the cancelled occurrence', timeout: 45_000 },
    );
    // ...and the move is not taken for changes made in Outlook, in either calendar: the old series' occurrences
    // leave the old calendar's cache without a report.
    const ref = `${client.client.clientId}/${series.bookingId}`;
    await waitFor(async () => !(await app.services.store.busy.listCalendarEvents(user.connection.id, oldCalendar)).some((r) => r.bookingRef === ref), {
      message: 'the old series gone from the old calendar\'s cache',
      timeout: 45_000,
    });
    expect(hooksFor('booking.changed_in_calendar', series.bookingId)).toEqual([]);
    expect(hooksFor('booking.deleted_in_calendar', series.bookingId)).toEqual([]);

    // The occurrences stay reachable by their original dates in the new calendar.
    const again = await api(app, user.apiKey, 'PATCH', occurrence(second), { start: `${plusDays(second, 1)}T15:00:00`, end: `${plusDays(second, 1)}T16:00:00` });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect((await api(app, user.apiKey, 'DELETE', occurrence(third))).status).toBe(200);
    expect((await api(app, user.apiKey, 'DELETE', occurrence(monday))).status).toBe(200);
    const last = await instancesOf(user.userPrincipalName, target, copies[0]!.id, monday, plusDays(monday, 30));
    expect(last.map((i) => UTC(i.start.dateTime))).toEqual([`${plusDays(second, 1)}T15:00:00.000Z`]);
  });
});

describe('an online meeting moved to another calendar', () => {
  it('stays an online meeting with the new calendar\'s provider, and the booking system gets the new join URL', { timeout: 150_000 }, async () => {
    const externalUserId = `staff-online-${Date.now().toString(36)}`;
    const user = await connectUser(app, { client, externalUserId });
    const target = await newCalendar(app, user.userPrincipalName, 'Video calls');
    const meeting = await book(app, user, { start: `${day(3)}T09:00:00`, end: `${day(3)}T09:30:00`, isOnlineMeeting: true });
    const oldJoinUrl = (meeting.body.onlineMeeting as { joinUrl: string }).joinUrl;
    expect(oldJoinUrl).toMatch(/^https:\/\/teams\.microsoft\.com\//);

    await moveTo(user, target);
    const [copy] = withBookingRef(await calendarEvents(app, user, target), client.client.clientId, meeting.bookingId) as unknown as {
      id: string;
      isOnlineMeeting: boolean;
      onlineMeetingProvider: string;
      onlineMeeting: { joinUrl: string } | null;
    }[];
    expect(copy).toMatchObject({ isOnlineMeeting: true, onlineMeetingProvider: 'teamsForBusiness' });
    const newJoinUrl = copy!.onlineMeeting!.joinUrl;
    expect(newJoinUrl).toMatch(/^https:\/\/teams\.microsoft\.com\//);
    expect(newJoinUrl).not.toBe(oldJoinUrl);
    const read = await api(app, user.apiKey, 'GET', `bookings/${meeting.bookingId}`);
    expect(read.body).toMatchObject({ eventId: copy!.id, onlineMeeting: { provider: 'teamsForBusiness', joinUrl: newJoinUrl } });
    const ready = await waitFor(async () => hooksFor('booking.online_meeting_ready', meeting.bookingId).find((e) => e.data.eventId === copy!.id), {
      message: 'booking.online_meeting_ready for the moved meeting',
      timeout: 30_000,
    });
    expect(ready.data).toMatchObject({ connectionId: user.connection.id, calendarId: target, onlineMeeting: { joinUrl: newJoinUrl } });

    // The same person's new account, whose calendar offers only the consumer service: the meeting follows.
    const personal = await connectUser(app, { client, externalUserId });
    await sim(app, 'PATCH', `/users/${encodeURIComponent(personal.userPrincipalName)}/calendars/default`, {
      allowedOnlineMeetingProviders: ['teamsForConsumer'],
      defaultOnlineMeetingProvider: 'teamsForConsumer',
    });
    const adopted = await api(app, personal.apiKey, 'POST', `connections/${personal.connection.id}/adopt-bookings`, { fromConnectionId: user.connection.id });
    expect(adopted.status, JSON.stringify(adopted.body)).toBe(202);
    expect((await bookingsMovedHook(receiver, personal.connection.id, String(adopted.body.move.id))).data).toMatchObject({ moved: 1, failed: 0 });
    const adoptedRead = await api(app, personal.apiKey, 'GET', `bookings/${meeting.bookingId}`);
    expect(adoptedRead.body.onlineMeeting).toEqual({ provider: 'teamsForConsumer', joinUrl: expect.stringMatching(/^https:\/\/teams\.live\.com\/meet\//) });
    const consumerReady = await waitFor(
      async () => hooksFor('booking.online_meeting_ready', meeting.bookingId).find((e) => e.data.connectionId === personal.connection.id),
      { message: 'booking.online_meeting_ready after the account switch', timeout: 30_000 },
    );
    expect((consumerReady.data.onlineMeeting as { joinUrl: string }).joinUrl).toBe(adoptedRead.body.onlineMeeting.joinUrl);
  });
});

describe('a calendar someone else shares with the person (write role)', () => {
  let user: ConnectedUser;
  let owner: string;
  let desk: string;
  const ownerEvents = (calendarId: string) => calendarEvents(app, { ...user, userPrincipalName: owner }, calendarId);

  beforeAll(async () => {
    owner = (await createSimUser(app.simulatorUrl)).userPrincipalName;
    user = await connectUser(app, { client });
    desk = await newCalendar(app, owner, 'Front desk');
    await sim(app, 'PUT', `/users/${encodeURIComponent(owner)}/calendars/${encodeURIComponent(desk)}/permissions/${encodeURIComponent(user.userPrincipalName)}`, { role: 'write' });
  }, 60_000);

  it('takes the future bookings there once the person has consented, and back to their own calendar', { timeout: 150_000 }, async () => {
    const own = user.connection.bookingCalendarId!;
    const single = await book(app, user, { start: `${day(4)}T08:00:00`, end: `${day(4)}T08:30:00` });

    // Without Calendars.ReadWrite.Shared: 409 with the consent link, and no move starts.
    const refused = await api(app, user.apiKey, 'PATCH', `connections/${user.connection.id}`, { bookingCalendarId: desk, moveFutureBookings: true });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'consent_missing', missingScopes: ['Calendars.ReadWrite.Shared'] });
    const unchanged = await api(app, user.apiKey, 'GET', `connections/${user.connection.id}`);
    expect(unchanged.body.bookingCalendarId).toBe(own);
    expect(unchanged.body.move).toBeUndefined();
    const consent = await followConnectLink(refused.body.connectUrl);
    expect(consent.finalUrl.searchParams.get('status')).toBe('connected');

    expect(await moveTo(user, desk)).toMatchObject({ total: 1, moved: 1, failed: 0 });
    expect(withBookingRef(await ownerEvents(desk), client.client.clientId, single.bookingId)).toHaveLength(1);
    expect(withBookingRef(await calendarEvents(app, user, own), client.client.clientId, single.bookingId)).toHaveLength(0);
    expect((await api(app, user.apiKey, 'GET', `bookings/${single.bookingId}`)).body).toMatchObject({ calendarId: desk, status: 'confirmed' });

    expect(await moveTo(user, own)).toMatchObject({ total: 1, moved: 1, failed: 0 });
    expect(withBookingRef(await ownerEvents(desk), client.client.clientId, single.bookingId)).toHaveLength(0);
    expect(withBookingRef(await calendarEvents(app, user, own), client.client.clientId, single.bookingId)).toHaveLength(1);
    // Still an ordinary booking: it can be changed where it now is.
    const renamed = await api(app, user.apiKey, 'PATCH', `bookings/${single.bookingId}`, { subject: 'Back home' });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
  });

  it('holds series bookings: occurrences moved and cancelled in the owner\'s mailbox, and carried on a move out', { timeout: 150_000 }, async () => {
    const own = user.connection.bookingCalendarId!;
    expect(await moveTo(user, desk)).toMatchObject({ failed: 0 });
    const monday = nextMonday(35);
    const second = plusDays(monday, 7);
    const third = plusDays(monday, 14);
    const series = await book(app, user, { start: `${monday}T09:00:00`, end: `${monday}T09:45:00`, recurrence: weekly(3) });
    const [master] = withBookingRef(await ownerEvents(desk), client.client.clientId, series.bookingId);
    expect(master?.id).toBe(series.eventId);
    const occurrence = (date: string) => `bookings/${series.bookingId}/occurrences/${date}`;
    const moved = await api(app, user.apiKey, 'PATCH', occurrence(second), { start: `${second}T11:00:00`, end: `${second}T11:45:00` });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect((await api(app, user.apiKey, 'DELETE', occurrence(third))).status).toBe(200);
    const inDesk = await instancesOf(owner, desk, series.eventId, monday, plusDays(monday, 30));
    expect(inDesk.map((i) => [i.type, UTC(i.start.dateTime)])).toEqual([
      ['occurrence', `${monday}T09:00:00.000Z`],
      ['exception', `${second}T11:00:00.000Z`],
    ]);

    // The series, and the booking of the test before, which the first move took back to the desk.
    expect(await moveTo(user, own)).toMatchObject({ total: 2, moved: 2, failed: 0 });
    expect(withBookingRef(await ownerEvents(desk), client.client.clientId, series.bookingId)).toHaveLength(0);
    const [copy] = withBookingRef(await calendarEvents(app, user, own), client.client.clientId, series.bookingId);
    const home = await instancesOf(user.userPrincipalName, own, copy!.id, monday, plusDays(monday, 30));
    expect(home.map((i) => [i.type, UTC(i.start.dateTime)])).toEqual([
      ['occurrence', `${monday}T09:00:00.000Z`],
      ['exception', `${second}T11:00:00.000Z`],
    ]);
  });
});
