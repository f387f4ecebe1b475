// `npm run chaos` (not part of npm test): minutes of mixed load against the app, with the world misbehaving.
// The app runs as `npm start` runs it (dev/start.ts in a child process, so it can be killed and restarted)
// against Azurite (persisted, so it can be restarted too) and the Microsoft 365 simulator. Workers create,
// reschedule and cancel bookings, read busy time and change calendars "in Outlook" — their own events, and
// the bookings' events (moved, deleted, declined by an attendee) — while the script injects Graph 429/503
// faults, drops and duplicates notifications, revokes a user's sign-in (that user then reconnects), stops
// the app with SIGTERM, kills it with SIGKILL during a create, during a webhook delivery and during a delta
// round, and restarts Azurite. The booking system's webhook receiver records every booking webhook.
// Then faults stop; Graph reports the notifications it dropped as `missed` lifecycle events (as it does:
// https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events); unsettled requests are
// retried as a booking system would; and within at most 60 s every count below must reach 0: bookings lost,
// duplicated, unsettled, cancelled but still in Outlook, booking webhooks missing, bookings whose status
// disagrees with Outlook, busy-cache rows that differ from the simulator, busy calendars without a
// subscription record, connections not active.
// The last line printed is one JSON object with every count by name; the exit code says whether all are 0.
// A run that misses the 60 s keeps counting (at most --extra seconds more; by default the local host's 300 s processing visibility + 60) and says whether
// and when it converged: late means slow, never means a change was lost. --verbose names each booking,
// calendar and event that differs, with its sync state and its last delta rounds, and prints the app's
// warnings that mention its connection.
//
//   npm run chaos [-- --duration=120] [--users=6] [--workers=4] [--extra=300] [--verbose]
//   (CHAOS_DURATION_S also sets the duration)
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../dev/host/ports.js';
import { PROCESSING_VISIBILITY_SECONDS } from '../dev/host/queue-poller.js';
import type { paths } from '../client/calendar-bridge-api.js';
import { bridgeClient, type BridgeClient } from '../dev/bridge-client.js';
import { getServices, type Services } from '../shared/services.js';
import { readSyncLease } from '../shared/sync/sync-lease.js';
import { getQueue } from '../shared/queues/queue-client.js';
import { CALENDAR_SYNC_QUEUE } from '../shared/sync/sync-messages.js';
import { WEBHOOK_DELIVERY_QUEUE } from '../shared/webhooks/emit.js';
import { UPKEEP_QUEUE } from '../shared/upkeep/upkeep.js';
import { adminKeyOf, spawnApp, untilAnswers, type AppProcess } from '../test/support/app-process.js';
import { connectUser, createSimUser, createTestClient, type ConnectedUser, type TestClient } from '../test/support/connect-user.js';
import { IMMUTABLE_IDS, simJson } from '../test/support/simulator-control.js';
import { waitFor } from '../test/support/wait-for.js';
import { pointAppAt, startWorld } from '../test/support/world.js';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const durationS = arg('duration', Number(process.env.CHAOS_DURATION_S ?? 120));
const userCount = arg('users', 6);
const workerCount = arg('workers', 4);
const verbose = process.argv.includes('--verbose');
/** After the faults stop, how long the app gets to converge before the counts are final. */
const CONVERGE_S = 60;
/**
 * After a missed budget, how much longer the counts are taken, to tell slowness from a lost change: by default
 * long enough for what a killed host had received to come back and be worked (the host's processing visibility).
 */
const extraS = arg('extra', PROCESSING_VISIBILITY_SECONDS + CONVERGE_S);

