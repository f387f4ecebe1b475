// `npm run chaos` (not part of npm test): minutes of mixed load against the app, with the world misbehaving.
// The app runs as `npm start` runs it (dev/start.ts in a child process, so it can be restarted) against an
// in-process Azurite and Microsoft 365 simulator. Workers create, reschedule and cancel bookings, read busy
// time and change calendars "in Outlook", while the script injects Graph 429/503 faults, drops and
// duplicates notifications, revokes a user's sign-in (that user then reconnects) and restarts the app
// halfway. Then faults stop, unsettled requests are retried as a booking system would, one final delta
// sync runs per calendar, and it checks: bookings lost, bookings duplicated, busy-cache mismatches against
// the simulator's truth. All must be 0; the exit code says so.
//
//   npm run chaos [-- --duration=120] [--users=6] [--workers=4]      (CHAOS_DURATION_S also sets the duration)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAzurite } from '../dev/azurite.js';
import { freePort } from '../dev/host/ports.js';
import { startSimulator } from '../dev/simulator/server.js';
import { resetConfig } from '../shared/config.js';
import { getServices, resetServices } from '../shared/services.js';
import { syncCalendar, syncWindow } from '../shared/sync/calendar-sync.js';
import { defaultSyncDeps } from '../shared/sync/sync-deps.js';
import type { AppHost } from '../test/support/app-host.js';
import { connectUser, createSimUser, createTestClient, type ConnectedUser, type TestClient } from '../test/support/connect-user.js';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const durationS = arg('duration', Number(process.env.CHAOS_DURATION_S ?? 120));
const userCount = arg('users', 6);
const workerCount = arg('workers', 4);

