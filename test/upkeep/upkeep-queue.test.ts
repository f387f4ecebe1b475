// Connection upkeep through the connection-upkeep queue, in the whole app (local host, Azurite, simulator):
// the timers only queue a scan; the queue trigger pages through the table and refreshes the due tokens and
// renews the due subscriptions, resyncs and reconciles. Tables of this file's own, so the scans see only this file's connections.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/server.js';
import { listConnectionSubscriptions } from '../../shared/sync/calendar-subscriptions.js';
import { defaultSyncDeps } from '../../shared/sync/sync-deps.js';
import { RENEW_WITHIN_MS } from '../../shared/sync/renew-subscriptions.js';
import { parseUpkeepMessage, processUpkeepMessage, startKeepAliveScan, startReconcileScan, startRenewalScan, startResyncScan } from '../../shared/upkeep/upkeep.js';
import { sim as simGraph } from '../bookings/support.js';
import { postUnrecordedSubscription } from '../sync/support.js';
import { markCalendarStale } from '../../shared/sync/busy-cache.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, type ConnectedUser } from '../support/connect-user.js';
import { useOwnTables } from '../support/own-tables.js';
import { waitFor } from '../support/wait-for.js';

useOwnTables('upkeep');
let sim: RunningSimulator;
let app: AppHost;
let user: ConnectedUser;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  app = await startAppHost({ simulatorUrl: sim.url });
  user = await connectUser(app);
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
});

const connectionRow = async () => (await app.services.store.connections.require(user.client.clientId, user.connection.id));

describe('token keep-alive through the queue', () => {
  it('refreshes a connection whose last refresh is over a week old, and leaves a fresh one alone', async () => {
    const weekAgo = new Date(Date.now() - 8 * 24 * 3600_000);
    const fresh = await connectUser(app);
    const before = await connectionRow();
    await app.services.store.connections.update({ ...before.entity, lastTokenRefreshAt: weekAgo }, before.etag);
    const freshBefore = (await app.services.store.connections.require(fresh.client.clientId, fresh.connection.id)).entity.lastTokenRefreshAt;

    await startKeepAliveScan(defaultSyncDeps(app.services));
    const refreshedAt = await waitFor(async () => {
      const at = (await connectionRow()).entity.lastTokenRefreshAt;
      return at && at.getTime() > weekAgo.getTime() ? at : undefined;
    }, { message: 'the keep-alive refresh' });
    expect(Date.now() - refreshedAt.getTime()).toBeLessThan(60_000);
    expect((await connectionRow()).entity.status).toBe('active');
    const freshAfter = (await app.services.store.connections.require(fresh.client.clientId, fresh.connection.id)).entity.lastTokenRefreshAt;
    expect(freshAfter?.getTime()).toBe(freshBefore?.getTime());
  });
});

describe('working hours through the keep-alive queue', () => {
  it('reads working hours over a week old again even when the tokens are fresh (other Graph use refreshed them)', async () => {
    const other = await connectUser(app);
    const row = () => app.services.store.connections.require(other.client.clientId, other.connection.id);
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3600_000);
    const before = await row();
    await app.services.store.connections.update({ ...before.entity, lastTokenRefreshAt: new Date(), workingHoursReadAt: eightDaysAgo }, before.etag);

    await startKeepAliveScan(defaultSyncDeps(app.services));
    const readAt = await waitFor(async () => {
      const at = (await row()).entity.workingHoursReadAt;
      return at && at.getTime() > eightDaysAgo.getTime() ? at : undefined;
    }, { message: 'the working hours read again' });
    expect(Date.now() - readAt.getTime()).toBeLessThan(60_000);
  });
});

describe('subscription renewal through the queue', () => {
  it('renews a subscription that expires within the window, in Graph and in the store', async () => {
    const [sub] = await waitFor(async () => {
      const subs = await listConnectionSubscriptions(app.services, user.client.clientId, user.connection.id);
      return subs.length > 0 ? subs : undefined;
    }, { message: 'the connection subscriptions' });
    const soon = new Date(Date.now() + 30 * 60_000);
    await app.services.store.subscriptions.mutateSubscription(sub!.subscriptionId, (current) => ({ ...current, expiresAt: soon }));

    await startRenewalScan(defaultSyncDeps(app.services));
    const renewed = await waitFor(async () => {
      const record = (await app.services.store.subscriptions.getSubscription(sub!.subscriptionId))?.entity;
      return record && record.expiresAt.getTime() > Date.now() + RENEW_WITHIN_MS ? record : undefined;
    }, { message: 'the renewal' });
    expect(renewed.subscriptionId).toBe(sub!.subscriptionId);
    // Nothing is left due in the window: the expiry index moved with the record.
    let due = 0;
    for await (const record of app.services.store.subscriptions.listExpiring(new Date(Date.now() + 3600_000))) if (record.entity.connectionId === user.connection.id) due += 1;
    expect(due).toBe(0);
  });
});

describe('resync sweep through the queue', () => {
  it('brings a stale calendar cache back to synced', async () => {
    const calendarId = await waitFor(async () => {
      const row = (await connectionRow()).entity;
      for (const id of row.busyCalendarIds ?? []) if ((await app.services.store.busy.getSyncState(row.rowKey, id))?.entity.status === 'synced') return id;
      return undefined;
    }, { message: 'a synced calendar' });
    await markCalendarStale(app.services.store, { partitionKey: user.client.clientId, rowKey: user.connection.id }, calendarId);
    expect((await app.services.store.busy.getSyncState(user.connection.id, calendarId))?.entity.status).toBe('stale');

    await startResyncScan(defaultSyncDeps(app.services));
    await waitFor(async () => (await app.services.store.busy.getSyncState(user.connection.id, calendarId))?.entity.status === 'synced', { message: 'the resync' });
  });
});

describe('reconciliation through the queue', () => {
  it('deletes a subscription of ours Graph still has and we hold no record of', async () => {
    const connection = (await connectionRow()).entity;
    const graph = defaultSyncDeps(app.services).graphFor(connection);
    const orphan = await postUnrecordedSubscription(graph, connection.objectId!, app.url, 'deleted', 'a-client-state-we-forgot-about-long-enough');
    const ids = async () => ((await simGraph(app, 'GET', '/subscriptions')).value as { id: string }[]).map((s) => s.id);
    expect(await ids()).toContain(orphan.id);

    await startReconcileScan(defaultSyncDeps(app.services));
    await waitFor(async () => !(await ids()).includes(orphan.id), { message: 'the orphan deleted by the queued reconciliation' });
    // Ours stays: the connection's own subscription is still in Graph.
    const mine = await listConnectionSubscriptions(app.services, user.client.clientId, user.connection.id);
    expect(mine.length).toBeGreaterThan(0);
    for (const record of mine) expect(await ids()).toContain(record.subscriptionId);
  });
});

describe('upkeep messages', () => {
  it('drops malformed messages instead of acting on them', async () => {
    for (const bad of [null, 'x', { kind: 'keepalive-scan' }, { kind: 'keepalive', at: new Date().toISOString(), connections: [] }, { kind: 'renewal-scan', until: 'soon' }, { kind: 'resync-scan', at: new Date().toISOString(), table: 'users' }, { kind: 'nope' }]) {
      expect(parseUpkeepMessage(bad)).toBeUndefined();
      expect(await processUpkeepMessage(defaultSyncDeps(app.services), bad)).toEqual({ kind: 'invalid' });
    }
  });
});
