// Connection upkeep through the connection-upkeep queue, for real: BENCH_UPKEEP_CONNECTIONS (10,000)
// connections whose tokens are due for the weekly refresh (copies of one connected user's MSAL cache, each
// refreshed against the simulator's token endpoint), and BENCH_UPKEEP_RENEW_USERS (500) simulated users
// with BENCH_RENEW_PER_USER (1) calendar subscription each, created in the simulator and due for renewal.
// The timers' code starts the scans; then the queue is drained the way the queue trigger runs it (16
// messages at a time, the host's batchSize), each message through processUpkeepMessage(). Prints the wall
// time and the per-connection costs: token requests, Graph requests, Table and Queue requests (Azurite's
// own counts). docs/scaling.md carries these figures to 100,000 and 1,000,000 connections.
import { getAccessToken } from '../shared/auth/connection-tokens.js';
import { encryptTokenCache, tokenCacheBinding } from '../shared/auth/token-cache-plugin.js';
import { calendarEventsResource, createSubscription, subscriptionExpiry } from '../shared/graph/subscriptions.js';
import { decodeQueueMessage, getQueue } from '../shared/queues/queue-client.js';
import { settleLimited } from '../shared/runtime/settle-limited.js';
import { hashClientState, newClientState } from '../shared/sync/client-state.js';
import { DEFAULT_SETTLE_MS, type SyncDeps } from '../shared/sync/sync-deps.js';
import { processUpkeepMessage, startKeepAliveScan, startRenewalScan, UPKEEP_QUEUE } from '../shared/upkeep/upkeep.js';
import { definitions } from '../functions/definitions.js';
import { startAppHost } from '../test/support/app-host.js';
import { connectUser } from '../test/support/connect-user.js';
import { pool, report, seedConnection, startSyncFixture, startHandshakeEcho } from './lib/sync-fixture.js';

const connections = Number(process.env.BENCH_UPKEEP_CONNECTIONS ?? 10_000);
const renewUsers = Number(process.env.BENCH_UPKEEP_RENEW_USERS ?? 500);
const perUser = Number(process.env.BENCH_RENEW_PER_USER ?? 1);
const HOST_BATCH = 16;
/** host.json's queues.visibilityTimeout: a failed message is retried after it. */
const VISIBILITY_S = 10;
const WEEK_AGO = new Date(Date.now() - 8 * 24 * 3600_000);

const { url: echoUrl, server: echo } = await startHandshakeEcho();
const fx = await startSyncFixture(echoUrl);
// Only the HTTP functions (the connect flow): no poller of this process may take the bench's messages.
const app = await startAppHost({ simulatorUrl: fx.sim.url, definitions: definitions.filter((d) => d.kind === 'http') });
const services = app.services;

let tokenRequests = 0;
const fetchBefore = globalThis.fetch;
globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (url.includes('/oauth2/v2.0/token')) tokenRequests += 1;
  return fetchBefore(input, init);
};

/** Drains the upkeep queue as the host does: a failed message stays, and is seen again after its visibility timeout. */
async function drain(deps: SyncDeps): Promise<{ messages: number; failures: number; seconds: number }> {
  const queue = await getQueue(services.config.storage, UPKEEP_QUEUE);
  const t0 = performance.now();
  let messages = 0;
  let failures = 0;
  for (let idle = 0; idle < 3; ) {
    const received = await queue.receiveMessages({ numberOfMessages: HOST_BATCH, visibilityTimeout: VISIBILITY_S }).catch(() => undefined);
    const items = received?.receivedMessageItems ?? [];
    if (items.length === 0) {
      // Empty, or only failed messages still invisible: wait out their visibility timeout before giving up.
      idle += 1;
      if (failures > 0) await new Promise((resolve) => setTimeout(resolve, VISIBILITY_S * 1000));
      continue;
    }
    idle = 0;
    const settled = await settleLimited(items, HOST_BATCH, async (m) => {
      await processUpkeepMessage(deps, decodeQueueMessage(m.messageText));
      await queue.deleteMessage(m.messageId, m.popReceipt);
    });
    messages += settled.filter((r) => r.status === 'fulfilled').length;
    failures += settled.filter((r) => r.status === 'rejected').length;
  }
  return { messages, failures, seconds: (performance.now() - t0) / 1000 };
}

