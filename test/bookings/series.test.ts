// Series and all-day bookings end to end (local host over real HTTP, Azurite, a simulator of this file's
// own, real MSAL and Graph client): a series created exactly once however it is retried, one occurrence
// moved or cancelled through the API and in Outlook, busy time that shows both, the whole series moved and
// cancelled, all-day bookings, and the input refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppHost } from '../support/app-host.js';
import { connectUser, type ConnectedUser } from '../support/connect-user.js';
import { waitFor } from '../support/wait-for.js';
import type { WebhookReceiver } from '../sync/support.js';
import { addFault, api, bookingBody, calendarEvents, day, nextWeekday, plusDays, removeFault, sim, startBookingWorld, UTC, withBookingRef, type BookingWorld } from './support.js';

let world: BookingWorld;
let app: AppHost;
let receiver: WebhookReceiver;
let user: ConnectedUser;
const syncState = () => app.services.store.busy.getSyncState(user.connection.id, user.connection.busyCalendarIds[0]!);
const calendarOf = () => user.connection.bookingCalendarId ?? 'default';
/** The occurrences and exceptions of a series in Outlook's calendar view. */
const instancesOf = async (masterId: string, from: string, to: string) =>
  (
    (
      await sim(
        app,
        'GET',
        `/users/${encodeURIComponent(user.userPrincipalName)}/calendars/${encodeURIComponent(calendarOf())}/events?startDateTime=${from}T00:00:00Z&endDateTime=${to}T00:00:00Z`,
      )
    ).value as { id: string; type: string; seriesMasterId: string | null; start: { dateTime: string }; end: { dateTime: string } }[]
  ).filter((e) => e.seriesMasterId === masterId);
