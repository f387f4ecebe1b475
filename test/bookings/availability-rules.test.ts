// POST /api/availability's rules over real HTTP (local host, Azurite, the simulator, real MSAL and Graph
// client): working hours from each mailbox (named and custom time zones, kept on the connection and read
// again only on request) or from the request, buffers, alignment, notice and horizon, groups that need all
// or at least N members free, spaces beside connections, and the reasons for slots not offered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createTestClient, type ConnectedUser, type TestClient } from '../support/connect-user.js';
import { consentTenant, createSimRoom, createSimTenant } from '../rooms/support.js';
import { api, sim } from './support.js';

let app: AppHost;
let client: TestClient;
let ann: ConnectedUser;
let bob: ConnectedUser;
let cem: ConnectedUser;
let roomUpn: string;

const GET_SCHEDULE = 'POST /users/{user}/calendar/getSchedule';

async function outlookEvent(upn: string, start: string, end: string): Promise<void> {
  await sim(app, 'POST', `/users/${encodeURIComponent(upn)}/events`, { subject: 'Busy', start: { dateTime: start, timeZone: 'UTC' }, end: { dateTime: end, timeZone: 'UTC' }, showAs: 'busy' });
}

async function setWorkingHours(user: ConnectedUser, hours: Record<string, unknown>): Promise<void> {
  await sim(app, 'PATCH', `/users/${encodeURIComponent(user.userPrincipalName)}/working-hours`, hours);
}

async function getScheduleCalls(user: ConnectedUser): Promise<number> {
  const counters = await sim(app, 'GET', '/counters');
  return counters.byMailboxEndpoint[user.userPrincipalName]?.[GET_SCHEDULE] ?? 0;
}

const availability = (body: Record<string, unknown>) => api(app, client.apiKey, 'POST', 'availability', body);
const starts = (slots: { start: string }[]) => slots.map((s) => s.start.slice(11, 16));

