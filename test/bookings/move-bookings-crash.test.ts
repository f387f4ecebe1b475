// A host killed with SIGKILL in the middle of a move of future bookings, between a copy's create and the
// old event's delete: the app runs as `npm start` runs it (dev/start.ts, a child process) against the run's
// Azurite and a simulator of this file's own; the delete is held by simulated latency, the process is
// killed, a new one starts, and with no further request the move must finish: every booking exactly once in
// the new calendar, none left in the old one, counted once, and one connection.bookings_moved.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/server.js';
import { freePort } from '../../dev/host/ports.js';
import type { Services } from '../../shared/services.js';
import { adminKeyOf, servicesLikeApp, spawnApp, spawnedAppSettings, untilAnswers, type AppProcess } from '../support/app-process.js';
import { connectUser, createTestClient, type AppEndpoint } from '../support/connect-user.js';
import { startWebhookReceiver, type WebhookReceiver } from '../sync/support.js';
import { waitFor } from '../support/wait-for.js';
import { addFault, api, bookingBody, calendarEvents, mailboxCounters, removeFault, sim, withBookingRef } from './support.js';

const dataDir = mkdtempSync(join(tmpdir(), 'cb-move-crash-'));
let simulator: RunningSimulator;
let receiver: WebhookReceiver;
let services: Services;
let port: number;
let child: AppProcess | undefined;

function startApp(): Promise<void> {
  child = spawnApp({
    ...process.env,
    ...spawnedAppSettings(simulator.url, dataDir, port),
    // A shorter Graph timeout makes a shorter move lease (30 s), so the recheck after the kill comes sooner;
    // still longer than the slowed first delete of the second case, which must not time out.
    GRAPH_TIMEOUT_MS: '10000',
    LOG_LEVEL: 'warn',
  });
  return untilAnswers(child, `http://127.0.0.1:${port}/api/health`);
}

beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
  receiver = await startWebhookReceiver();
  port = await freePort();
  services = servicesLikeApp(simulator.url, dataDir, port);
  await startApp();
}, 90_000);

afterAll(async () => {
  await child?.stop();
  await receiver?.close();
  await simulator?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Kills the host while the delete of the `heldDelete`-th booking's old event is held. Before the second, a
 * first delete is slowed by `firstDeleteMs`, so the worker's heartbeat after the first booking has moved
 * its lease past the recheck it queued when it began the page.
 */
async function killMidMove(heldDelete: 1 | 2, firstDeleteMs = 0): Promise<void> {
  const url = `http://127.0.0.1:${port}`;
  const app: AppEndpoint = { url, simulatorUrl: simulator.url, adminKey: await adminKeyOf(url, join(dataDir, 'secrets.json')) };
  const user = await connectUser(app, { client: await createTestClient(app, { webhookUrl: receiver.url }) });
  const clientId = user.client.clientId;
  const oldCalendar = user.connection.bookingCalendarId!;
  const target = (await sim(app, 'POST', `/users/${encodeURIComponent(user.userPrincipalName)}/calendars`, { name: 'After the crash' })).id as string;
  const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
  const bookingIds: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    const body = bookingBody(user, { timeZone: 'UTC', start: `${day(2 + i)}T09:00:00`, end: `${day(2 + i)}T09:30:00` });
    const created = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    bookingIds.push(String(body.bookingId));
  }

  // Hold the first old event's delete: the copy exists and the row names it, the old event is still there.
  const deletes = async () => Object.entries(await mailboxCounters(app, user)).filter(([k]) => k.startsWith('DELETE')).reduce((n, [, v]) => n + v, 0);
  const before = await deletes();
  const deleteEndpoint = 'DELETE /users/{user}/calendars/{calendarId}/events';
  let held = await addFault(app, user, { endpoint: deleteEndpoint, latencyMs: heldDelete === 1 ? 60_000 : firstDeleteMs, remaining: 1 });
  const patched = await api(app, user.apiKey, 'PATCH', `connections/${user.connection.id}`, { bookingCalendarId: target, moveFutureBookings: true });
  expect(patched.status, JSON.stringify(patched.body)).toBe(200);
  const moveId = String(patched.body.move.id);
  if (heldDelete === 2) {
    // The first delete is in its slow fault (that fault is used up): the next delete is held.
    await waitFor(async () => (await deletes()) > before, { message: 'the first delete to reach Graph', interval: 20 });
    held = await addFault(app, user, { endpoint: deleteEndpoint, latencyMs: 60_000, remaining: 1 });
  }
  const removing = await waitFor(
    async () => {
      for (const id of bookingIds) {
        const row = (await services.store.bookings.getBooking(clientId, id))?.entity;
        if (row?.moveState === 'removing' && (await deletes()) >= before + heldDelete) return row;
      }
      return undefined;
    },
    { message: 'a booking between its copy and its held old-event delete', timeout: 45_000 },
  );
  // Both events exist at this instant: the copy in the new calendar and the original in the old.
  expect(withBookingRef(await calendarEvents(app, user, target), clientId, removing.rowKey)).toHaveLength(1);
  expect(withBookingRef(await calendarEvents(app, user, oldCalendar), clientId, removing.rowKey)).toHaveLength(1);

  await child!.stop('SIGKILL');
  const killedAt = Date.now();
  await removeFault(app, held);
  await startApp();

  const done = await waitFor(
    async () => {
      const move = (await services.store.connections.getConnection(clientId, user.connection.id))?.entity.move;
      return move?.id === moveId && move.state === 'done' ? move : undefined;
    },
    { message: 'the move to finish after the restart', timeout: 90_000 },
  );
  console.info(`move crash recovery (held delete ${heldDelete}): the move finished ${((Date.now() - killedAt) / 1000).toFixed(1)} s after SIGKILL`);
  expect(done).toMatchObject({ total: 3, moved: 3, failed: 0, leftInOldCalendar: 0 });
  const oldEvents = await calendarEvents(app, user, oldCalendar);
  const newEvents = await calendarEvents(app, user, target);
  for (const id of bookingIds) {
    expect(withBookingRef(newEvents, clientId, id), id).toHaveLength(1);
    expect(withBookingRef(oldEvents, clientId, id), id).toHaveLength(0);
    const row = (await services.store.bookings.getBooking(clientId, id))!.entity;
    expect(row).toMatchObject({ status: 'confirmed', calendarId: target, eventId: withBookingRef(newEvents, clientId, id)[0]!.id, moveState: 'done' });
  }
  const hooks = await waitFor(async () => {
    const found = receiver.events.filter((e) => e.type === 'connection.bookings_moved' && e.data.moveId === moveId);
    return found.length ? found : undefined;
  }, { message: 'connection.bookings_moved', timeout: 30_000 });
  // Delivered at least once; every delivery is the same event.
  expect(new Set(hooks.map((h) => h.id)).size).toBe(1);
  expect(hooks[0]!.data).toMatchObject({ moved: 3, failed: 0 });
}

describe('a host killed mid-move', () => {
  it('leaves no duplicate and loses no booking: the next host finishes the move from where it was', { timeout: 180_000 }, () => killMidMove(1));

  it('is finished too when the worker died after a heartbeat moved its lease past its recheck', { timeout: 180_000 }, () => killMidMove(2, 8_000));
});
