// A host killed with SIGKILL in the middle of a delta round (as a crash, an OOM kill or a scale-in would)
// must not freeze its calendar: the app runs as `npm start` runs it (dev/start.ts, a child process) against
// the run's Azurite and a simulator of this file's own; the round is held inside calendarView/delta by
// simulated latency, the process is killed, a new one starts, and with no further notification the busy
// cache must reach Outlook's state within 60 s of the kill.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/server.js';
import { freePort } from '../../dev/host/ports.js';
import type { Services } from '../../shared/services.js';
import { readSyncLease } from '../../shared/sync/sync-lease.js';
import type { AppHost } from '../support/app-host.js';
import { connectUser, createTestClient, type ConnectedUser } from '../support/connect-user.js';
import { addFault, removeFault, sim } from '../bookings/support.js';
import { waitFor } from '../support/wait-for.js';
import { servicesLikeApp, spawnedAppSettings } from '../support/app-process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'cb-crash-'));
let simulator: RunningSimulator;
let services: Services;
let port: number;
let child: ChildProcess | undefined;
let output = '';

function env(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...spawnedAppSettings(simulator.url, dataDir, port),
    LOG_LEVEL: 'warn',
  };
}

async function startApp(): Promise<void> {
  child = spawn(process.execPath, ['--import', 'tsx', 'dev/start.ts'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.status, () => 0)) === 200, { message: 'the app to answer', timeout: 60_000 });
}

beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
  port = await freePort();
  services = servicesLikeApp(simulator.url, dataDir, port);
  await startApp();
}, 90_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await simulator?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a host killed mid-round', () => {
  it('leaves the calendar to the next host within 60 s of the kill, with no further notification', { timeout: 180_000 }, async () => {
    await fetch(`http://127.0.0.1:${port}/api/manage/system`); // the admin key is made on first use
    const adminKey = (JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { secrets: Record<string, { value: string }[]> }).secrets['admin-api-key']!.at(-1)!.value;
    const app = { url: `http://127.0.0.1:${port}`, simulatorUrl: simulator.url, adminKey, services } as AppHost;
    const user: ConnectedUser = await connectUser(app, { client: await createTestClient(app) });
    const calendarId = user.connection.busyCalendarIds[0]!;
    const state = () => services.store.busy.getSyncState(user.connection.id, calendarId);
    await waitFor(async () => (await state())?.entity.status === 'synced', { message: 'the first full sync', timeout: 30_000 });

    const deltaCalls = async () =>
      Object.entries((await sim(app, 'GET', '/counters')).byMailboxEndpoint[user.userPrincipalName] ?? {})
        .filter(([endpoint]) => endpoint.includes('delta'))
        .reduce((sum, [, n]) => sum + (n as number), 0);
    const before = await deltaCalls();
    // Hold the next round inside calendarView/delta, then change the calendar in Outlook.
    const slow = await addFault(app, user, { endpoint: 'delta', latencyMs: 15_000, remaining: 1 });
    const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const added = await sim(app, 'POST', `/users/${encodeURIComponent(user.userPrincipalName)}/events`, {
      subject: 'Added while the host dies',
      start: { dateTime: `${day}T10:00:00`, timeZone: 'UTC' },
      end: { dateTime: `${day}T11:00:00`, timeZone: 'UTC' },
    });
    await waitFor(async () => {
      const lease = await readSyncLease(services.store, user.connection.id, calendarId);
      return Boolean(lease?.leaseOwner && lease.leaseUntil && lease.leaseUntil.getTime() > Date.now());
    }, { message: 'a round holding the lease' });
    await waitFor(async () => (await deltaCalls()) > before, { message: 'the round inside calendarView/delta' });

    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child!.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    await removeFault(app, slow);
    await startApp();

    await waitFor(async () => (await services.store.busy.listCalendarEvents(user.connection.id, calendarId)).some((r) => r.eventId === added.id),
      { message: 'the busy cache to hold the event added before the kill', timeout: 60_000 - (Date.now() - killedAt) },
    );
    const convergedS = (Date.now() - killedAt) / 1000;
    console.info(`crash recovery: the busy cache converged ${convergedS.toFixed(1)} s after SIGKILL`);
    expect(convergedS).toBeLessThanOrEqual(60);
  });
});
