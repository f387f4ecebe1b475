// Renewing 10,000 subscriptions in one timer run: 10,000 simulated users with one subscription each, on the
// documented mailbox resource /users/{id}/events (the one Graph documents for Outlook events:
// https://learn.microsoft.com/en-us/graph/outlook-change-notifications-overview), every subscription
// created for real in the simulator (validation handshake included) and recorded in Azurite as expiring
// within the hour; then one renewExpiringSubscriptions() run. Counts the Graph HTTP requests it sends
// (PATCHes travel inside $batch, 20 per batch) and the Table requests Azurite receives. BENCH_RENEW_USERS (10000).
//
// With delegated permissions a $batch carries one user's token, so batches are per connection: the cost is
// the sum over connections of ceil(subscriptions / 20), here one request per connection.
import { hashClientState, newClientState } from '../shared/sync/client-state.js';
import { createSubscription, defaultCalendarId, mailboxEventsResource, subscriptionExpiry } from '../shared/graph/subscriptions.js';
import { renewExpiringSubscriptions } from '../shared/sync/renew-subscriptions.js';
import { DEFAULT_SETTLE_MS, type SyncDeps } from '../shared/sync/sync-deps.js';
import { pool, report, seedConnection, startSyncFixture, startHandshakeEcho } from './lib/sync-fixture.js';

const users = Number(process.env.BENCH_RENEW_USERS ?? 10_000);

const { url: echoUrl, server: echo } = await startHandshakeEcho();
const fx = await startSyncFixture(echoUrl);

try {
  const started = Date.now();
  const seeds = Array.from({ length: users }, (_, i) => i);
  let seeded = 0;
  await pool(seeds, 16, async (i) => {
    const user = fx.addUser(`renew${i}`);
    const graph = fx.graphForUser(user.id);
    const calendarId = await defaultCalendarId(graph);
    const connection = await seedConnection(fx.services, user, [calendarId]);
    const clientState = newClientState();
    const created = await createSubscription(graph, {
      resource: mailboxEventsResource(user.id),
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
      resource: mailboxEventsResource(user.id),
      clientStateHash: hashClientState(clientState),
      expiresAt: new Date(Date.now() + 30 * 60_000), // due now
      createdAt: new Date(),
    });
    seeded += 1;
  });
  console.info(`renewals: seeded ${seeded} subscriptions for ${users} users in ${Math.round((Date.now() - started) / 1000)} s`);

  const deps: SyncDeps = {
    services: fx.services,
    graphFor: (connection) => fx.graphForUser(connection.objectId!),
    emit: async () => undefined,
    settleMs: DEFAULT_SETTLE_MS,
  };
  const before = fx.graphRequests();
  const tablesBefore = (await fx.azurite.requestCounts()).table;
  const t0 = performance.now();
  const result = await renewExpiringSubscriptions(deps, { withinMs: 3600_000 });
  const seconds = (performance.now() - t0) / 1000;
  const requests = fx.graphRequests() - before;
  const tables = (await fx.azurite.requestCounts()).table - tablesBefore;
  console.info(
    `renewals: ${JSON.stringify(result)} with ${requests} Graph HTTP requests and ${tables} Table requests ` +
      `(${(tables / Math.max(1, result.renewed)).toFixed(2)} per subscription, the connection row included) in ${seconds.toFixed(1)} s`,
  );
  report('renewals', 'Table requests per renewed subscription', Math.round((tables / Math.max(1, result.renewed)) * 100) / 100, 'requests');
  report('renewals', 'subscriptions renewed', result.renewed, 'count');
  report('renewals', 'Graph HTTP requests', requests, 'requests');
  report('renewals', 'failed', result.failed + result.recreated + result.dropped, 'count');
  report('renewals', 'duration', Math.round(seconds * 10) / 10, 's');
} finally {
  await fx.close();
  echo.close();
}
