// Renewing 10,000 subscriptions in one timer run: 10,000 simulated users with one subscription each, on the
// documented mailbox resource /users/{id}/events (the one Graph documents for Outlook events:
// https://learn.microsoft.com/en-us/graph/outlook-change-notifications-overview), every subscription
// created for real in the simulator (validation handshake included) and recorded in Azurite as expiring
// within the hour; then one renewExpiringSubscriptions() run. Counts the Graph HTTP requests it sends
// (PATCHes travel inside $batch, 20 per batch) and the Table requests Azurite receives. Then every
// subscription is made due again and renewed through the upkeep queue, as the hourly timer does (scan
// message, work messages), counting the same. BENCH_RENEW_USERS (10000).
//
// With delegated permissions a $batch carries one user's token, so batches are per connection: the cost is
// the sum over connections of ceil(subscriptions / 20), here one request per connection.
import { hashClientState, newClientState } from '../shared/sync/client-state.js';
import { createSubscription, defaultCalendarId, mailboxEventsResource, subscriptionExpiry } from '../shared/graph/subscriptions.js';
import { renewExpiringSubscriptions } from '../shared/sync/renew-subscriptions.js';
import { decodeQueueMessage, getQueue } from '../shared/queues/queue-client.js';
import { processUpkeepMessage, UPKEEP_QUEUE } from '../shared/upkeep/upkeep.js';
import { DEFAULT_SETTLE_MS, type SyncDeps } from '../shared/sync/sync-deps.js';
import { pool, report, seedConnection, startSyncFixture, startHandshakeEcho } from './lib/sync-fixture.js';

const users = Number(process.env.BENCH_RENEW_USERS ?? 10_000);

const { url: echoUrl, server: echo } = await startHandshakeEcho();
const fx = await startSyncFixture(echoUrl);

try {
  const started = Date.now();
  const seeds = Array.from({ length: users }, (_, i) => i);
  let seeded = 0;
  const subscriptionIds: string[] = [];
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
    subscriptionIds.push(created.id);
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

  // The same renewals the way the hourly timer runs them: the scan message reads a page of the expiry
  // index and puts work messages (up to 20 connections each), which the queue trigger runs.
  for (const id of subscriptionIds) await fx.services.store.subscriptions.mutateSubscription(id, (c) => ({ ...c, expiresAt: new Date(Date.now() + 30 * 60_000) }));
  const queue = await getQueue(fx.services.config.storage, UPKEEP_QUEUE);
  const queuedBefore = fx.graphRequests();
  const queuedTablesBefore = (await fx.azurite.requestCounts()).table;
  const totals = { renewed: 0, messages: 0 };
  const run = async (message: unknown) => {
    const outcome = await processUpkeepMessage(deps, message);
    totals.messages += 1;
    if (outcome.kind === 'renewed') totals.renewed += outcome.report.renewed;
  };
  await run({ kind: 'renewal-scan', until: new Date(Date.now() + 3600_000).toISOString() });
  for (;;) {
    const { receivedMessageItems: items } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 300 });
    if (items.length === 0) break;
    await pool(items, 16, async (m) => {
      await run(decodeQueueMessage(m.messageText));
      await queue.deleteMessage(m.messageId, m.popReceipt);
    });
  }
  const queuedTables = (await fx.azurite.requestCounts()).table - queuedTablesBefore;
  console.info(
    `renewals through the queue: ${totals.renewed} renewed by ${totals.messages} messages with ${fx.graphRequests() - queuedBefore} Graph HTTP requests and ` +
      `${queuedTables} Table requests (${(queuedTables / Math.max(1, totals.renewed)).toFixed(2)} per subscription)`,
  );
  report('renewals', 'Table requests per renewed subscription, through the upkeep queue', Math.round((queuedTables / Math.max(1, totals.renewed)) * 100) / 100, 'requests');
} finally {
  await fx.close();
  echo.close();
}