async function countOf<T>(rows: AsyncIterable<T>, keep: (row: T) => boolean = () => true): Promise<number> {
  let n = 0;
  for await (const row of rows) if (keep(row)) n += 1;
  return n;
}

const per = (n: number, of: number) => Math.round((n / Math.max(1, of)) * 100) / 100;

try {
  // Keep-alive: copies of one real connection's token cache, each due for its weekly refresh.
  const user = await connectUser(app);
  const clientId = user.client.clientId;
  const template = (await services.store.connections.getConnection(clientId, user.connection.id))!.entity;
  const serialized = await services.envelope.decryptString(template.tokenCache!, tokenCacheBinding(clientId, template.rowKey));
  await getAccessToken(template, {}, services);
  const t0 = Date.now();
  await pool(Array.from({ length: connections }, () => crypto.randomUUID()), 16, async (id) => {
    const sealed = await encryptTokenCache(services, clientId, id, serialized);
    await services.store.connections.create({ ...template, rowKey: id, externalUserId: `upkeep-${id}`, ...sealed, createdAt: WEEK_AGO, lastTokenRefreshAt: WEEK_AGO });
  });
  await services.store.connections.update({ ...template, lastTokenRefreshAt: WEEK_AGO }, (await services.store.connections.getConnection(clientId, template.rowKey))!.etag);
  console.info(`upkeep: seeded ${connections} connections due for a token refresh in ${Math.round((Date.now() - t0) / 1000)} s`);

  const deps: SyncDeps = { services, graphFor: (c) => fx.graphForUser(c.objectId!), emit: async () => undefined, settleMs: DEFAULT_SETTLE_MS };
  let counts = await fx.azurite.requestCounts();
  let tokens = tokenRequests;
  await startKeepAliveScan(deps, new Date());
  const keepAlive = await drain(deps);
  let after = await fx.azurite.requestCounts();
  const refreshed = await countOf(services.store.connections.queryAll(`PartitionKey eq '${clientId}'`), (v) => (v.entity.lastTokenRefreshAt?.getTime() ?? 0) > WEEK_AGO.getTime());
  const due = connections + 1;
  console.info(
    `upkeep: keep-alive of ${due} due connections: ${refreshed} refreshed in ${keepAlive.seconds.toFixed(1)} s, ${keepAlive.messages} queue messages (${keepAlive.failures} failed attempts retried); ` +
      `per connection ${per(tokenRequests - tokens, due)} token requests, ${per(after.table - counts.table, due)} Table and ${per(after.queue - counts.queue, due)} Queue requests, ` +
      `${per(keepAlive.seconds * 1000, due)} ms of wall time (16 messages at a time, one process)`,
  );
  // Every connection was last refreshed 8 days ago: one hourly run must bring each back within its 7 days.
  console.info(`upkeep: every token refreshed within 7 days: ${refreshed === due ? 'yes' : 'NO'} (${refreshed} of ${due})`);
  report('upkeep', 'keep-alive: connections not refreshed', due - refreshed, 'count');
  report('upkeep', 'keep-alive: wall time per connection', per(keepAlive.seconds * 1000, due), 'ms');
  report('upkeep', 'keep-alive: connections refreshed', refreshed, 'count');
  report('upkeep', 'keep-alive: wall time', Math.round(keepAlive.seconds * 10) / 10, 's');
  report('upkeep', 'keep-alive: connections per second', Math.round(refreshed / keepAlive.seconds), '/s');
  report('upkeep', 'keep-alive: token requests per connection', per(tokenRequests - tokens, due), 'requests');
  report('upkeep', 'keep-alive: Table requests per connection', per(after.table - counts.table, due), 'requests');
  report('upkeep', 'keep-alive: Queue requests per connection', per(after.queue - counts.queue, due), 'requests');

  // Renewal: real subscriptions in the simulator, recorded as expiring within 2 hours.
  const t1 = Date.now();
  let seeded = 0;
  await pool(Array.from({ length: renewUsers }, (_, i) => i), 16, async (i) => {
    const simUser = fx.addUser(`upkeep${i}`);
    const calendars: string[] = [];
    for (let c = 0; c < perUser; c += 1) calendars.push((await fx.control<{ id: string }>('POST', `/graph/users/${simUser.id}/calendars`, { name: `Calendar ${c}` })).id);
    const connection = await seedConnection(services, simUser, calendars);
    for (const calendarId of calendars) {
      const clientState = newClientState();
      const created = await createSubscription(fx.graphForUser(simUser.id), {
        resource: calendarEventsResource(simUser.id, calendarId),
        notificationUrl: `${echoUrl}/api/graph/notifications`,
        lifecycleNotificationUrl: `${echoUrl}/api/graph/lifecycle`,
        clientState,
        expirationDateTime: subscriptionExpiry(),
      });
      await services.store.subscriptions.createSubscription({
        subscriptionId: created.id,
        clientId: connection.partitionKey,
        connectionId: connection.rowKey,
        calendarId,
        resource: calendarEventsResource(simUser.id, calendarId),
        clientStateHash: hashClientState(clientState),
        expiresAt: new Date(Date.now() + 2 * 3600_000),
        createdAt: new Date(),
      });
      seeded += 1;
    }
  });
  console.info(`upkeep: seeded ${seeded} subscriptions for ${renewUsers} users in ${Math.round((Date.now() - t1) / 1000)} s`);
  counts = await fx.azurite.requestCounts();
  tokens = tokenRequests;
  const graphBefore = fx.graphRequests();
  await startRenewalScan(deps, new Date());
  const renewal = await drain(deps);
  after = await fx.azurite.requestCounts();
  const graph = fx.graphRequests() - graphBefore;
  const renewedCount = await countOf(services.store.subscriptions.listExpiring(new Date(Date.now() + 3 * 3600_000)));
  // Each was recorded to expire 2 hours after it was seeded: the run must end before the first of them.
  const beforeExpiry = Date.now() < t1 + 2 * 3600_000;
  console.info(
    `upkeep: renewal of ${seeded} subscriptions (${renewUsers} connections) in ${renewal.seconds.toFixed(1)} s, ${renewal.messages} queue messages (${renewal.failures} failed attempts retried), ${renewedCount} still due; ` +
      `per connection ${per(graph, renewUsers)} Graph requests; per subscription ${per(after.table - counts.table, seeded)} Table and ${per(after.queue - counts.queue, seeded)} Queue requests`,
  );
  console.info(`upkeep: every subscription renewed before it expired: ${renewedCount === 0 && renewal.failures === 0 && beforeExpiry ? 'yes' : 'NO'} (${seeded - renewedCount} of ${seeded}, run ended ${beforeExpiry ? 'before' : 'after'} the first expiry); ${per(renewal.seconds * 1000, renewUsers)} ms of wall time per connection`);
  report('upkeep', 'renewal: subscriptions still due after the run', renewedCount, 'count');
  report('upkeep', 'renewal: wall time per connection', per(renewal.seconds * 1000, renewUsers), 'ms');
  report('upkeep', 'renewal: wall time', Math.round(renewal.seconds * 10) / 10, 's');
  report('upkeep', 'renewal: connections per second', Math.round(renewUsers / renewal.seconds), '/s');
  report('upkeep', 'renewal: Graph requests per connection', per(graph, renewUsers), 'requests');
  report('upkeep', 'renewal: Table requests per subscription', per(after.table - counts.table, seeded), 'requests');
  report('upkeep', 'renewal: Queue requests per subscription', per(after.queue - counts.queue, seeded), 'requests');
} finally {
  globalThis.fetch = fetchBefore;
  await app.close();
  await fx.close();
  echo.close();
}
