// IANA names in, correct events out: bookings around the European and US DST changes (gaps and overlaps)
// and in zones whose Windows names differ, checked on the event the simulator holds (instant and zone) and
// on the booking read back through the API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, type ConnectedUser } from '../support/connect-user.js';
import { api, bookingBody, calendarEvents, UTC, withBookingRef } from './support.js';

let app: AppHost;
let user: ConnectedUser;

beforeAll(async () => {
  app = await startAppHost();
  user = await connectUser(app);
});
afterAll(async () => {
  await app?.close();
});

describe('time zones', () => {
  it.each([
    // Europe: clocks go forward at 02:00 CET on 2030-03-31, so 01:30 -> 03:30 local is one real hour.
    ['Europe/Berlin', '2030-03-31T01:30:00', '2030-03-31T03:30:00', '2030-03-31T00:30:00Z', '2030-03-31T01:30:00Z', 'W. Europe Standard Time'],
    // A wall time inside the gap (01:30 does not exist in London that night) moves forward by the gap.
    ['Europe/London', '2030-03-31T01:30:00', '2030-03-31T03:00:00', '2030-03-31T01:30:00Z', '2030-03-31T02:00:00Z', 'GMT Standard Time'],
    // US: forward at 02:00 EST on 2030-03-10.
    ['America/New_York', '2030-03-10T01:30:00', '2030-03-10T03:30:00', '2030-03-10T06:30:00Z', '2030-03-10T07:30:00Z', 'Eastern Standard Time'],
    // US: back at 02:00 EDT on 2030-11-03; the ambiguous 01:30 is the earlier (EDT) one.
    ['America/New_York', '2030-11-03T01:30:00', '2030-11-03T02:30:00', '2030-11-03T05:30:00Z', '2030-11-03T07:30:00Z', 'Eastern Standard Time'],
    ['America/Los_Angeles', '2030-10-27T10:00:00', '2030-10-27T11:00:00', '2030-10-27T17:00:00Z', '2030-10-27T18:00:00Z', 'Pacific Standard Time'],
    // Zones whose Windows names say little about the IANA name.
    ['Asia/Kolkata', '2030-05-06T09:00:00', '2030-05-06T09:30:00', '2030-05-06T03:30:00Z', '2030-05-06T04:00:00Z', 'India Standard Time'],
    ['America/Sao_Paulo', '2030-05-06T09:00:00', '2030-05-06T10:00:00', '2030-05-06T12:00:00Z', '2030-05-06T13:00:00Z', 'E. South America Standard Time'],
    ['Australia/Lord_Howe', '2030-01-15T09:00:00', '2030-01-15T10:00:00', '2030-01-14T22:00:00Z', '2030-01-14T23:00:00Z', 'Lord Howe Standard Time'],
    // An offset in the input fixes the instant; the zone still labels the event.
    ['America/Chicago', '2030-05-06T09:00:00+02:00', '2030-05-06T10:00:00+02:00', '2030-05-06T07:00:00Z', '2030-05-06T08:00:00Z', 'Central Standard Time'],
  ])('%s %s..%s -> %s..%s in %s', async (timeZone, start, end, startUtc, endUtc, windowsZone) => {
    const body = bookingBody(user, { timeZone, start, end });
    const res = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ start: startUtc, end: endUtc, timeZone });

    const [event] = withBookingRef(await calendarEvents(app, user, user.connection.bookingCalendarId ?? 'default'), user.client.clientId, body.bookingId as string);
    expect(UTC(event!.start.dateTime)).toBe(new Date(startUtc).toISOString());
    expect(UTC(event!.end.dateTime)).toBe(new Date(endUtc).toISOString());
    expect(event!.originalStartTimeZone).toBe(windowsZone);

    const read = await api(app, user.apiKey, 'GET', `bookings/${body.bookingId}`);
    expect(read.body.event).toMatchObject({ start: startUtc, end: endUtc });
    // Read back, the Windows name maps to an IANA zone with the same rules at that instant.
    const offset = (zone: string, at: string) => new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).format(new Date(at));
    expect(offset(read.body.event.timeZone, startUtc)).toBe(offset(timeZone, startUtc));
  });

  it('reschedules across a DST change keeping the wall time in the booking zone', async () => {
    const body = bookingBody(user, { timeZone: 'Europe/Paris', start: '2030-10-26T09:00:00', end: '2030-10-26T10:00:00' });
    expect((await api(app, user.apiKey, 'POST', 'bookings', body)).body.start).toBe('2030-10-26T07:00:00Z');
    const moved = await api(app, user.apiKey, 'PATCH', `bookings/${body.bookingId}`, { start: '2030-10-28T09:00:00', end: '2030-10-28T10:00:00' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ start: '2030-10-28T08:00:00Z', end: '2030-10-28T09:00:00Z' });
  });
});