beforeAll(async () => {
  // A simulator of this file's own: waiting for the room consent to propagate moves its clock.
  app = await startAppHost({ ownSimulator: true });
  client = await createTestClient(app);
  ann = await connectUser(app, { client });
  bob = await connectUser(app, { client });
  cem = await connectUser(app, { client });
  // Ann works 09:00-17:00 Pacific; set before availability first reads them.
  await setWorkingHours(ann, { daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'], startTime: '09:00:00.0000000', endTime: '17:00:00.0000000', timeZone: { name: 'Pacific Standard Time' } });
  // Cem works 09:00-10:00 in a custom zone: UTC+1, and UTC+2 from the last Sunday of March to the last Sunday of October.
  await setWorkingHours(cem, {
    daysOfWeek: ['Monday'],
    startTime: '09:00:00.0000000',
    endTime: '10:00:00.0000000',
    timeZone: {
      '@odata.type': '#microsoft.graph.customTimeZone',
      bias: -60,
      name: 'Customized Time Zone',
      standardOffset: { time: '03:00:00.0000000', dayOccurrence: 5, dayOfWeek: 'sunday', month: 10, year: 0 },
      daylightOffset: { daylightBias: -60, time: '02:00:00.0000000', dayOccurrence: 5, dayOfWeek: 'sunday', month: 3, year: 0 },
    },
  });
  await outlookEvent(ann.userPrincipalName, '2031-01-06T18:00:00', '2031-01-06T19:00:00');
  await outlookEvent(bob.userPrincipalName, '2031-01-06T09:00:00', '2031-01-06T10:00:00');
  const tenant = await createSimTenant(app);
  roomUpn = (await createSimRoom(app, tenant, 'board-room')).userPrincipalName;
  expect((await consentTenant(app, client, tenant)).searchParams.get('status')).toBe('consented');
  expect((await api(app, client.apiKey, 'POST', 'spaces', { spaceId: 'board-room', roomEmail: roomUpn })).status).toBe(201);
  await outlookEvent(roomUpn, '2031-01-06T11:00:00', '2031-01-06T12:00:00');
}, 90_000);
afterAll(async () => {
  await app?.close();
});

describe('working hours', () => {
  it("keeps slots inside each mailbox's working hours, read once and kept on the connection", async () => {
    const body = { connectionIds: [ann.connection.id], start: '2031-01-06T15:00:00Z', end: '2031-01-07T03:00:00Z', durationMinutes: 60, workingHours: 'mailbox' };
    const first = await availability(body);
    expect(first.status).toBe(200);
    // 09:00-17:00 Pacific (UTC-8) is 17:00-01:00 UTC; 18:00 is busy.
    expect(starts(first.body.slots)).toEqual(['17:00', '19:00', '20:00', '21:00', '22:00', '23:00', '00:00']);
    expect(first.body.connections[0].workingHours).toBe('mailbox');

    // Changed in Outlook: availability still answers from the row, without asking Graph.
    const calls = await getScheduleCalls(ann);
    await setWorkingHours(ann, { daysOfWeek: ['monday'], startTime: '10:00:00.0000000', endTime: '12:00:00.0000000', timeZone: { name: 'Pacific Standard Time' } });
    const cached = await availability(body);
    expect(starts(cached.body.slots)).toEqual(starts(first.body.slots));
    expect(await getScheduleCalls(ann)).toBe(calls);

    // On request they are read again: 10:00-12:00 Pacific is 18:00-20:00 UTC, 18:00 busy.
    const refreshed = await availability({ ...body, refreshWorkingHours: true });
    expect(starts(refreshed.body.slots)).toEqual(['19:00']);
    expect(await getScheduleCalls(ann)).toBe(calls + 1);
  });

  it('follows a custom time zone across its daylight saving transition', async () => {
    const winter = await availability({ connectionIds: [cem.connection.id], start: '2031-01-06T00:00:00Z', end: '2031-01-07T00:00:00Z', durationMinutes: 30, workingHours: 'mailbox' });
    expect(winter.status).toBe(200);
    expect(winter.body.slots).toEqual([
      { start: '2031-01-06T08:00:00Z', end: '2031-01-06T08:30:00Z' },
      { start: '2031-01-06T08:30:00Z', end: '2031-01-06T09:00:00Z' },
    ]);
    const summer = await availability({ connectionIds: [cem.connection.id], start: '2031-07-07T00:00:00Z', end: '2031-07-08T00:00:00Z', durationMinutes: 60, workingHours: 'mailbox' });
    expect(summer.body.slots).toEqual([{ start: '2031-07-07T07:00:00Z', end: '2031-07-07T08:00:00Z' }]);
  });

  it('takes working hours from the request for everyone', async () => {
    const res = await availability({
      connectionIds: [ann.connection.id, bob.connection.id],
      start: '2031-01-06T06:00:00Z',
      end: '2031-01-06T12:00:00Z',
      durationMinutes: 60,
      workingHours: { daysOfWeek: ['monday'], startTime: '09:00', endTime: '12:00', timeZone: 'Europe/Berlin' },
    });
    expect(res.status).toBe(200);
    // 09:00-12:00 Berlin is 08:00-11:00 UTC; Bob is busy 09:00-10:00.
    expect(starts(res.body.slots)).toEqual(['08:00', '10:00']);
    expect(res.body.connections.map((c: { workingHours: string }) => c.workingHours)).toEqual(['request', 'request']);
  });
});

describe('buffers, alignment, notice and horizon', () => {
  const bobMorning = { start: '2031-01-06T08:05:00Z', end: '2031-01-06T12:00:00Z', durationMinutes: 30, alignMinutes: 15, bufferBeforeMinutes: 15, bufferAfterMinutes: 30 };

  it('keeps buffers around events and starts slots on the quarter hours', async () => {
    const res = await availability({ ...bobMorning, connectionIds: [bob.connection.id] });
    expect(res.status).toBe(200);
    expect(res.body.slotMinutes).toBe(15);
    // Busy 09:00-10:00 with 15 minutes before and 30 after: 08:45-10:30 is out.
    expect(starts(res.body.slots)).toEqual(['08:15', '10:30', '10:45', '11:00', '11:15', '11:30']);
    expect(res.body.unavailable).toBeUndefined();
  });

  it('says why each slot in the window was not offered', async () => {
    const res = await availability({ ...bobMorning, connectionIds: [bob.connection.id], explain: true });
    const why = Object.fromEntries(res.body.unavailable.map((u: { start: string; reasons: unknown[] }) => [u.start.slice(11, 16), u.reasons]));
    expect(Object.keys(why)).toEqual(['08:30', '08:45', '09:00', '09:15', '09:30', '09:45', '10:00', '10:15']);
    expect(why['08:30']).toEqual([{ reason: 'buffer', connectionId: bob.connection.id }]);
    expect(why['09:00']).toEqual([{ reason: 'busy', connectionId: bob.connection.id }]);
    expect(why['10:15']).toEqual([{ reason: 'buffer', connectionId: bob.connection.id }]);
  });

  it('offers nothing sooner than the notice nor later than the horizon', async () => {
    const hour = 3600_000;
    const before = Date.now();
    const windowStart = Math.ceil(before / hour) * hour;
    const res = await availability({
      connectionIds: [bob.connection.id],
      start: new Date(windowStart).toISOString(),
      end: new Date(windowStart + 4 * 24 * hour).toISOString(),
      durationMinutes: 60,
      minimumNoticeMinutes: 24 * 60,
      maximumHorizonDays: 2,
      explain: true,
    });
    const after = Date.now();
    expect(res.status).toBe(200);
    const slotStarts = res.body.slots.map((s: { start: string }) => Date.parse(s.start));
    expect(slotStarts.length).toBeGreaterThanOrEqual(23);
    expect(Math.min(...slotStarts)).toBeGreaterThanOrEqual(before + 24 * hour);
    expect(Math.max(...slotStarts)).toBeLessThanOrEqual(after + 48 * hour);
    const reasons = res.body.unavailable.map((u: { reasons: { reason: string }[] }) => u.reasons.map((r) => r.reason).join());
    expect(reasons[0]).toBe('notice');
    expect(reasons[reasons.length - 1]).toBe('horizon');
  });
});

describe('groups and spaces', () => {
  const window = { start: '2031-01-06T08:00:00Z', end: '2031-01-06T12:00:00Z', durationMinutes: 60 };

  it('needs a space beside at least one of a group, and says who is free in each slot', async () => {
    const res = await availability({ ...window, spaceIds: ['board-room'], groups: [{ connectionIds: [ann.connection.id, bob.connection.id], minimumFree: 1 }], explain: true });
    expect(res.status).toBe(200);
    expect(res.body.slots).toEqual([
      { start: '2031-01-06T08:00:00Z', end: '2031-01-06T09:00:00Z', free: { connectionIds: [ann.connection.id, bob.connection.id], spaceIds: ['board-room'] } },
      { start: '2031-01-06T09:00:00Z', end: '2031-01-06T10:00:00Z', free: { connectionIds: [ann.connection.id], spaceIds: ['board-room'] } },
      { start: '2031-01-06T10:00:00Z', end: '2031-01-06T11:00:00Z', free: { connectionIds: [ann.connection.id, bob.connection.id], spaceIds: ['board-room'] } },
    ]);
    expect(res.body.unavailable).toEqual([{ start: '2031-01-06T11:00:00Z', end: '2031-01-06T12:00:00Z', reasons: [{ reason: 'busy', spaceId: 'board-room' }] }]);
    expect(res.body.spaces).toEqual([expect.objectContaining({ spaceId: 'board-room' })]);
    expect(res.body.connections.map((c: { connectionId: string }) => c.connectionId)).toEqual([ann.connection.id, bob.connection.id]);
  });

  it('needs every member of a group without minimumFree', async () => {
    const res = await availability({ ...window, groups: [{ connectionIds: [ann.connection.id, bob.connection.id] }] });
    expect(starts(res.body.slots)).toEqual(['08:00', '10:00', '11:00']);
    expect(res.body.slots[0].free).toBeUndefined();
  });
});

describe('bad input', () => {
  const base = { start: '2031-01-06T08:00:00Z', end: '2031-01-06T12:00:00Z', durationMinutes: 60 };

  it.each([
    [{ groups: [{ connectionIds: ['a', 'b'], minimumFree: 3 }] }, 'groups.0.minimumFree'],
    [{ groups: [{}] }, 'groups.0.connectionIds'],
    [{ alignMinutes: 7 }, 'alignMinutes'],
    [{ alignMinutes: 15, slotMinutes: 20 }, 'slotMinutes'],
    [{ bufferBeforeMinutes: -5 }, 'bufferBeforeMinutes'],
    [{ workingHours: { daysOfWeek: ['monday'], startTime: '09:00', endTime: '17:00', timeZone: 'Mars/Olympus' } }, 'workingHours.timeZone'],
    [{ workingHours: 'outlook' }, 'workingHours'],
    [{ connectionIds: [], spaceIds: [] }, 'connectionIds'],
  ])('refuses %j with 400 naming %s', async (overrides, field) => {
    const res = await availability({ ...base, connectionIds: [ann.connection.id], ...overrides });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_field', field });
  });

  it('answers 404 naming a space that is not the caller’s', async () => {
    const res = await availability({ ...base, connectionIds: [ann.connection.id], spaceIds: ['board-room', 'ghost-room'] });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'space_not_found', field: 'spaceIds.1' });
  });
});
