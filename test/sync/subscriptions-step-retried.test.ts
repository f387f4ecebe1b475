// The subscriptions step (connect, reconnect after needs_reauth, a calendar choice, the daily reconciliation)
// subscribes a calendar, records it, and then queues the calendar's first full sync. When it dies in
// between — queue storage down for a moment, the host killed — the queue runs the step again, and that
// run finds the calendar already subscribed. It must still queue the full sync: until one runs, the
// calendar has no sync state, and whatever changed in Outlook while it was not subscribed (a booking moved,
// deleted or declined) is reported by nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../dev/host/ports.js';
import type { Services } from '../../shared/services.js';
import type { ConnectionEntity } from '../../shared/store/repositories/connections.js';
import { ensureCalendarSubscriptions, listConnectionSubscriptions, removeConnectionSubscriptions, requestSubscriptionSync } from '../../shared/sync/calendar-subscriptions.js';
import { defaultSyncDeps } from '../../shared/sync/sync-deps.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, type ConnectedUser } from '../support/connect-user.js';
import { waitFor } from '../support/wait-for.js';

let app: AppHost;
let user: ConnectedUser;

const syncState = (calendarId: string) => app.services.store.busy.getSyncState(user.connection.id, calendarId);
const connection = async (): Promise<ConnectionEntity> => (await app.services.store.connections.getConnection(user.client.clientId, user.connection.id))!.entity;

/** The app's services with queue storage unreachable (nothing listens on the port); tables still answer. */
async function withQueueDown(services: Services): Promise<Services> {
  const storage = services.config.storage;
  const deadQueue = `QueueEndpoint=http://127.0.0.1:${await freePort()}/devstoreaccount1`;
  expect(storage.connectionString).toMatch(/QueueEndpoint=[^;]+/);
  return { ...services, config: { ...services.config, storage: { ...storage, connectionString: storage.connectionString!.replace(/QueueEndpoint=[^;]+/, deadQueue) } } };
}

beforeAll(async () => {
  app = await startAppHost();
  user = await connectUser(app);
  await waitFor(async () => (await syncState(user.connection.busyCalendarIds[0]!))?.entity.status === 'synced', { message: 'the first full sync', timeout: 30_000 });
}, 60_000);
afterAll(() => app?.close());

describe('the subscriptions step, run again after dying before the full sync was queued', () => {
  it('queues the full sync of a calendar it finds subscribed but never synced', { timeout: 60_000 }, async () => {
    const calendarId = user.connection.busyCalendarIds[0]!;
    const graph = defaultSyncDeps(app.services).graphFor(await connection());
    // As a needs_reauth leaves the connection: no subscription, no cache, no sync state.
    await removeConnectionSubscriptions(app.services, graph, await connection());
    expect(await syncState(calendarId)).toBeNull();

    // The step with queue storage down: Graph's subscription is made and recorded, the full sync is not queued.
    await expect(ensureCalendarSubscriptions(await withQueueDown(app.services), graph, await connection())).rejects.toThrow();
    const records = await listConnectionSubscriptions(app.services, user.client.clientId, user.connection.id);
    expect(records.map((r) => r.calendarId)).toEqual([calendarId]);
    expect(await syncState(calendarId)).toBeNull();

    // The queue runs the step again (its message was not completed).
    await requestSubscriptionSync(app.services, await connection());
    await waitFor(async () => (await syncState(calendarId))?.entity.status === 'synced', {
      message: 'the full sync of the calendar the first run subscribed (the second run found it subscribed)',
      timeout: 30_000,
    });
    // The subscription the first run made is the one kept: the second run made no other.
    expect((await listConnectionSubscriptions(app.services, user.client.clientId, user.connection.id)).map((r) => r.subscriptionId)).toEqual(records.map((r) => r.subscriptionId));
  });
});
