// GET /api/connections/{id}/busy over real HTTP: a live read across two busy calendars (recurring series
// expanded, all-day events in the event's own zone, free and workingElsewhere left out, counted showAs
// configurable per connection), the cache when it covers the window, and errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceCalendarBusy } from '../../shared/sync/busy-cache.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createTestClient, type ConnectedUser } from '../support/connect-user.js';
import { waitFor } from '../support/wait-for.js';
import { addFault, api, mailboxCounters, removeFault, sim } from './support.js';

let app: AppHost;
let user: ConnectedUser;
let defaultCalendarId: string;
let sideCalendarId: string;

const WINDOW = 'start=2030-06-10T00:00:00Z&end=2030-06-13T00:00:00Z';
const CALENDAR_VIEW = 'GET /users/{user}/calendars/{calendarId}/calendarView';

async function outlookEvent(calendarId: string, event: Record<string, unknown>): Promise<void> {
  await sim(app, 'POST', `/users/${encodeURIComponent(user.userPrincipalName)}/events`, { calendarId, ...event });
}

const utc = (dateTime: string) => ({ dateTime, timeZone: 'UTC' });

beforeAll(async () => {
  app = await startAppHost();
  user = await connectUser(app);
  const calendars = (await api(app, user.apiKey, 'GET', `connections/${user.connection.id}/calendars`)).body.value as { id: string; isDefault: boolean }[];
  defaultCalendarId = calendars.find((c) => c.isDefault)!.id;
  sideCalendarId = (await sim(app, 'POST', `/users/${encodeURIComponent(user.userPrincipalName)}/calendars`, { name: 'Side job' })).id;
  const patched = await api(app, user.apiKey, 'PATCH', `connections/${user.connection.id}`, { busyCalendarIds: [defaultCalendarId, sideCalendarId] });
  expect(patched.status).toBe(200);

  await outlookEvent(defaultCalendarId, { subject: 'Meeting', start: utc('2030-06-10T09:00:00'), end: utc('2030-06-10T10:00:00'), showAs: 'busy' });
  await outlookEvent(sideCalendarId, { subject: 'Maybe', start: utc('2030-06-10T09:30:00'), end: utc('2030-06-10T11:00:00'), showAs: 'tentative' });
  await outlookEvent(defaultCalendarId, { subject: 'Free time', start: utc('2030-06-10T14:00:00'), end: utc('2030-06-10T15:00:00'), showAs: 'free' });
  await outlookEvent(defaultCalendarId, { subject: 'Elsewhere', start: utc('2030-06-11T14:00:00'), end: utc('2030-06-11T15:00:00'), showAs: 'workingElsewhere' });
  await outlookEvent(sideCalendarId, {
    subject: 'Daily stand-up',
    start: utc('2030-06-01T12:00:00'),
    end: utc('2030-06-01T12:30:00'),
    recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'noEnd', startDate: '2030-06-01' } },
  });
  await outlookEvent(defaultCalendarId, {
    subject: 'Holiday in Berlin',
    start: { dateTime: '2030-06-12T00:00:00', timeZone: 'W. Europe Standard Time' },
    end: { dateTime: '2030-06-13T00:00:00', timeZone: 'W. Europe Standard Time' },
    isAllDay: true,
    showAs: 'oof',
  });
});
afterAll(async () => {
  await app?.close();
});

const EXPECTED_LIVE = [
  { start: '2030-06-10T09:00:00Z', end: '2030-06-10T11:00:00Z', showAs: 'busy' },
  { start: '2030-06-10T12:00:00Z', end: '2030-06-10T12:30:00Z', showAs: 'busy' },
  { start: '2030-06-11T12:00:00Z', end: '2030-06-11T12:30:00Z', showAs: 'busy' },
  // The all-day event is midnight to midnight in Berlin (UTC+2 in June); the stand-up inside it merges in.
  { start: '2030-06-11T22:00:00Z', end: '2030-06-12T22:00:00Z', showAs: 'oof' },
];

