// What bookings and busy reads cost in Graph requests, read from the simulator's request counters:
// - a booking create, with the access token cached: Graph requests sent;
// - a live busy read of 20 calendars: $batch HTTP requests (and the calendarView items inside them),
//   with one page per calendar and with one calendar holding 300 events (a second page);
// - a busy read the cache answers: Graph requests sent;
// - Table requests (Azurite's own count) of a booking create (inside the busy-cache horizon and beyond it), a booking read and a cached busy read: the least
//   of 3 each, since push sync's background work (the notification a new event causes) may land inside one.
// Everything runs for real: Azurite, the simulator, the local host over HTTP, MSAL and the Graph client.
import { replaceCalendarBusy } from '../shared/sync/busy-cache.js';
import { startAppHost } from '../test/support/app-host.js';
import { connectUser } from '../test/support/connect-user.js';
import { simJson } from '../test/support/simulator-control.js';
import { waitFor } from '../test/support/wait-for.js';
import { startWorld } from '../test/support/world.js';

const world = await startWorld();
const app = await startAppHost();

const report = (metric: string, value: number, unit: string) => console.info(`RESULT ${JSON.stringify({ bench: 'bookings', metric, value, unit })}`);

const control = <T>(method: string, path: string, body?: unknown): Promise<T> => simJson<T>(world.sim.url, method, `/graph${path}`, body);

interface Counters {
  total: number;
  byEndpoint: Record<string, number>;
}
/** Requests Graph saw since `before`, leaving out push sync's own background work (delta, subscriptions). */
function spent(before: Counters, after: Counters): { all: number; batches: number; calendarViews: number } {
  const ours = (c: Counters) => Object.entries(c.byEndpoint).filter(([k]) => !/delta|subscriptions/.test(k)).reduce((n, [, v]) => n + v, 0);
  const key = (c: Counters, k: string) => c.byEndpoint[k] ?? 0;
  const view = 'GET /users/{user}/calendars/{calendarId}/calendarView';
  return { all: ours(after) - ours(before), batches: key(after, 'POST /$batch') - key(before, 'POST /$batch'), calendarViews: key(after, view) - key(before, view) };
}
const counters = () => control<Counters>('GET', '/counters');

