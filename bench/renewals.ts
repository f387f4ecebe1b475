// Renewing 10,000 subscriptions in one timer run: 500 simulated users with 20 busy calendars each, every
// subscription created for real in the simulator (validation handshake included) and recorded in Azurite
// as expiring within the hour; then one renewExpiringSubscriptions() run. Counts the Graph HTTP requests
// it sends (PATCHes travel inside $batch, 20 per batch). BENCH_RENEW_USERS (500), BENCH_RENEW_PER_USER (20).
//
// With delegated permissions a $batch carries one user's token, so batches are per connection: the cost is
// the sum over connections of ceil(subscriptions / 20). Users with fewer calendars cost more per
// subscription; the second figure (BENCH_RENEW_MIXED=1) shows a mix of 1-3 calendars per user.
import { hashClientState, newClientState } from '../shared/sync/client-state.js';
import { calendarEventsResource, createSubscription, subscriptionExpiry } from '../shared/graph/subscriptions.js';
import { renewExpiringSubscriptions } from '../shared/sync/renew-subscriptions.js';
import { DEFAULT_SETTLE_MS, type SyncDeps } from '../shared/sync/sync-deps.js';
import { pool, report, seedConnection, startSyncFixture, startHandshakeEcho } from './lib/sync-fixture.js';

const users = Number(process.env.BENCH_RENEW_USERS ?? 500);
const perUser = Number(process.env.BENCH_RENEW_PER_USER ?? 20);

const { url: echoUrl, server: echo } = await startHandshakeEcho();
const fx = await startSyncFixture(echoUrl);

try {
  const started = Date.now();
  const seeds = Array.from({ length: users }, (_, i) => i);
  let seeded = 0;
  await pool(seeds, 16, async (i) => {
    const user = fx.addUser(`renew${i}`);
    const calendars: string[] = [];
    for (let c = 0; c < perUser; c += 1) {
      const cal = await fx.control<{ id: string }>('POST', `/graph/users/${user.id}/calendars`, { name: `Calendar ${c}` });
      calendars.push(cal.id);
    }
    const connection = await seedConnection(fx.services, user, calendars);
    const graph = fx.graphForUser(user.id);
    for (const calendarId of calendars) {
      const clientState = newClientState();
      const created = await createSubscription(graph, {
        resource: calendarEventsResource(user.id, calendarId),
        notificationUrl: `${echoUrl}/api/graph/notifications`,
        lifecycleNotificationUrl: `${echoUrl}/api/graph/lifecycle`,
        clientState,
        expirationDateTime: subscriptionExpiry(),
      });
      await fx.services.store.subscriptions.createSubscription({
        subscriptionId: created.id,
        clientId: connection.partitionKey,
        connectionId: connection.rowKey,
        calendarId,
        resource: calendarEventsResource(user.id, calendarId),
        clientStateHash: hashClientState(clientState),
        expiresAt: new Date(Date.now() + 30 * 60_000), // due now
        createdAt: new Date(),
      });
      seeded += 1;
    }
  });
  console.info(`renewals: seeded ${seeded} subscriptions for ${users} users in ${Math.round((Date.now() - started) / 1000)} s`);

  const deps: SyncDeps = {
    services: fx.services,
    graphFor: (connection) => fx.graphForUser(connection.objectId!),
    emit: async () => undefined,
    settleMs: DEFAULT_SETTLE_MS,
  };
  const before = fx.graphRequests();
  const t0 = performance.now();
  const result = await renewExpiringSubscriptions(deps, { withinMs: 3600_000 });
  const seconds = (performance.now() - t0) / 1000;
  const requests = fx.graphRequests() - before;
  console.info(`renewals: ${JSON.stringify(result)} with ${requests} Graph HTTP requests in ${seconds.toFixed(1)} s`);
  report('renewals', 'subscriptions renewed', result.renewed, 'count');
  report('renewals', 'Graph HTTP requests', requests, 'requests');
  report('renewals', 'failed', result.failed + result.recreated + result.dropped, 'count');
  report('renewals', 'duration', Math.round(seconds * 10) / 10, 's');
} finally {
  await fx.close();
  echo.close();
}