const busy = async (from: string, to: string) => {
  const res = await api(app, user.apiKey, 'GET', `connections/${user.connection.id}/busy?start=${from}T00:00:00Z&end=${to}T00:00:00Z`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { source: string; intervals: { start: string; end: string }[] };
};

const weekly = (count: number) => ({ pattern: { type: 'weekly', daysOfWeek: ['monday'] }, range: { type: 'numbered', numberOfOccurrences: count } });

beforeAll(async () => {
  world = await startBookingWorld();
  ({ app, receiver } = world);
  user = await connectUser(app, { client: world.client });
  await waitFor(async () => (await syncState())?.entity.status === 'synced', { message: 'the first full sync', timeout: 30_000 });
}, 90_000);

afterAll(async () => {
  await world?.close();
});

describe('series bookings', () => {
  it('creates one series master with Graph\'s patternedRecurrence, and a retry after a timeout makes no second series', { timeout: 60_000 }, async () => {
    const monday = nextWeekday(7, 1);
    // Tokyo keeps +09:00 all year, so the instants below hold whatever the date.
    const body = bookingBody(user, { timeZone: 'Asia/Tokyo', start: `${monday}T18:00:00`, end: `${monday}T18:45:00`, recurrence: weekly(4) });
    const config = app.services.config;
    const saved = config.graphTimeoutMs;
    config.graphTimeoutMs = 400;
    const fault = await addFault(app, user, { endpoint: 'POST /users/{user}/calendars/{calendarId}/events', latencyMs: 1500, remaining: 1 });
    try {
      const first = await api(app, user.apiKey, 'POST', 'bookings', body);
      expect(first.status).toBe(504);
      await waitFor(async () => withBookingRef(await calendarEvents(app, user, calendarOf()), user.client.clientId, String(body.bookingId)).length === 1 || undefined, {
        message: 'the delayed create to land in Outlook',
        timeout: 5000,
      });
    } finally {
      await removeFault(app, fault);
      config.graphTimeoutMs = saved;
    }
    const retry = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(retry.status, JSON.stringify(retry.body)).toBe(201);
    const again = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(again.status).toBe(200);
    const masters = withBookingRef(await calendarEvents(app, user, calendarOf()), user.client.clientId, String(body.bookingId));
    expect(masters).toHaveLength(1);
    expect(retry.body).toMatchObject({ eventId: masters[0]!.id, recurrence: { pattern: { type: 'weekly', daysOfWeek: ['monday'] } }, start: `${monday}T09:00:00Z` });
    expect(Date.parse(retry.body.seriesEnd)).toBeGreaterThanOrEqual(Date.parse(`${plusDays(monday, 21)}T09:45:00Z`));
    const master = masters[0] as unknown as { type: string; recurrence: { range: Record<string, unknown>; pattern: Record<string, unknown> } };
    expect(master.type).toBe('seriesMaster');
    expect(master.recurrence.range).toMatchObject({ type: 'numbered', numberOfOccurrences: 4, startDate: monday, recurrenceTimeZone: 'Tokyo Standard Time' });
    const instances = await instancesOf(masters[0]!.id, monday, plusDays(monday, 60));
    expect(instances.map((i) => UTC(i.start.dateTime))).toEqual([0, 7, 14, 21].map((n) => `${plusDays(monday, n)}T09:00:00.000Z`));
  });

  it('moves and cancels single occurrences by their original date, idempotently, and busy time shows the exceptions', { timeout: 90_000 }, async () => {
    // Weeks no other test of this file books in, so busy time shows only this series.
    const monday = nextWeekday(42, 1);
    const body = bookingBody(user, { timeZone: 'UTC', start: `${monday}T13:00:00`, end: `${monday}T14:00:00`, recurrence: weekly(3) });
    const created = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const second = plusDays(monday, 7);
    const third = plusDays(monday, 14);
    const path = (date: string) => `bookings/${body.bookingId}/occurrences/${date}`;

    const moved = await api(app, user.apiKey, 'PATCH', path(second), { start: `${second}T16:00:00`, end: `${second}T17:00:00` });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.occurrences).toEqual([{ occurrenceDate: second, status: 'moved', start: `${second}T16:00:00Z`, end: `${second}T17:00:00Z`, changedInCalendar: false }]);
    // Moved again, by the same original date: the exception is found by the id recorded.
    const movedAgain = await api(app, user.apiKey, 'PATCH', path(second), { start: `${plusDays(second, 1)}T10:00:00`, end: `${plusDays(second, 1)}T11:00:00` });
    expect(movedAgain.status, JSON.stringify(movedAgain.body)).toBe(200);

    const cancelled = await api(app, user.apiKey, 'DELETE', path(third));
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect((await api(app, user.apiKey, 'DELETE', path(third))).status).toBe(200);
    const refused = await api(app, user.apiKey, 'PATCH', path(third), { start: `${third}T10:00:00` });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'occurrence_cancelled', field: 'occurrenceDate' });
    const none = await api(app, user.apiKey, 'DELETE', path(plusDays(monday, 1)));
    expect(none.status).toBe(404);
    expect(none.body).toMatchObject({ code: 'occurrence_not_found', field: 'occurrenceDate' });

    const instances = await instancesOf(created.body.eventId, monday, plusDays(monday, 30));
    expect(instances.map((i) => [i.type, UTC(i.start.dateTime)])).toEqual([
      ['occurrence', `${monday}T13:00:00.000Z`],
      ['exception', `${plusDays(second, 1)}T10:00:00.000Z`],
    ]);
    // The busy cache (filled from calendarView/delta) reflects both exceptions once the sync has run.
    const expected = [
      { start: `${monday}T13:00:00Z`, end: `${monday}T14:00:00Z` },
      { start: `${plusDays(second, 1)}T10:00:00Z`, end: `${plusDays(second, 1)}T11:00:00Z` },
    ];
    await waitFor(
      async () => {
        const b = await busy(monday, plusDays(monday, 21));
        return b.source === 'cache' && JSON.stringify(b.intervals.map(({ start, end }) => ({ start, end }))) === JSON.stringify(expected) ? b : undefined;
      },
      { message: 'busy time from the cache with the moved and the cancelled occurrence', timeout: 30_000 },
    );
  });

  it('tells the booking system which occurrence was moved or cancelled in Outlook, once each', { timeout: 90_000 }, async () => {
    // Weeks of their own, inside the busy cache's window (90 days ahead).
    const monday = nextWeekday(63, 1);
    const body = bookingBody(user, { timeZone: 'UTC', start: `${monday}T10:00:00`, end: `${monday}T10:30:00`, recurrence: weekly(3) });
    const created = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const [, second, third] = await instancesOf(created.body.eventId, monday, plusDays(monday, 21));
    const secondDate = plusDays(monday, 7);
    const thirdDate = plusDays(monday, 14);
    // The person changes the series once the sync has seen it (a cancel before that is only ever seen as an absence).
    await waitFor(
      async () => {
        const b = await busy(monday, plusDays(monday, 21));
        return b.source === 'cache' && b.intervals.length === 3 ? b : undefined;
      },
      { message: 'the series in the busy cache', timeout: 30_000 },
    );
    const outlook = (method: string, id: string, patch?: unknown) => sim(app, method, `/users/${encodeURIComponent(user.userPrincipalName)}/events/${encodeURIComponent(id)}`, patch);
    await outlook('PATCH', second!.id, { start: { dateTime: `${secondDate}T12:00:00`, timeZone: 'UTC' }, end: { dateTime: `${secondDate}T12:30:00`, timeZone: 'UTC' } });
    await outlook('DELETE', third!.id);

    const hooks = (change: string) => receiver.events.filter((e) => e.type === 'booking.changed_in_calendar' && e.data.bookingId === body.bookingId && e.data.change === change);
    const moved = await waitFor(async () => hooks('occurrence_moved')[0], { message: 'occurrence_moved', timeout: 30_000 });
    expect(moved.data).toMatchObject({
      eventId: created.body.eventId,
      start: `${secondDate}T12:00:00.000Z`,
      end: `${secondDate}T12:30:00.000Z`,
      occurrence: { occurrenceDate: secondDate, eventId: second!.id },
    });
    const cancelled = await waitFor(async () => hooks('occurrence_cancelled')[0], { message: 'occurrence_cancelled', timeout: 30_000 });
    expect(cancelled.data).toMatchObject({ eventId: created.body.eventId, occurrence: { occurrenceDate: thirdDate, eventId: third!.id } });
    const view = await api(app, user.apiKey, 'GET', `bookings/${body.bookingId}`);
    expect(view.body).toMatchObject({ status: 'confirmed' });
    expect(view.body.occurrences).toEqual([
      { occurrenceDate: secondDate, status: 'moved', start: `${secondDate}T12:00:00Z`, end: `${secondDate}T12:30:00Z`, changedInCalendar: true },
      { occurrenceDate: thirdDate, status: 'cancelled', changedInCalendar: true },
    ]);

    // The Outlook change is not overwritten unless forced; the forced write of ours is not reported back.
    const path = `bookings/${body.bookingId}/occurrences/${secondDate}`;
    const refused = await api(app, user.apiKey, 'PATCH', path, { start: `${secondDate}T14:00:00`, end: `${secondDate}T14:30:00` });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'event_changed_in_calendar' });
    const forced = await api(app, user.apiKey, 'PATCH', path, { start: `${secondDate}T14:00:00`, end: `${secondDate}T14:30:00`, force: true });
    expect(forced.status, JSON.stringify(forced.body)).toBe(200);
    await waitFor(
      async () => {
        const b = await busy(monday, plusDays(monday, 21));
        return b.source === 'cache' && b.intervals.some((i) => i.start === `${secondDate}T14:00:00Z`) ? b : undefined;
      },
      { message: 'the forced move in the busy cache', timeout: 30_000 },
    );
    expect(hooks('occurrence_moved')).toHaveLength(1);
    expect(hooks('occurrence_cancelled')).toHaveLength(1);
  });

  it('moves the whole series (its exceptions go, as in Outlook) and cancels it with one DELETE', { timeout: 60_000 }, async () => {
    const monday = nextWeekday(7, 1);
    const body = bookingBody(user, { timeZone: 'UTC', start: `${monday}T07:00:00`, end: `${monday}T07:30:00`, recurrence: weekly(2) });
    const created = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await api(app, user.apiKey, 'DELETE', `bookings/${body.bookingId}/occurrences/${plusDays(monday, 7)}`)).status).toBe(200);
    const tuesday = plusDays(monday, 1);
    const wrongDay = await api(app, user.apiKey, 'PATCH', `bookings/${body.bookingId}`, { start: `${tuesday}T07:00:00`, end: `${tuesday}T07:30:00` });
    expect(wrongDay.status).toBe(400);
    expect(wrongDay.body).toMatchObject({ code: 'invalid_field', field: 'start' });
    const moved = await api(app, user.apiKey, 'PATCH', `bookings/${body.bookingId}`, { start: `${monday}T08:00:00`, end: `${monday}T08:30:00` });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.occurrences).toBeUndefined();
    const instances = await instancesOf(created.body.eventId, monday, plusDays(monday, 30));
    expect(instances.map((i) => UTC(i.start.dateTime))).toEqual([`${monday}T08:00:00.000Z`, `${plusDays(monday, 7)}T08:00:00.000Z`]);

    const cancelled = await api(app, user.apiKey, 'DELETE', `bookings/${body.bookingId}`);
    expect(cancelled.body.status).toBe('cancelled');
    expect(withBookingRef(await calendarEvents(app, user, calendarOf()), user.client.clientId, String(body.bookingId))).toHaveLength(0);
    expect((await api(app, user.apiKey, 'DELETE', `bookings/${body.bookingId}/occurrences/${monday}`)).body).toMatchObject({ code: 'booking_cancelled' });
  });

  it('refuses a series without an end, a first occurrence off the pattern, and occurrences of a single booking', async () => {
    const monday = nextWeekday(7, 1);
    const noEnd = await api(app, user.apiKey, 'POST', 'bookings', bookingBody(user, { start: `${monday}T09:00:00`, end: `${monday}T10:00:00`, recurrence: { pattern: { type: 'daily' }, range: { type: 'noEnd' } } }));
    expect(noEnd.status).toBe(400);
    expect(noEnd.body).toMatchObject({ code: 'invalid_field', field: 'recurrence.range.type' });
    const offPattern = await api(app, user.apiKey, 'POST', 'bookings', bookingBody(user, { start: `${plusDays(monday, 2)}T09:00:00`, end: `${plusDays(monday, 2)}T10:00:00`, recurrence: weekly(2) }));
    expect(offPattern.status).toBe(400);
    expect(offPattern.body).toMatchObject({ code: 'invalid_field', field: 'start' });
    const missing = await api(app, user.apiKey, 'POST', 'bookings', bookingBody(user, { start: `${monday}T09:00:00`, end: `${monday}T10:00:00`, recurrence: { pattern: { type: 'absoluteMonthly' }, range: { type: 'endDate' } } }));
    expect(missing.status).toBe(400);
    expect(['recurrence.pattern.dayOfMonth', 'recurrence.range.endDate']).toContain(missing.body.field);
    const single = bookingBody(user, { start: `${monday}T09:00:00`, end: `${monday}T10:00:00` });
    expect((await api(app, user.apiKey, 'POST', 'bookings', single)).status).toBe(201);
    const notSeries = await api(app, user.apiKey, 'DELETE', `bookings/${single.bookingId}/occurrences/${monday}`);
    expect(notSeries.status).toBe(400);
    expect(notSeries.body).toMatchObject({ code: 'invalid_field', field: 'occurrenceDate' });
    const badDate = await api(app, user.apiKey, 'DELETE', `bookings/${single.bookingId}/occurrences/next-monday`);
    expect(badDate.status).toBe(400);
    expect(badDate.body).toMatchObject({ code: 'invalid_field', field: 'occurrenceDate' });
  });
});