async function api(key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${app.url}/api/${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

try {
  const user = await connectUser(app);
  const upn = encodeURIComponent(user.userPrincipalName);

  // Push sync's work after the connect and after each create (its notification; a full round for a booking
  // beyond the horizon) runs in the background: each create is measured once Azurite has seen no Table
  // request for a second.
  let lastCount = -1;
  const storageQuiet = () =>
    waitFor(
      async () => {
        const now = (await world.azurite.requestCounts()).table;
        const quiet = now === lastCount;
        lastCount = now;
        return quiet;
      },
      { message: 'push sync to finish with the previous create (no Table request for a second)', timeout: 60_000, interval: 1000 },
    );
  // 1. A booking create with the token cached (the connect flow cached it).
  await storageQuiet();
  let before = await counters();
  const created = await api(user.apiKey, 'POST', 'bookings', {
    bookingId: 'bench-1',
    connectionId: user.connection.id,
    subject: 'Bench booking',
    start: '2031-03-03T09:00:00',
    end: '2031-03-03T09:30:00',
    timeZone: 'Europe/Amsterdam',
  });
  if (created.status !== 201) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
  const create = spent(before, await counters());
  console.info(`booking create: ${create.all} Graph request(s)`);
  // Table requests of a create: bookings a week or two ahead (inside every busy calendar's window, the
  // common case), and bookings years ahead, beyond the horizon every window is kept to (booking-window.ts),
  // which read the calendar's sync state and ask for a full round.
  const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
  const createCost = async (bookingId: string, date: string): Promise<number> => {
    await storageQuiet();
    const tables = (await world.azurite.requestCounts()).table;
    const another = await api(user.apiKey, 'POST', 'bookings', {
      bookingId,
      connectionId: user.connection.id,
      subject: 'Bench booking',
      start: `${date}T09:00:00`,
      end: `${date}T09:30:00`,
      timeZone: 'Europe/Amsterdam',
    });
    if (another.status !== 201) throw new Error(`create answered ${another.status}`);
    return (await world.azurite.requestCounts()).table - tables;
  };
  const tableCosts: number[] = [];
  for (let i = 2; i <= 4; i += 1) tableCosts.push(await createCost(`bench-${i}`, day(7 + i)));
  console.info(`booking create: ${tableCosts.join(', ')} Table requests (3 creates)`);
  report('booking create, Table requests (least of 3)', Math.min(...tableCosts), 'Table requests');
  const farCosts: number[] = [];
  for (let i = 5; i <= 7; i += 1) farCosts.push(await createCost(`bench-${i}`, `2031-03-0${i + 1}`));
  console.info(`booking create beyond the busy-cache horizon: ${farCosts.join(', ')} Table requests (3 creates)`);
  report('booking create beyond the busy-cache horizon, Table requests (least of 3)', Math.min(...farCosts), 'Table requests');
  report('booking create, token cached', create.all, 'Graph requests');

  // A booking read (the stored row, and the event as Outlook has it now): Table requests, least of 3.
  const readCosts: number[] = [];
  for (let i = 2; i <= 4; i += 1) {
    const tables = (await world.azurite.requestCounts()).table;
    const read = await api(user.apiKey, 'GET', `bookings/bench-${i}`);
    if (read.status !== 200) throw new Error(`booking read answered ${read.status}`);
    readCosts.push((await world.azurite.requestCounts()).table - tables);
  }
  console.info(`booking read: ${readCosts.join(', ')} Table requests (3 reads)`);
  report('booking read, Table requests (least of 3)', Math.min(...readCosts), 'Table requests');

  // 2. A live busy read over 20 calendars.
  const calendars = (await api(user.apiKey, 'GET', `connections/${user.connection.id}/calendars`)).body.value as { id: string }[];
  const ids = calendars.map((c) => c.id);
  while (ids.length < 20) ids.push((await control<{ id: string }>('POST', `/users/${upn}/calendars`, { name: `Bench ${ids.length}` })).id);
  const patched = await api(user.apiKey, 'PATCH', `connections/${user.connection.id}`, { busyCalendarIds: ids });
  if (patched.status !== 200) throw new Error(`choosing calendars answered ${patched.status}`);
  for (const [i, calendarId] of ids.entries()) {
    await control('POST', `/users/${upn}/events`, {
      calendarId,
      subject: `Busy ${i}`,
      start: { dateTime: `2031-03-04T${String(8 + (i % 10)).padStart(2, '0')}:00:00`, timeZone: 'UTC' },
      end: { dateTime: `2031-03-04T${String(8 + (i % 10)).padStart(2, '0')}:30:00`, timeZone: 'UTC' },
    });
  }
  const window = 'start=2031-03-04T00:00:00Z&end=2031-03-05T00:00:00Z';
  before = await counters();
  const live = await api(user.apiKey, 'GET', `connections/${user.connection.id}/busy?${window}`);
  if (live.body.source !== 'live') throw new Error(`expected a live read, got source ${String(live.body.source)}`);
  const liveCost = spent(before, await counters());
  console.info(`live busy, 20 calendars: ${liveCost.batches} $batch HTTP request(s) carrying ${liveCost.calendarViews} calendarView requests`);
  report('live busy read, 20 calendars, 1 page each', liveCost.batches, 'Graph HTTP requests');

  // The same with one calendar holding 300 events in the window (page size 250: one more page).
  for (let i = 0; i < 300; i += 1) {
    const minute = String(i % 60).padStart(2, '0');
    await control('POST', `/users/${upn}/events`, {
      calendarId: ids[0],
      subject: `Crowded ${i}`,
      start: { dateTime: `2031-03-04T${String(12 + Math.floor(i / 60)).padStart(2, '0')}:${minute}:00`, timeZone: 'UTC' },
      end: { dateTime: `2031-03-04T${String(12 + Math.floor(i / 60)).padStart(2, '0')}:${minute}:30`, timeZone: 'UTC' },
    });
  }
  before = await counters();
  await api(user.apiKey, 'GET', `connections/${user.connection.id}/busy?${window}`);
  const paged = spent(before, await counters());
  console.info(`live busy, 20 calendars, one with 2 pages: ${paged.batches} $batch HTTP request(s), ${paged.calendarViews} calendarView requests`);
  report('live busy read, 20 calendars, one calendar with 2 pages', paged.batches, 'Graph HTTP requests');

  // 3. A read the busy cache answers (filled as push sync would). Push sync is still busy with the new
  // calendars (their first full sync), so let it finish first: it would replace what we write.
  const fingerprint = async () => JSON.stringify((await app.services.store.busy.listSyncStates(user.connection.id)).map((s) => [s.calendarId, s.syncedAt]).sort());
  let last = '';
  await waitFor(
    async () => {
      const now = await fingerprint();
      const settled = now === last && now.split('],[').length >= ids.length;
      last = now;
      return settled;
    },
    { message: 'the first full syncs of the new calendars to settle (unchanged for a second)', timeout: 60_000, interval: 1000 },
  );
  const cacheWindow = { start: new Date('2031-03-01T00:00:00Z'), end: new Date('2031-04-01T00:00:00Z') };
  for (const calendarId of ids) {
    // The calendar's delta link is kept: without one, push sync's next round for it would be a full one,
    // replacing this window with its own.
    const deltaLink = (await app.services.store.busy.getSyncState(user.connection.id, calendarId))?.entity.deltaLink;
    await replaceCalendarBusy(app.services.store, { partitionKey: user.client.clientId, rowKey: user.connection.id }, calendarId, cacheWindow, [
      { eventId: `e-${calendarId.slice(-6)}`, start: new Date('2031-03-04T08:00:00Z'), end: new Date('2031-03-04T08:30:00Z'), showAs: 'busy' },
    ], deltaLink);
  }
  before = await counters();
  const cached = await api(user.apiKey, 'GET', `connections/${user.connection.id}/busy?${window}`);
  if (cached.body.source !== 'cache') throw new Error(`expected a cached read, got source ${String(cached.body.source)}`);
  const cachedCost = spent(before, await counters());
  console.info(`cached busy, 20 calendars: ${cachedCost.all} Graph request(s)`);
  report('cached busy read, 20 calendars', cachedCost.all, 'Graph requests');
  const busyTables: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    const tables = (await world.azurite.requestCounts()).table;
    const again = await api(user.apiKey, 'GET', `connections/${user.connection.id}/busy?${window}`);
    if (again.body.source !== 'cache') throw new Error(`expected a cached read, got source ${String(again.body.source)}`);
    busyTables.push((await world.azurite.requestCounts()).table - tables);
  }
  console.info(`cached busy, 20 calendars: ${busyTables.join(', ')} Table requests (3 reads)`);
  report('cached busy read, Table requests (least of 3)', Math.min(...busyTables), 'Table requests');
} finally {
  await app.close();
  await world.close();
}