describe('GET /api/connections/{id}/busy', () => {
  it('reads live over both busy calendars: merged, series expanded, all-day in its zone, free time left out', async () => {
    const before = await mailboxCounters(app, user);
    const res = await api(app, user.apiKey, 'GET', `connections/${user.connection.id}/busy?${WINDOW}`);
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('live');
    expect(Date.parse(res.body.asOf)).not.toBeNaN();
    expect(res.body.intervals).toEqual(EXPECTED_LIVE);
    const after = await mailboxCounters(app, user);
    // One calendarView per calendar, inside one $batch (push sync's own delta calls are counted apart).
    expect((after[CALENDAR_VIEW] ?? 0) - (before[CALENDAR_VIEW] ?? 0)).toBe(2);
  });

  it('counts only the showAs values the connection chose', async () => {
    const only = await api(app, user.apiKey, 'PATCH', `connections/${user.connection.id}`, { busyShowAs: ['busy'] });
    expect(only.status).toBe(200);
    expect(only.body.busyShowAs).toEqual(['busy']);
    try {
      const res = await api(app, user.apiKey, 'GET', `connections/${user.connection.id}/busy?${WINDOW}`);
      expect(res.body.intervals[0]).toEqual({ start: '2030-06-10T09:00:00Z', end: '2030-06-10T10:00:00Z', showAs: 'busy' });
      expect(res.body.intervals.some((i: { showAs: string }) => i.showAs === 'oof')).toBe(false);
    } finally {
      await api(app, user.apiKey, 'PATCH', `connections/${user.connection.id}`, { busyShowAs: ['busy', 'tentative', 'oof', 'unknown'] });
    }
  });

  it('answers from the busy cache, without any Graph request, when it covers the window', async () => {
    // Let push sync's first full sync of the connection finish, so it does not replace what we put in.
    await waitFor(() => app.services.store.busy.getSyncState(user.connection.id, defaultCalendarId), { message: "push sync's first full sync of the default calendar" });
    const window = { start: new Date('2030-06-01T00:00:00Z'), end: new Date('2030-07-01T00:00:00Z') };
    const syncedAt = new Date('2030-06-09T08:00:00Z');
    const cached = (eventId: string, start: string, end: string, showAs = 'busy') => ({ eventId, start: new Date(start), end: new Date(end), showAs });
    await replaceCalendarBusy(app.services.store, { partitionKey: user.client.clientId, rowKey: user.connection.id }, defaultCalendarId, window, [cached('a', '2030-06-10T08:00:00Z', '2030-06-10T08:30:00Z')], undefined, syncedAt);
    await replaceCalendarBusy(app.services.store, { partitionKey: user.client.clientId, rowKey: user.connection.id }, sideCalendarId, window, [cached('b', '2030-06-10T08:15:00Z', '2030-06-10T09:00:00Z', 'tentative')], undefined, syncedAt);
    const before = await mailboxCounters(app, user);
    const res = await api(app, user.apiKey, 'GET', `connections/${user.connection.id}/busy?${WINDOW}`);
    expect(res.status).toBe(200);
    // Push sync may advance syncedAt meanwhile (a delta round after a notification): asOf is at least ours.
    expect(Date.parse(res.body.asOf)).toBeGreaterThanOrEqual(syncedAt.getTime());
    expect(res.body).toEqual({ source: 'cache', asOf: res.body.asOf, intervals: [{ start: '2030-06-10T08:00:00Z', end: '2030-06-10T09:00:00Z', showAs: 'busy' }] });
    expect((await mailboxCounters(app, user))[CALENDAR_VIEW]).toBe(before[CALENDAR_VIEW]);

    // A window the cache does not cover goes live.
    const outside = await api(app, user.apiKey, 'GET', `connections/${user.connection.id}/busy?start=2030-07-10T00:00:00Z&end=2030-07-11T00:00:00Z`);
    expect(outside.body.source).toBe('live');
  });

  it.each([
    ['start=2030-06-10T00:00:00Z&end=2030-08-12T00:00:00Z', 'end'],
    ['start=2030-06-10T00:00:00&end=2030-06-11T00:00:00Z', 'start'],
    ['start=2030-06-10T00:00:00Z&end=2030-06-09T00:00:00Z', 'end'],
    ['end=2030-06-09T00:00:00Z', 'start'],
  ])('refuses %s with 400 naming %s', async (query, field) => {
    const res = await api(app, user.apiKey, 'GET', `connections/${user.connection.id}/busy?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.field).toBe(field);
  });

  it("answers 404 for an unknown connection and for another client's", async () => {
    expect((await api(app, user.apiKey, 'GET', `connections/nope/busy?${WINDOW}`)).status).toBe(404);
    const other = await createTestClient(app, { name: 'Someone else' });
    const res = await api(app, other.apiKey, 'GET', `connections/${user.connection.id}/busy?${WINDOW}`);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('connection_not_found');
  });

  it('answers throttling beyond the per-item retries with 503 and Retry-After, and a Graph 5xx with 502', async () => {
    const live = 'start=2030-08-01T00:00:00Z&end=2030-08-02T00:00:00Z';
    const throttle = await addFault(app, user, { endpoint: CALENDAR_VIEW, errorRate: 1, status: 429, retryAfterSeconds: 1, remaining: 20 });
    try {
      const res = await api(app, user.apiKey, 'GET', `connections/${user.connection.id}/busy?${live}`);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('graph_throttled');
      expect(res.headers.get('retry-after')).toBe('1');
    } finally {
      await removeFault(app, throttle);
    }
    const broken = await addFault(app, user, { endpoint: CALENDAR_VIEW, errorRate: 1, status: 504, remaining: 20 });
    try {
      const res = await api(app, user.apiKey, 'GET', `connections/${user.connection.id}/busy?${live}`);
      expect(res.status).toBe(502);
      expect(res.body.code).toBe('graph_error');
    } finally {
      await removeFault(app, broken);
    }
  });
});