const log = (line: string) => console.info(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

// ---- the world ---------------------------------------------------------------------------------------

const dataDir = mkdtempSync(join(tmpdir(), 'cb-chaos-'));
const azurite = await startAzurite();
const sim = await startSimulator({ port: 0 });
const port = await freePort();
const appUrl = `http://127.0.0.1:${port}`;
const env: NodeJS.ProcessEnv = {
  ...process.env,
  PORT: String(port),
  PUBLIC_BASE_URL: appUrl,
  AzureWebJobsStorage: azurite.connectionString,
  M365_SIMULATOR_URL: sim.url,
  LOCAL_SECRETS_PATH: join(dataDir, 'secrets.json'),
  LOCAL_DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
};
Object.assign(process.env, { AzureWebJobsStorage: env.AzureWebJobsStorage, M365_SIMULATOR_URL: sim.url, LOCAL_SECRETS_PATH: env.LOCAL_SECRETS_PATH, PUBLIC_BASE_URL: appUrl });

let appProcess: ChildProcess | undefined;
let appLog = '';
async function startApp(): Promise<void> {
  appProcess = spawn(process.execPath, ['--import', 'tsx', 'dev/start.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  appProcess.stdout!.on('data', (c: Buffer) => (appLog += c.toString()));
  appProcess.stderr!.on('data', (c: Buffer) => (appLog += c.toString()));
  for (const t0 = Date.now(); Date.now() - t0 < 60_000; await sleep(50)) {
    if (appProcess.exitCode !== null) throw new Error(`the app exited:\n${appLog.slice(-2000)}`);
    if ((await fetch(`${appUrl}/api/health`).then((r) => r.status, () => 0)) === 200) return;
  }
  throw new Error('the app did not start within 60 s');
}
async function stopApp(): Promise<void> {
  if (!appProcess || appProcess.exitCode !== null) return;
  const exited = new Promise((resolve) => appProcess!.once('exit', resolve));
  appProcess.kill('SIGTERM');
  await exited;
}

async function control(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sim.url}/_sim${path}`, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`simulator ${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}
async function call(key: string, method: string, path: string, body?: unknown): Promise<Answer> {
  try {
    const res = await fetch(`${appUrl}/api/${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  } catch {
    return { status: 0, body: {} }; // the app is restarting, or the request timed out: outcome unknown
  }
}

// ---- what the booking system believes -------------------------------------------------------------

interface Booking {
  id: string;
  user: ConnectedUser;
  body: Record<string, unknown>;
  /** confirmed: the app said so; cancelled: the app said so; pending: the last request's outcome is unknown or refused. */
  state: 'confirmed' | 'cancelled' | 'pending';
  /** The request to repeat when pending. */
  retry?: { method: string; body?: unknown };
  busy?: boolean;
}

const stats = { requests: 0, serverErrors: 0, unknown: 0, byStatus: new Map<number, number>(), outlookChanges: 0 };
const bookings: Booking[] = [];
let users: ConnectedUser[] = [];
let client: TestClient;
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
    const path = method === 'POST' ? 'bookings' : `bookings/${b.id}`;
    const a = count(await call(client.apiKey, method, path, body));
    if (method === 'DELETE' && (a.status === 200 || a.status === 404)) {
      b.state = 'cancelled';
      b.retry = undefined;
    } else if (method !== 'DELETE' && (a.status === 200 || a.status === 201)) {
      b.state = 'confirmed';
      b.retry = undefined;
    } else {
      b.state = 'pending';
      b.retry = { method, body };
    }
  } finally {
    b.busy = false;
  }
}

async function operation(): Promise<void> {
  const roll = Math.random();
  const live = bookings.filter((b) => !b.busy);
  if (roll < 0.35 || live.length < 5) {
    const user = pick(users);
    seq += 1;
    const b: Booking = { id: `chaos-${seq}`, user, body: {}, state: 'pending' };
    b.body = { bookingId: b.id, connectionId: user.connection.id, subject: `Chaos ${seq}`, ...slot(), timeZone: 'Europe/London' };
    bookings.push(b);
    await send(b, 'POST', b.body);
  } else if (roll < 0.5) {
    const b = pick(live);
    if (b.state === 'confirmed') await send(b, 'PATCH', { ...slot(), force: true });
  } else if (roll < 0.6) {
    const b = pick(live);
    if (b.state !== 'cancelled') await send(b, 'DELETE');
  } else if (roll < 0.8) {
    const user = pick(users);
    const d = day(1 + Math.floor(Math.random() * 20));
    count(await call(client.apiKey, 'GET', `connections/${user.connection.id}/busy?start=${d}T00:00:00Z&end=${d}T23:59:00Z`));
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

// ---- the run -------------------------------------------------------------------------------------

let failed = false;
try {
  await startApp();
  await fetch(`${appUrl}/api/manage/system`); // the admin key is generated on first use
  const adminKey = (JSON.parse(readFileSync(env.LOCAL_SECRETS_PATH!, 'utf8')) as { secrets: Record<string, { value: string }[]> }).secrets['admin-api-key']!.at(-1)!.value;
  const app = { url: appUrl, simulatorUrl: sim.url, adminKey } as AppHost;
  client = await createTestClient(app, { name: 'Chaos booking system' });
  const upns = await Promise.all(Array.from({ length: userCount }, async (_, i) => (await createSimUser(sim.url, `chaos${i}`)).userPrincipalName));
  users = [];
  for (const [i, upn] of upns.entries()) users.push(await connectUser(app, { client, userPrincipalName: upn, externalUserId: `staff-${i}` }));
  log(`app on ${appUrl}, ${users.length} connected users, ${workerCount} workers, ${durationS} s`);

  const endAt = Date.now() + durationS * 1000;
  let stop = false;
  const workers = Array.from({ length: workerCount }, async () => {
    while (!stop && Date.now() < endAt) {
      await operation().catch((e: unknown) => log(`operation failed: ${String(e)}`));
      await sleep(20 + Math.random() * 80);
    }
  });

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
    await at(0.3);
    log(`token revocation: ${revoked.userPrincipalName} signs out everywhere; access tokens expire (sim clock +65 min)`);
    await control('POST', `/users/${encodeURIComponent(revoked.userPrincipalName)}/revoke-sign-in-sessions`);
    await control('POST', '/clock/advance', { minutes: 65 });
    await at(0.5);
    log('restart: the app is stopped (SIGTERM) and started again');
    await stopApp();
    await sleep(1000);
    await startApp();
    await at(0.65);
    log(`reconnect: ${revoked.userPrincipalName} connects again (same connection)`);
    const again = await connectUser(app, { client, userPrincipalName: revoked.userPrincipalName, externalUserId: 'staff-0' });
    if (again.connection.id !== revoked.connection.id) log(`reconnect gave a new connection id ${again.connection.id}`);
  })();
  await Promise.all(workers);
  stop = true;
  await script;
  for (const id of faults) await control('DELETE', `/graph/faults/${id}`);
  log(`load done: ${stats.requests} API requests (${[...stats.byStatus].sort().map(([s, n]) => `${s}:${n}`).join(' ')}), ${stats.outlookChanges} Outlook changes`);

  // Settle as a booking system would: repeat every request whose outcome it does not know.
  for (let round = 0; round < 5 && bookings.some((b) => b.state === 'pending'); round += 1) {
    for (const b of bookings.filter((x) => x.state === 'pending')) {
      const retry = b.retry ?? { method: 'POST', body: b.body };
      await send(b, retry.method, retry.method === 'PATCH' ? { ...(retry.body as object), force: true } : retry.body);
    }
    if (bookings.some((b) => b.state === 'pending')) await sleep(2000);
  }
  const unsettled = bookings.filter((b) => b.state === 'pending');

  // The final sync: quiet first, then one delta round per calendar through the app's own sync code.
  await sleep(5000);
  resetConfig();
  resetServices();
  const services = getServices();
  const deps = { ...defaultSyncDeps(services), emit: async () => undefined };
  for (const user of users) {
    for (const calendarId of user.connection.busyCalendarIds) {
      await syncCalendar(deps, { clientId: client.client.clientId, connectionId: user.connection.id, calendarId, receivedAt: new Date(), full: false }).catch((e: unknown) => log(`final sync ${user.userPrincipalName}: ${String(e)}`));
    }
  }

  // ---- checks -----------------------------------------------------------------------------------------
  let lost = 0;
  let duplicated = 0;
  let ghosts = 0;
  const eventsOf = new Map<string, { id: string; singleValueExtendedProperties?: { value: string }[] }[]>();
  for (const user of users) {
    const all = ((await control('GET', `/graph/users/${encodeURIComponent(user.userPrincipalName)}/calendars/default/events`)) as { value: { id: string; singleValueExtendedProperties?: { value: string }[] }[] }).value;
    eventsOf.set(user.connection.id, all);
  }
  for (const b of bookings) {
    const n = eventsOf.get(b.user.connection.id)!.filter((e) => e.singleValueExtendedProperties?.some((p) => p.value === `${client.client.clientId}/${b.id}`)).length;
    if (n > 1) duplicated += 1;
    if (b.state === 'confirmed' && n === 0) lost += 1;
    if (b.state === 'cancelled' && n > 0) ghosts += 1;
  }

  let mismatches = 0;
  const window = syncWindow();
  for (const user of users) {
    for (const calendarId of user.connection.busyCalendarIds) {
      const q = `startDateTime=${window.start.toISOString()}&endDateTime=${window.end.toISOString()}`;
      const truth = ((await control('GET', `/graph/users/${encodeURIComponent(user.userPrincipalName)}/calendars/${encodeURIComponent(calendarId)}/events?${q}`)) as { value: { id: string; start: { dateTime: string }; end: { dateTime: string } }[] }).value;
      const utc = (s: string) => new Date(`${s.replace(/\.\d+$/, '').replace(/Z$/, '')}Z`).toISOString();
      const want = new Set(truth.map((e) => `${e.id}|${utc(e.start.dateTime)}|${utc(e.end.dateTime)}`));
      const rows = await services.store.busy.listCalendarEvents(user.connection.id, calendarId);
      const have = new Set(rows.map((r) => `${r.eventId}|${new Date(r.start).toISOString()}|${new Date(r.end).toISOString()}`));
      const missing = [...want].filter((x) => !have.has(x));
      const extra = [...have].filter((x) => !want.has(x));
      if (missing.length + extra.length > 0) {
        mismatches += missing.length + extra.length;
        log(`busy cache of ${user.userPrincipalName}/${calendarId.slice(0, 12)}: ${missing.length} missing, ${extra.length} extra`);
      }
    }
  }

  const connectionStates = await Promise.all(users.map(async (u) => (await call(client.apiKey, 'GET', `connections/${u.connection.id}`)).body.status));
  console.info('');
  console.info('chaos run: what was checked');
  const row = (what: string, value: number | string, ok: boolean) => console.info(`  ${ok ? 'ok  ' : 'FAIL'}  ${what.padEnd(52)} ${value}`);
  row('bookings attempted', bookings.length, bookings.length > 0);
  row('bookings confirmed / cancelled at the end', `${bookings.filter((b) => b.state === 'confirmed').length} / ${bookings.filter((b) => b.state === 'cancelled').length}`, true);
  row('bookings still unsettled after retries', unsettled.length, unsettled.length === 0);
  row('bookings lost (confirmed, no event in Outlook)', lost, lost === 0);
  row('bookings duplicated (more than one event)', duplicated, duplicated === 0);
  row('bookings cancelled but still in Outlook', ghosts, ghosts === 0);
  row('busy-cache mismatches vs the simulator (after a final sync)', mismatches, mismatches === 0);
  row('API answers 5xx during the run (faults injected; informational)', stats.serverErrors, true);
  row('connections active at the end', `${connectionStates.filter((s) => s === 'active').length} of ${users.length}`, connectionStates.every((s) => s === 'active'));
  failed = unsettled.length + lost + duplicated + ghosts + mismatches > 0 || !connectionStates.every((s) => s === 'active');
  console.info(failed ? '\nchaos: FAILED' : '\nchaos: all checks passed');
} catch (error) {
  failed = true;
  console.error(`chaos: the run itself failed: ${String((error as Error).stack ?? error)}\n${appLog.slice(-3000)}`);
} finally {
  await stopApp();
  await sim.close();
  await azurite.close();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
