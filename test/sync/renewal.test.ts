// The renewal timer and the reconciliation against Graph's own list, run directly
// against a connection made through the real connect flow (local host, Azurite, simulator, real MSAL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, type ConnectedUser } from '../support/connect-user.js';
import { sim } from '../bookings/support.js';
import { deleteSubscription, subscriptionExpiry } from '../../shared/graph/subscriptions.js';
import { listConnectionSubscriptions } from '../../shared/sync/calendar-subscriptions.js';
import { reconcileSubscriptions } from '../../shared/sync/reconcile-subscriptions.js';
import { renewExpiringSubscriptions } from '../../shared/sync/renew-subscriptions.js';
import { defaultSyncDeps, type SyncDeps } from '../../shared/sync/sync-deps.js';
import type { ConnectionEntity } from '../../shared/store/repositories/connections.js';
import { waitFor } from '../support/wait-for.js';
import { ORPHAN_PARTITION, SUBSCRIPTION_RECORD_ROW, subscriptionRecordKey } from '../../shared/store/repositories/subscriptions.js';
import { randomUUID } from 'node:crypto';

let app: AppHost;
let user: ConnectedUser;
let deps: SyncDeps;
let connection: ConnectionEntity;

const records = () => listConnectionSubscriptions(app.services, user.client.clientId, user.connection.id);
const simSubs = async (): Promise<{ id: string; resource: string; expirationDateTime: string }[]> =>
  (await sim(app, 'GET', '/subscriptions')).value.filter((s: { resource: string }) => s.resource.includes(user.connection.account.objectId!));

beforeAll(async () => {
  app = await startAppHost();
  user = await connectUser(app);
  deps = defaultSyncDeps(app.services);
  connection = (await app.services.store.connections.getConnection(user.client.clientId, user.connection.id))!.entity;
  await waitFor(async () => (await records()).length === 1, { message: 'the subscription' });
}, 60_000);
afterAll(() => app?.close());