describe('all-day bookings', () => {
  it('writes whole days at midnight in the booking\'s zone, and refuses times that are not midnight', async () => {
    const date = day(9);
    const body = bookingBody(user, { timeZone: 'Europe/Berlin', isAllDay: true, start: date, end: plusDays(date, 2) });
    const created = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ isAllDay: true });
    const [event] = withBookingRef(await calendarEvents(app, user, calendarOf()), user.client.clientId, String(body.bookingId)) as unknown as {
      isAllDay: boolean;
      start: { dateTime: string };
      end: { dateTime: string };
    }[];
    expect(event!.isAllDay).toBe(true);
    // Midnight in Berlin is 22:00 or 23:00 UTC the day before; the span is two whole days.
    expect(Date.parse(UTC(event!.end.dateTime)) - Date.parse(UTC(event!.start.dateTime))).toBe(2 * 86_400_000);
    expect(created.body.start).toMatch(/T2[23]:00:00Z$/);

    const notMidnight = await api(app, user.apiKey, 'POST', 'bookings', bookingBody(user, { isAllDay: true, start: `${date}T09:00:00`, end: plusDays(date, 1) }));
    expect(notMidnight.status).toBe(400);
    expect(notMidnight.body).toMatchObject({ code: 'invalid_field', field: 'start' });
    const moveOff = await api(app, user.apiKey, 'PATCH', `bookings/${body.bookingId}`, { start: `${date}T10:00:00` });
    expect(moveOff.status).toBe(400);
    expect(moveOff.body).toMatchObject({ code: 'invalid_field', field: 'start' });
    const moved = await api(app, user.apiKey, 'PATCH', `bookings/${body.bookingId}`, { start: plusDays(date, 1), end: plusDays(date, 2) });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
  });
});