const log = (line: string) => console.info(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

// ---- the world ---------------------------------------------------------------------------------------

const dataDir = mkdtempSync(join(tmpdir(), 'cb-chaos-'));
const port = await freePort();
const appUrl = `http://127.0.0.1:${port}`;
// Azurite persisted, so it can be restarted; this process reads the app's tables with the app's own secrets.
const world = await startWorld({ azurite: { location: join(dataDir, 'azurite'), tablePort: 0, queuePort: 0 }, secretsPath: join(dataDir, 'secrets.json'), publicBaseUrl: appUrl });
const { sim } = world;
const env: NodeJS.ProcessEnv = { ...process.env, ...world.settings, PORT: String(port), PUBLIC_BASE_URL: appUrl, LOCAL_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };

/** Azurite stops for 2 s and starts again on the same ports with the same data, as a storage outage would end. */
const restartAzurite = () => world.azurite.restart({ downMs: 2000 });

let appProcess: AppProcess | undefined;
/** What the app printed, over all its restarts. */
let earlierAppLog = '';
const appLog = () => earlierAppLog + (appProcess?.output() ?? '');
async function startApp(): Promise<void> {
  const t0 = Date.now();
  earlierAppLog = appLog();
  appProcess = spawnApp(env);
  await untilAnswers(appProcess, `${appUrl}/api/health`, 200, { timeout: 60_000 });
  log(`the app answers (${((Date.now() - t0) / 1000).toFixed(1)} s to start)`);
}
async function stopApp(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  await appProcess?.stop(signal);
}

/** The simulator's control API, reading event ids as the app holds them (immutable). */
const control = (method: string, path: string, body?: unknown): Promise<unknown> => simJson(sim.url, method, path, body, IMMUTABLE_IDS);

interface Answer {
  status: number;
  body: Record<string, unknown>;
}
type CreateBody = paths['/api/bookings']['post']['requestBody']['content']['application/json'];
type UpdateBody = NonNullable<paths['/api/bookings/{bookingId}']['patch']['requestBody']>['content']['application/json'];
let creating = 0;
/** One request of the booking system through the API client; status 0 when its outcome is unknown. */
async function call(request: () => Promise<{ data?: unknown; error?: unknown; response: Response }>, isCreate = false): Promise<Answer> {
  if (isCreate) creating += 1;
  try {
    const { data, error, response } = await request();
    const body = data ?? error;
    // Not JSON: the status says enough.
    return { status: response.status, body: typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {} };
  } catch {
    return { status: 0, body: {} }; // the app is down or restarting, or the request timed out: outcome unknown
  } finally {
    if (isCreate) creating -= 1;
  }
}

/** A booking's create, update or cancel as the booking system sends it. */
function bookingRequest(b: Booking, method: string, body?: unknown) {
  const path = { bookingId: b.id };
  if (method === 'POST') return api.POST('/api/bookings', { body: body as CreateBody });
  if (method === 'PATCH') return api.PATCH('/api/bookings/{bookingId}', { params: { path }, body: body as UpdateBody });
  return api.DELETE('/api/bookings/{bookingId}', { params: { path } });
}

// ---- the booking system's webhook receiver ----------------------------------------------------------

interface BookingHook {
  type: string;
  bookingId: string;
  data: Record<string, unknown>;
}
const bookingHooks: BookingHook[] = [];
const seenEventIds = new Set<string>();
let delivering = 0;
let repeatedDeliveries = 0;
const receiver = createServer((req, res) => {
  delivering += 1;
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    // A receiver that takes a moment: deliveries are in flight long enough to be killed in the middle.
    setTimeout(() => {
      delivering -= 1;
      try {
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; type: string; data: Record<string, unknown> };
        // Delivery is at least once: a receiver ignores an event id it has already handled.
        if (seenEventIds.has(event.id)) repeatedDeliveries += 1;
        else {
          seenEventIds.add(event.id);
          if (event.type.startsWith('booking.')) bookingHooks.push({ type: event.type, bookingId: String(event.data.bookingId), data: event.data });
        }
      } catch {
        // not ours
      }
      res.writeHead(204).end();
    }, 150);
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const webhookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;

// ---- what the booking system believes -------------------------------------------------------------

/** A change made in Outlook to a booking's event, and the webhook it must lead to. */
interface OutlookAction {
  kind: 'move' | 'delete' | 'decline';
  start?: string;
  end?: string;
  attendee?: string;
}

interface Booking {
  id: string;
  user: ConnectedUser;
  body: Record<string, unknown>;
  /** confirmed: the app said so; cancelled: the app said so; pending: the last request's outcome is unknown or refused. */
  state: 'confirmed' | 'cancelled' | 'pending';
  /** The request to repeat when pending. */
  retry?: { method: string; body?: unknown };
  busy?: boolean;
  eventId?: string;
  /** Changes made to its event in Outlook. From the first one on, the booking system leaves it to Outlook. */
  outlook: OutlookAction[];
}

/** When each SIGKILL happened: what a killed host had received comes back once its processing visibility runs out. */
const killedAt: Date[] = [];
const stats = { requests: 0, serverErrors: 0, unknown: 0, byStatus: new Map<number, number>(), outlookChanges: 0, bookingChanges: 0, kills: 0 };
const bookings: Booking[] = [];
let users: ConnectedUser[] = [];
let guest = '';
let client: TestClient;
/** The booking system's client of the API, with its API key. */
let api: BridgeClient;
let seq = 0;

function count(a: Answer): Answer {
  stats.requests += 1;
  stats.byStatus.set(a.status, (stats.byStatus.get(a.status) ?? 0) + 1);
  if (a.status >= 500) stats.serverErrors += 1;
  if (a.status === 0) stats.unknown += 1;
  return a;
}

const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
const slot = () => {
  const d = day(1 + Math.floor(Math.random() * 20));
  const h = String(7 + Math.floor(Math.random() * 10)).padStart(2, '0');
  const m = pick(['00', '15', '30']);
  return { start: `${d}T${h}:${m}:00`, end: `${d}T${h}:${m === '30' ? '59' : String(Number(m) + 25)}:00` };
};

/** Sends a booking request and records what the booking system may now believe. */
async function send(b: Booking, method: string, body?: unknown): Promise<void> {
  b.busy = true;
  try {
    const a = count(await call(() => bookingRequest(b, method, body), method === 'POST'));
    if (method === 'DELETE' && (a.status === 200 || a.status === 404)) {
      b.state = 'cancelled';
      b.retry = undefined;
    } else if (method !== 'DELETE' && (a.status === 200 || a.status === 201)) {
      b.state = 'confirmed';
      b.eventId = typeof a.body.eventId === 'string' ? a.body.eventId : b.eventId;
      b.retry = undefined;
    } else {
      b.state = 'pending';
      b.retry = { method, body };
    }
  } finally {
    b.busy = false;
  }
}

/** The person changes a booking's event in Outlook: moves it, deletes it, or an attendee declines. */
async function changeBookingInOutlook(b: Booking): Promise<void> {
  b.busy = true;
  try {
    const upn = encodeURIComponent(b.user.userPrincipalName);
    const event = `/graph/users/${upn}/events/${encodeURIComponent(b.eventId!)}`;
    const roll = Math.random();
    const invited = Array.isArray(b.body.attendees) && b.body.attendees.length > 0;
    if (invited && roll < 0.3 && !b.outlook.some((a) => a.kind === 'decline')) {
      await control('POST', `${event}/responses`, { attendee: guest, response: 'declined' });
      b.outlook.push({ kind: 'decline', attendee: guest });
    } else if (roll < 0.75) {
      const s = slot();
      await control('PATCH', event, { start: { dateTime: s.start, timeZone: 'UTC' }, end: { dateTime: s.end, timeZone: 'UTC' } });
      b.outlook.push({ kind: 'move', start: `${s.start}.000Z`, end: `${s.end}.000Z` });
    } else {
      await control('DELETE', event);
      b.outlook.push({ kind: 'delete' });
    }
    stats.bookingChanges += 1;
  } finally {
    b.busy = false;
  }
}

async function operation(): Promise<void> {
  const roll = Math.random();
  // A booking the person has changed in Outlook is the person's from then on: the booking system waits for webhooks.
  const live = bookings.filter((b) => !b.busy && b.outlook.length === 0);
  if (roll < 0.35 || live.length < 5) {
    const user = pick(users);
    seq += 1;
    const b: Booking = { id: `chaos-${seq}`, user, body: {}, state: 'pending', outlook: [] };
    b.body = { bookingId: b.id, connectionId: user.connection.id, subject: `Chaos ${seq}`, ...slot(), timeZone: 'Europe/London' };
    if (seq % 3 === 0) b.body.attendees = [{ email: guest, type: 'required' }];
    bookings.push(b);
    await send(b, 'POST', b.body);
  } else if (roll < 0.47) {
    const b = pick(live);
    if (b.state === 'confirmed') await send(b, 'PATCH', { ...slot(), force: true });
  } else if (roll < 0.55) {
    const b = pick(live);
    if (b.state !== 'cancelled') await send(b, 'DELETE');
  } else if (roll < 0.7) {
    const user = pick(users);
    const d = day(1 + Math.floor(Math.random() * 20));
    const query = { start: `${d}T00:00:00Z`, end: `${d}T23:59:00Z` };
    count(await call(() => api.GET('/api/connections/{id}/busy', { params: { path: { id: user.connection.id }, query } })));
  } else if (roll < 0.85) {
    const changeable = bookings.filter((b) => !b.busy && b.state === 'confirmed' && b.eventId && !b.outlook.some((a) => a.kind === 'delete'));
    if (changeable.length > 0) await changeBookingInOutlook(pick(changeable));
  } else {
    // The user changes their calendar in Outlook: add, move or delete an event of their own.
    const user = pick(users);
    const upn = encodeURIComponent(user.userPrincipalName);
    const calendarId = pick(user.connection.busyCalendarIds);
    const own = ((await control('GET', `/graph/users/${upn}/calendars/${encodeURIComponent(calendarId)}/events`)) as { value: { id: string; subject: string }[] }).value.filter((e) => e.subject.startsWith('Outlook'));
    const s = slot();
    const when = { start: { dateTime: s.start, timeZone: 'UTC' }, end: { dateTime: s.end, timeZone: 'UTC' } };
    const change = own.length === 0 ? 0 : Math.random();
    if (change < 0.5) await control('POST', `/graph/users/${upn}/events`, { calendarId, subject: `Outlook ${seq}`, ...when });
    else if (change < 0.75) await control('PATCH', `/graph/users/${upn}/events/${pick(own).id}`, when);
    else await control('DELETE', `/graph/users/${upn}/events/${pick(own).id}`);
    stats.outlookChanges += 1;
  }
}

// ---- the checks ----------------------------------------------------------------------------------------

type SimEvent = { id: string; isCancelled?: boolean; start: { dateTime: string }; end: { dateTime: string }; singleValueExtendedProperties?: { value: string }[] };
const utc = (s: string) => new Date(`${s.replace(/\.\d+$/, '').replace(/Z$/, '')}Z`).toISOString();

/** Does a webhook the receiver got report this Outlook action? */
function reported(b: Booking, action: OutlookAction): boolean {
  return bookingHooks.some((h) => {
    if (h.bookingId !== b.id) return false;
    if (action.kind === 'delete') return h.type === 'booking.deleted_in_calendar';
    if (action.kind === 'decline')
      return h.type === 'booking.declined_in_calendar' && (h.data.declinedBy as { email: string }[] | undefined)?.some((d) => d.email.toLowerCase() === action.attendee!.toLowerCase());
    return h.type === 'booking.changed_in_calendar' && h.data.start === action.start && h.data.end === action.end;
  });
}

const hms = (d: Date | undefined) => (d ? d.toISOString().slice(11, 19) : 'never');

/** A calendar as the app holds it: its sync state, its last rounds (the lease row) and its subscription records. */
async function calendarReport(services: Services, user: ConnectedUser, calendarId: string): Promise<string> {
  const state = (await services.store.busy.getSyncState(user.connection.id, calendarId))?.entity;
  const lease = await readSyncLease(services.store, user.connection.id, calendarId);
  const records = await services.store.subscriptions.listOwnerRecords(client.client.clientId, user.connection.id);
  const held = lease?.leaseUntil && lease.leaseUntil.getTime() > Date.now() ? `, lease held until ${hms(lease.leaseUntil)}` : '';
  return [
    `calendar …${calendarId.slice(-12)} of ${user.userPrincipalName} (connection ${user.connection.id})`,
    state ? `sync state ${state.status}, synced ${hms(state.syncedAt)}, delta link ${state.deltaLink ? 'kept' : 'none'}` : 'NO sync state',
    `last round started ${hms(lease?.lastRoundStartedAt)}, last full round ${hms(lease?.lastFullRoundStartedAt)}${held}`,
    `subscription records of the connection: ${records.filter((r) => r.calendarId === calendarId).length} for this calendar, ${records.length} in all`,
  ].join('; ');
}

/**
 * Messages each queue holds out of sight: received by a host and not yet settled (a host killed with
 * SIGKILL leaves its received messages hidden until their processing visibility runs out), or waiting for
 * a delayed retry.
 */
async function hiddenMessages(services: Services): Promise<string> {
  const parts: string[] = [];
  for (const name of [CALENDAR_SYNC_QUEUE, WEBHOOK_DELIVERY_QUEUE, UPKEEP_QUEUE]) {
    const queue = await getQueue(services.config.storage, name);
    const all = (await queue.getProperties()).approximateMessagesCount ?? 0;
    const visible = (await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.length;
    parts.push(`${name} ${all} (${visible < 32 ? all - visible : '?'} hidden)`);
  }
  return `queued messages: ${parts.join(', ')}`;
}

/** The counts, and with `explain` a line for each booking, calendar and event that differs. */
async function counts(services: Services, unsettled: number, explain = false): Promise<{ counts: Record<string, number>; details: string[] }> {
  const details: string[] = [];
  let lost = 0;
  let duplicated = 0;
  let ghosts = 0;
  let statusDisagrees = 0;
  let webhooksExpected = 0;
  let webhooksMissing = 0;
  const eventsOf = new Map<string, SimEvent[]>();
  for (const user of users) {
    eventsOf.set(user.connection.id, ((await control('GET', `/graph/users/${encodeURIComponent(user.userPrincipalName)}/calendars/default/events`)) as { value: SimEvent[] }).value);
  }
  /** The calendars a detail named, reported once after the bookings. */
  const calendarsToReport = new Map<string, { user: ConnectedUser; calendarId: string }>();
  const bookingDetail = async (b: Booking, what: string) => {
    if (!explain) return;
    const row = (await services.store.bookings.getBooking(client.client.clientId, b.id))?.entity;
    const hooks = bookingHooks.filter((h) => h.bookingId === b.id).map((h) => `${h.type}${h.data.start ? ` ${String(h.data.start).slice(5, 16)}` : ''}`);
    const actions = b.outlook.map((a) => `${a.kind}${a.start ? ` ${a.start.slice(5, 16)}` : ''}`);
    details.push(`booking ${b.id} (${b.user.userPrincipalName}): ${what}; booking system thinks ${b.state}, row ${row?.status ?? 'none'} event ${row?.eventId?.slice(-12) ?? '-'}; Outlook actions [${actions.join(', ')}]; webhooks [${hooks.join(', ')}]`);
    const calendarId = row?.calendarId ?? b.user.connection.busyCalendarIds[0];
    if (calendarId) calendarsToReport.set(`${b.user.connection.id}|${calendarId}`, { user: b.user, calendarId });
  };
  for (const b of bookings) {
    const n = eventsOf.get(b.user.connection.id)!.filter((e) => e.singleValueExtendedProperties?.some((p) => p.value === `${client.client.clientId}/${b.id}`)).length;
    const deletedInOutlook = b.outlook.some((a) => a.kind === 'delete');
    if (n > 1) duplicated += 1;
    if (n > 1) await bookingDetail(b, `${n} events in Outlook`);
    if (b.state === 'confirmed' && n === 0 && !deletedInOutlook) lost += 1;
    if (b.state === 'confirmed' && n === 0 && !deletedInOutlook) await bookingDetail(b, 'lost: no event in Outlook');
    if (b.state === 'cancelled' && n > 0) ghosts += 1;
    if (b.state === 'cancelled' && n > 0) await bookingDetail(b, 'cancelled but still in Outlook');
    // Every Outlook-side change is reported, unless a later change to the same booking superseded it before
    // a round saw it (a later move supersedes a move; a delete supersedes everything before it).
    for (const [i, action] of b.outlook.entries()) {
      webhooksExpected += 1;
      const superseded = b.outlook.slice(i + 1).some((later) => later.kind === 'delete' || (action.kind === 'move' && later.kind === 'move'));
      if (!superseded && !reported(b, action)) {
        webhooksMissing += 1;
        await bookingDetail(b, `no webhook for Outlook action ${i + 1} (${action.kind})`);
      }
    }
    if (b.state === 'pending') continue;
    const row = (await services.store.bookings.getBooking(client.client.clientId, b.id))?.entity;
    if (row && row.status !== 'pending' && (row.status === 'cancelled') !== (n === 0)) {
      statusDisagrees += 1;
      await bookingDetail(b, `status ${row.status} but ${n} event(s) in Outlook`);
    }
  }

  let cacheRowsDiffering = 0;
  for (const user of users) {
    for (const calendarId of user.connection.busyCalendarIds) {
      const state = (await services.store.busy.getSyncState(user.connection.id, calendarId))?.entity;
      if (!state) {
        cacheRowsDiffering += 1;
        if (explain) calendarsToReport.set(`${user.connection.id}|${calendarId}`, { user, calendarId });
        continue;
      }
      const q = `startDateTime=${state.windowStart.toISOString()}&endDateTime=${state.windowEnd.toISOString()}`;
      const truth = ((await control('GET', `/graph/users/${encodeURIComponent(user.userPrincipalName)}/calendars/${encodeURIComponent(calendarId)}/events?${q}`)) as { value: SimEvent[] }).value;
      const want = new Set(truth.filter((e) => !e.isCancelled).map((e) => `${e.id}|${utc(e.start.dateTime)}|${utc(e.end.dateTime)}`));
      const rows = await services.store.busy.listCalendarEvents(user.connection.id, calendarId);
      const have = new Set(rows.map((r) => `${r.eventId}|${new Date(r.start).toISOString()}|${new Date(r.end).toISOString()}`));
      const missing = [...want].filter((x) => !have.has(x));
      const extra = [...have].filter((x) => !want.has(x));
      cacheRowsDiffering += missing.length + extra.length;
      if (missing.length + extra.length > 0 && explain) {
        calendarsToReport.set(`${user.connection.id}|${calendarId}`, { user, calendarId });
        const show = (x: string) => `…${x.split('|')[0]!.slice(-12)} ${x.split('|')[1]!.slice(5, 16)}`;
        details.push(`busy cache of ${user.userPrincipalName}: missing [${missing.map(show).join(', ')}], extra [${extra.map(show).join(', ')}]`);
      }
    }
  }
  for (const { user, calendarId } of calendarsToReport.values()) details.push(await calendarReport(services, user, calendarId));
  if (explain) details.push(await hiddenMessages(services));
  // Every busy calendar is watched: a subscription record (or a share of one) of its connection names it.
  let unsubscribed = 0;
  for (const user of users) {
    const records = await services.store.subscriptions.listOwnerRecords(client.client.clientId, user.connection.id);
    for (const calendarId of user.connection.busyCalendarIds) {
      if (records.some((r) => r.calendarId === calendarId)) continue;
      unsubscribed += 1;
      if (explain) details.push(`calendar …${calendarId.slice(-12)} of ${user.userPrincipalName} has no subscription record`);
    }
  }
  const statuses = await Promise.all(users.map(async (u) => (await services.store.connections.getConnection(client.client.clientId, u.connection.id))?.entity.status));
  if (explain) users.forEach((u, i) => statuses[i] !== 'active' && details.push(`connection of ${u.userPrincipalName} is ${statuses[i]}`));
  return {
    counts: {
      bookingsLost: lost,
      bookingsDuplicated: duplicated,
      bookingsUnsettled: unsettled,
      bookingsCancelledButInOutlook: ghosts,
      bookingWebhooksMissing: webhooksMissing,
      bookingStatusDisagreesWithOutlook: statusDisagrees,
      busyCacheRowsDiffering: cacheRowsDiffering,
      calendarsWithoutSubscription: unsubscribed,
      connectionsNotActive: statuses.filter((s) => s !== 'active').length,
      // Informational (not required to be 0):
      bookingWebhooksExpected: webhooksExpected,
    },
    details,
  };
}
const REQUIRED_ZERO = [
  'bookingsLost',
  'bookingsDuplicated',
  'bookingsUnsettled',
  'bookingsCancelledButInOutlook',
  'bookingWebhooksMissing',
  'bookingStatusDisagreesWithOutlook',
  'busyCacheRowsDiffering',
  'calendarsWithoutSubscription',
  'connectionsNotActive',
] as const;

// ---- the run -------------------------------------------------------------------------------------

let failed = false;
let summary: Record<string, number> = {};
try {
  await startApp();
  const app = { url: appUrl, simulatorUrl: sim.url, adminKey: await adminKeyOf(appUrl, world.settings.LOCAL_SECRETS_PATH) };
  client = await createTestClient(app, { name: 'Chaos booking system', webhookUrl });
  api = bridgeClient(appUrl, client.apiKey);
  guest = (await createSimUser(sim.url, 'chaos-guest')).userPrincipalName;
  const upns = await Promise.all(Array.from({ length: userCount }, async (_, i) => (await createSimUser(sim.url, `chaos${i}`)).userPrincipalName));
  users = [];
  for (const [i, upn] of upns.entries()) users.push(await connectUser(app, { client, userPrincipalName: upn, externalUserId: `staff-${i}` }));
  pointAppAt(world.settings, appUrl);
  const services = getServices();
  log(`app on ${appUrl}, ${users.length} connected users, ${workerCount} workers, ${durationS} s`);

  const endAt = Date.now() + durationS * 1000;
  let stop = false;
  const workers = Array.from({ length: workerCount }, async () => {
    while (!stop && Date.now() < endAt) {
      const unknownBefore = stats.unknown;
      await operation().catch((e: unknown) => log(`operation failed: ${String(e)}`));
      // No answer (the app is down or restarting): a booking system backs off before its next request.
      await sleep(stats.unknown > unknownBefore ? 1000 : 20 + Math.random() * 80);
    }
  });

  /** SIGKILL of the app once `during` holds (or after 15 s of waiting for it, said in the log), then a restart. */
  const killDuring = async (what: string, during: () => Promise<boolean> | boolean) => {
    const caught = await waitFor(during, { message: what, timeout: 15_000, interval: 20 }).then(
      () => true,
      () => false,
    );
    await stopApp('SIGKILL');
    killedAt.push(new Date());
    stats.kills += 1;
    log(`kill -9 of the app ${caught ? 'during' : 'without catching'} ${what}; restarting`);
    await startApp();
  };
  const roundRunning = async () => {
    for (const u of users) {
      for (const calendarId of u.connection.busyCalendarIds) {
        const lease = await readSyncLease(services.store, u.connection.id, calendarId).catch(() => undefined);
        if (lease?.leaseOwner && lease.leaseUntil && lease.leaseUntil.getTime() > Date.now()) return true;
      }
    }
    return false;
  };

  // The chaos itself, on a schedule relative to the duration.
  const at = (fraction: number) => sleep(Math.max(0, endAt - durationS * 1000 * (1 - fraction) - Date.now()));
  const faults: string[] = [];
  const fault = async (what: Record<string, unknown>) => faults.push(((await control('POST', '/graph/faults', what)) as { id: string }).id);
  const revoked = users[0]!;
  const script = (async () => {
    await at(0.1);
    log('faults: Graph 429 and 503 on 15% of requests, 30% of notifications dropped, 30% duplicated');
    await fault({ status: 429, errorRate: 0.15, retryAfterSeconds: 1 });
    await fault({ status: 503, errorRate: 0.15, retryAfterSeconds: 1 });
    await fault({ dropNotifications: 0.3 });
    await fault({ duplicateNotifications: 0.3 });
    await at(0.2);
    await killDuring('a booking create', () => creating > 0);
    await at(0.3);
    log(`token revocation: ${revoked.userPrincipalName} signs out everywhere; access tokens expire (sim clock +65 min)`);
    await control('POST', `/users/${encodeURIComponent(revoked.userPrincipalName)}/revoke-sign-in-sessions`);
    await control('POST', '/clock/advance', { minutes: 65 });
    await at(0.4);
    await killDuring('a webhook delivery', () => delivering > 0);
    await at(0.5);
    log('restart: the app is stopped (SIGTERM) and started again');
    await stopApp('SIGTERM');
    await sleep(1000);
    await startApp();
    await at(0.6);
    await killDuring('a delta round', roundRunning);
    await at(0.65);
    log(`reconnect: ${revoked.userPrincipalName} connects again (same connection)`);
    const again = await connectUser(app, { client, userPrincipalName: revoked.userPrincipalName, externalUserId: 'staff-0' });
    if (again.connection.id !== revoked.connection.id) log(`reconnect gave a new connection id ${again.connection.id}`);
    await at(0.75);
    log('storage outage: Azurite stops and starts again');
    await restartAzurite();
    await at(0.85);
    await killDuring('a delta round', roundRunning);
  })();
  await Promise.all(workers);
  stop = true;
  await script;
  for (const id of faults) await control('DELETE', `/graph/faults/${id}`);
  log(`load done: ${stats.requests} API requests (${[...stats.byStatus].sort().map(([s, n]) => `${s}:${n}`).join(' ')}), ${stats.outlookChanges} Outlook changes of own events, ${stats.bookingChanges} of bookings, ${stats.kills} kill -9`);
  const faultsStoppedAt = Date.now();

  // Graph reports what it could not deliver as `missed` on the subscription: the simulator sent those itself,
  // as each drop happened (https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events).
  const dropped = ((await control('GET', '/graph/notifications?status=dropped')) as { value: { payload: { value: { subscriptionId: string }[] } }[] }).value;
  const missed = new Set(dropped.flatMap((d) => d.payload.value.map((n) => n.subscriptionId)));
  log(`${dropped.length} dropped notification deliveries: Graph sent 'missed' for ${missed.size} subscription(s)`);

  // Settle as a booking system would: repeat every request whose outcome it does not know.
  for (let round = 0; round < 5 && bookings.some((b) => b.state === 'pending'); round += 1) {
    const pending = bookings.filter((x) => x.state === 'pending');
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let b = pending.shift(); b; b = pending.shift()) {
          const retry = b.retry ?? { method: 'POST', body: b.body };
          await send(b, retry.method, retry.method === 'PATCH' ? { ...(retry.body as object), force: true } : retry.body);
        }
      }),
    );
    if (bookings.some((b) => b.state === 'pending')) await sleep(2000);
  }
  log(`settled: ${bookings.filter((b) => b.state === 'pending').length} booking(s) still unsettled`);
  // The clock starts once the booking system's last write is done (its retries may create events too).
  const settledAt = Date.now();
  const unsettled = bookings.filter((b) => b.state === 'pending').length;

  // The app converges by itself: no sync is run for it. Counts are taken until all are 0, for at most 60 s;
  // after a miss they go on being taken (at most `extraS` more) to tell a slow app from a lost change.
  const zero = (c: Record<string, number>) => REQUIRED_ZERO.every((k) => c[k] === 0);
  let convergedAfterS: number | undefined;
  let budgetCounts: Record<string, number> | undefined;
  for (;;) {
    const elapsedS = (Date.now() - settledAt) / 1000;
    const result = await counts(services, unsettled, verbose && !budgetCounts && elapsedS > CONVERGE_S);
    if (zero(result.counts)) {
      convergedAfterS = Math.round((Date.now() - settledAt) / 1000);
      summary = budgetCounts ?? result.counts;
      break;
    }
    if (elapsedS > CONVERGE_S && !budgetCounts) {
      budgetCounts = result.counts;
      log(`not converged after ${CONVERGE_S} s (load ${loadavg()[0]!.toFixed(1)}): ${REQUIRED_ZERO.filter((k) => result.counts[k] !== 0).map((k) => `${k} ${result.counts[k]}`).join(', ')}; waiting up to ${extraS} s more`);
      for (const line of result.details) log(`  ${line}`);
    }
    if (elapsedS > CONVERGE_S + extraS) {
      summary = budgetCounts ?? result.counts;
      const end = await counts(services, unsettled, verbose);
      log(`never converged within ${CONVERGE_S + extraS} s: ${REQUIRED_ZERO.filter((k) => end.counts[k] !== 0).map((k) => `${k} ${end.counts[k]}`).join(', ')}`);
      for (const line of end.details) log(`  ${line}`);
      break;
    }
    if (budgetCounts && Math.floor(elapsedS) % 30 < 3) log(`still waiting (${Math.round(elapsedS)} s, load ${loadavg()[0]!.toFixed(1)})`);
    await sleep(3000);
  }
  /** A late convergence that came as a killed host's hidden messages came back (within a 60 s budget of that). */
  let explainedByKill: Date | undefined;
  if (budgetCounts && convergedAfterS !== undefined) {
    const at = settledAt + convergedAfterS * 1000;
    const back = (k: Date) => k.getTime() + PROCESSING_VISIBILITY_SECONDS * 1000;
    explainedByKill = [...killedAt].reverse().find((k) => at >= back(k) && at <= back(k) + CONVERGE_S * 1000);
    log(`converged at ${hms(new Date(at))}, ${killedAt.map((k) => `${Math.round((at - k.getTime()) / 1000)} s`).join(', ')} after the kill(s) at ${killedAt.map(hms).join(', ')}`);
  }
  summary = { ...summary };
  summary.secondsToConverge = convergedAfterS ?? -1;
  summary.convergedLate = budgetCounts && convergedAfterS !== undefined ? 1 : 0;
  summary.neverConverged = convergedAfterS === undefined ? 1 : 0;
  summary.loadAverage1m = Math.round(loadavg()[0]! * 10) / 10;
  summary.secondsFaultsToSettled = Math.round((settledAt - faultsStoppedAt) / 1000);
  summary.kills = stats.kills;
  summary.repeatedWebhookDeliveries = repeatedDeliveries;
  if (verbose && budgetCounts) {
    // What the app said about the connections that differed (it runs with LOG_LEVEL=warn).
    const lines = appLog().split('\n').filter((l) => /needs re-auth|subscri|sync|lease|missed|failed|error/i.test(l));
    log(`app warnings (${lines.length}, the last 40):`);
    for (const line of lines.slice(-40)) console.info(`    ${line.slice(0, 300)}`);
  }

  console.info('');
  console.info('chaos run: what was checked');
  const row = (what: string, value: number | string, ok: boolean) => console.info(`  ${ok ? 'ok  ' : 'FAIL'}  ${what.padEnd(60)} ${value}`);
  row('bookings attempted', bookings.length, bookings.length > 0);
  row('bookings confirmed / cancelled at the end', `${bookings.filter((b) => b.state === 'confirmed').length} / ${bookings.filter((b) => b.state === 'cancelled').length}`, true);
  row('bookings still unsettled after retries', summary.bookingsUnsettled!, summary.bookingsUnsettled === 0);
  row('bookings lost (confirmed, no event in Outlook)', summary.bookingsLost!, summary.bookingsLost === 0);
  row('bookings duplicated (more than one event)', summary.bookingsDuplicated!, summary.bookingsDuplicated === 0);
  row('bookings cancelled but still in Outlook', summary.bookingsCancelledButInOutlook!, summary.bookingsCancelledButInOutlook === 0);
  row(`booking webhooks missing (of ${summary.bookingWebhooksExpected} Outlook-side changes)`, summary.bookingWebhooksMissing!, summary.bookingWebhooksMissing === 0);
  row('bookings whose status disagrees with Outlook', summary.bookingStatusDisagreesWithOutlook!, summary.bookingStatusDisagreesWithOutlook === 0);
  row('busy-cache rows that differ from the simulator', summary.busyCacheRowsDiffering!, summary.busyCacheRowsDiffering === 0);
  row('busy calendars without a subscription record', summary.calendarsWithoutSubscription!, summary.calendarsWithoutSubscription === 0);
  row('connections not active', summary.connectionsNotActive!, summary.connectionsNotActive === 0);
  row('seconds from the end of the faults to the last booking-system retry', summary.secondsFaultsToSettled!, true);
  const converged = summary.neverConverged ? `never (waited ${CONVERGE_S + extraS})` : summary.secondsToConverge!;
  row(`seconds from then to all counts 0 (budget ${CONVERGE_S}; counts above as at the budget)`, converged, !summary.convergedLate && !summary.neverConverged);
  row('load average (1 min) at the end (informational)', summary.loadAverage1m!, true);
  row('API answers 5xx during the run (faults injected; informational)', stats.serverErrors, true);
  row('webhook deliveries repeated (at least once; informational)', repeatedDeliveries, true);
  failed = REQUIRED_ZERO.some((k) => summary[k] !== 0);
  const hidden = explainedByKill ? `, as the messages hidden by the kill at ${hms(explainedByKill)} came back (${PROCESSING_VISIBILITY_SECONDS} s later)` : '';
  const verdict = summary.neverConverged ? 'never converged: a change was lost' : `converged late, after ${summary.secondsToConverge} s${hidden}: slow`;
  console.info(failed ? `\nchaos: FAILED (${verdict})` : '\nchaos: all checks passed');
} catch (error) {
  failed = true;
  console.error(`chaos: the run itself failed: ${String((error as Error).stack ?? error)}\n${appLog().slice(-3000)}`);
} finally {
  await stopApp();
  await world.close();
  await new Promise((resolve) => receiver.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
}
console.info(JSON.stringify({ ...summary, failed: failed ? 1 : 0 }));
process.exit(failed ? 1 : 0);