describe('renewal timer', () => {
  it('renews what expires within the window by PATCH in $batch, and updates the record', async () => {
    const [before] = await records();
    // Pretend it expires soon, so the timer picks it up.
    await app.services.store.subscriptions.mutateSubscription(before!.subscriptionId, (c) => ({ ...c, expiresAt: new Date(Date.now() + 3600_000) }));
    const report = await renewExpiringSubscriptions(deps);
    expect(report).toMatchObject({ renewed: 1, recreated: 0, failed: 0 });
    const [after] = await records();
    expect(after!.subscriptionId).toBe(before!.subscriptionId);
    expect(after!.expiresAt.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    const inGraph = (await simSubs()).find((s) => s.id === before!.subscriptionId)!;
    expect(Math.abs(Date.parse(inGraph.expirationDateTime) - after!.expiresAt.getTime())).toBeLessThan(1000);
  });

  it('recreates a subscription Graph no longer has (404), marking the calendar stale until it resyncs', async () => {
    const [before] = await records();
    await deleteSubscription(deps.graphFor(connection), before!.subscriptionId);
    await app.services.store.subscriptions.mutateSubscription(before!.subscriptionId, (c) => ({ ...c, expiresAt: new Date(Date.now() + 3600_000) }));
    const report = await renewExpiringSubscriptions(deps);
    expect(report).toMatchObject({ renewed: 0, recreated: 1 });
    const [after] = await records();
    expect(after!.subscriptionId).not.toBe(before!.subscriptionId);
    expect((await simSubs()).map((s) => s.id)).toEqual([after!.subscriptionId]);
    await waitFor(async () => (await app.services.store.busy.getSyncState(connection.rowKey, after!.calendarId!))?.entity.status === 'synced', { message: 'the resync' });
  });

  it('renews from the expiry index without reading records, and brings back no subscription whose record went meanwhile', async () => {
    // An expiry index row whose record was removed (a crash between the two) and whose subscription Graph
    // no longer has: the renewal's PATCH answers 404, and only then is the record read.
    const ghost = { ...(await records())[0]!, subscriptionId: randomUUID(), expiresAt: new Date(Date.now() + 3600_000), createdAt: new Date() };
    await app.services.store.subscriptions.createSubscription(ghost);
    await app.services.store.subscriptions.records.delete(subscriptionRecordKey(ghost.subscriptionId), SUBSCRIPTION_RECORD_ROW);
    const inGraph = (await simSubs()).map((s) => s.id);

    expect(await renewExpiringSubscriptions(deps)).toMatchObject({ due: 1, renewed: 0, recreated: 0, dropped: 1, failed: 0 });
    expect((await simSubs()).map((s) => s.id)).toEqual(inGraph);
    expect(await app.services.store.subscriptions.getSubscription(ghost.subscriptionId)).toBeNull();
    expect(await renewExpiringSubscriptions(deps)).toMatchObject({ due: 0 });
  });

  it('puts right an expiry index row that names a previous owner, and renews the subscription as its owner at the next run', async () => {
    // As an older version left it: the record passed to this connection, its index row still names another.
    const [record] = await records();
    const soon = new Date(Date.now() + 3600_000);
    await app.services.store.subscriptions.mutateSubscription(record!.subscriptionId, (c) => ({ ...c, connectionId: 'a-previous-owner', expiresAt: soon }));
    const moved = (await app.services.store.subscriptions.getSubscription(record!.subscriptionId))!;
    await app.services.store.subscriptions.records.update({ ...moved.entity, connectionId: record!.connectionId }, moved.etag);
    await app.services.store.subscriptions.indexOwner({ ...moved.entity, connectionId: record!.connectionId });

    expect(await renewExpiringSubscriptions(deps)).toMatchObject({ due: 1, renewed: 0, dropped: 0, recreated: 0 });
    expect((await simSubs()).map((s) => s.id)).toContain(record!.subscriptionId);
    expect(await renewExpiringSubscriptions(deps)).toMatchObject({ due: 1, renewed: 1, dropped: 0 });
    const [after] = await records();
    expect(after).toMatchObject({ subscriptionId: record!.subscriptionId, connectionId: record!.connectionId });
    expect(after!.expiresAt.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
  });
});

describe('reconciliation', () => {
  it('deletes an orphan Graph still has, and recreates one it lost', async () => {
    const graph = deps.graphFor(connection);
    // A documented resource with another changeType than ours (the same one would be a 409).
    const orphan = (await graph.api('/subscriptions').post({
      changeType: 'deleted',
      resource: `/users/${connection.objectId}/events`,
      notificationUrl: `${app.url}/api/graph/notifications`,
      lifecycleNotificationUrl: `${app.url}/api/graph/lifecycle`,
      clientState: 'a-client-state-we-forgot-about-long-enough',
      expirationDateTime: subscriptionExpiry().toISOString(),
    })) as { id: string };
    const [lost] = await records();
    await deleteSubscription(graph, lost!.subscriptionId);

    const report = await reconcileSubscriptions(deps);
    expect(report.orphansDeleted).toBeGreaterThanOrEqual(1);
    expect(report.lostRecreated).toBeGreaterThanOrEqual(1);
    const ids = (await simSubs()).map((s) => s.id);
    expect(ids).not.toContain(orphan.id);
    expect(ids).not.toContain(lost!.subscriptionId);
    const [fresh] = await records();
    expect(ids).toEqual([fresh!.subscriptionId]);
  });

  it('records an orphan that keeps notifying (answered 202) and deletes it at the next reconciliation', async () => {
    const graph = deps.graphFor(connection);
    // A documented resource with another changeType than ours (the same one would be a 409).
    const orphan = (await graph.api('/subscriptions').post({
      changeType: 'created',
      resource: `/users/${connection.objectId}/events`,
      notificationUrl: `${app.url}/api/graph/notifications`,
      lifecycleNotificationUrl: `${app.url}/api/graph/lifecycle`,
      clientState: 'another-client-state-we-forgot-about',
      expirationDateTime: subscriptionExpiry().toISOString(),
    })) as { id: string };
    // A change in Outlook: Graph notifies the orphan; the endpoint answers 202 and writes its id down.
    await sim(app, 'POST', `/users/${user.userPrincipalName}/events`, {
      subject: 'Orphan trigger',
      start: { dateTime: '2031-05-05T09:00:00', timeZone: 'UTC' },
      end: { dateTime: '2031-05-05T09:30:00', timeZone: 'UTC' },
    });
    const report = () => app.services.store.subscriptions.orphans.get(ORPHAN_PARTITION, orphan.id.toLowerCase());
    const answers = async () =>
      ((await sim(app, 'GET', `/notifications?subscriptionId=${orphan.id}`)).value as { attempts: { status?: number }[] }[]).flatMap((d) => d.attempts.map((a) => a.status));
    await waitFor(async () => (await answers()).some((status) => status !== undefined), { message: 'the answer to the notification of the orphan' });
    // Every attempt answered 202, so Graph has nothing to retry.
    expect(new Set((await answers()).filter((status) => status !== undefined))).toEqual(new Set([202]));
    expect((await report())?.entity.firstSeenAt).toBeInstanceOf(Date);

    await reconcileSubscriptions(deps);
    expect((await simSubs()).map((s) => s.id)).not.toContain(orphan.id);
    expect(await report()).toBeNull();
  });
});
