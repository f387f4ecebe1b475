// A week of connection upkeep, for real, on the simulator's clock: BENCH_UPKEEP_CONNECTIONS (10,000) connected
// users, each with its own mailbox, refresh token and calendar subscription, then BENCH_UPKEEP_DAYS (8) days
// of hourly timer runs with the clock moved an hour between them (app and simulator together,
// bench/lib/world-clock.ts). Each hour the timers' own code starts the scans (renewal at :10, keep-alive at
// :23) and the connection-upkeep queue is drained the way the queue trigger runs it (16 messages at a time,
// the host's batchSize), each message through processUpkeepMessage(): the same paged scans, token refreshes
// (MSAL against the simulator's token endpoint), working-hours reads and $batch renewals as in Azure.
// Afterwards one sweep each of the other timers (resync, reconciliation, shared-calendar poll).
//
// Seeded, not exercised: what the connect flow leaves behind. One user connects through it; the others are
// simulated users whose sign-in the simulator records directly (POST /_sim/users/{user}/signed-in: consent and
// a refresh token), with that first user's MSAL cache rewritten for them, sealed and stored through the app's
// own store; their subscriptions are created through Graph (validation handshake included) with expiries
// spread over the week, and recorded through the app's store.
//
// Checks: every connection's tokens were refreshed within 7 days of the previous refresh (each write of the
// token cache is observed), and every subscription was renewed before it expired (Graph deletes expired ones:
// each seeded subscription must still be live at every hour, none recreated). Prints per connection: Graph
// and token requests, Table and Queue requests (Azurite's counts), CPU ms of this process (the app and the
// in-process simulator) and of Azurite's process.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { identityStore } from '../dev/simulator/identity/store.js';
import { encryptTokenCache, tokenCacheBinding } from '../shared/auth/token-cache-plugin.js';
import { createSubscription, mailboxEventsResource, MAX_SUBSCRIPTION_MINUTES } from '../shared/graph/subscriptions.js';
import { decodeQueueMessage, getQueue } from '../shared/queues/queue-client.js';
import { settleLimited } from '../shared/runtime/settle-limited.js';
import { hashClientState, newClientState } from '../shared/sync/client-state.js';
import { defaultSyncDeps } from '../shared/sync/sync-deps.js';
import type { SyncDeps } from '../shared/sync/sync-deps.js';
import type { ConnectionEntity } from '../shared/store/repositories/connections.js';
import {
  processUpkeepMessage,
  startKeepAliveScan,
  startReconcileScan,
  startRenewalScan,
  startResyncScan,
  startSharedCalendarPollScan,
  UPKEEP_QUEUE,
  type UpkeepOutcome,
} from '../shared/upkeep/upkeep.js';
import { definitions } from '../functions/definitions.js';
import { startAppHost } from '../test/support/app-host.js';
import { connectUser } from '../test/support/connect-user.js';
import { pool, report, startSyncFixture, startHandshakeEcho } from './lib/sync-fixture.js';
import { advanceWorldClock, installWorldClock } from './lib/world-clock.js';

const connections = Number(process.env.BENCH_UPKEEP_CONNECTIONS ?? 10_000);
const days = Number(process.env.BENCH_UPKEEP_DAYS ?? 8);
const HOST_BATCH = 16;
/** host.json's queues.visibilityTimeout: a failed message is retried after it. */
const VISIBILITY_S = 10;
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

installWorldClock();
const { url: echoUrl, server: echo } = await startHandshakeEcho();
const fx = await startSyncFixture(echoUrl);
// Only the HTTP functions (the connect flow): no poller of this process may take the bench's messages.
const app = await startAppHost({ simulatorUrl: fx.sim.url, definitions: definitions.filter((d) => d.kind === 'http') });
const services = app.services;
const deps: SyncDeps = defaultSyncDeps(services);

let tokenRequests = 0;
const fetchBefore = globalThis.fetch;
globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (url.includes('/oauth2/v2.0/token')) tokenRequests += 1;
  return fetchBefore(input, init);
};

// Every write of a connection's token cache: the gap since the one before is the refresh interval.
const lastRefresh = new Map<string, number>();
let longestGapMs = 0;
const repo = services.store.connections;
const update = repo.update.bind(repo);
repo.update = async (entity, etag, options) => {
  const saved = await update(entity, etag, options);
  const at = entity.lastTokenRefreshAt?.getTime();
  const before = lastRefresh.get(entity.rowKey);
  if (at !== undefined && before !== undefined && at !== before) {
    longestGapMs = Math.max(longestGapMs, at - before);
    lastRefresh.set(entity.rowKey, at);
  }
  return saved;
};

/** CPU ms of this process and of Azurite's (utime + stime from /proc, in clock ticks of 10 ms). */
function cpuMs(): { app: number; azurite: number } {
  const usage = process.cpuUsage();
  const pid = fx.azurite.pid();
  let azurite = 0;
  if (pid !== undefined) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    azurite = (Number(fields[11]) + Number(fields[12])) * 10;
  }
  return { app: (usage.user + usage.system) / 1000, azurite };
}

interface Costs {
  graph: number;
  tokens: number;
  table: number;
  queue: number;
  appCpu: number;
  azuriteCpu: number;
  wallMs: number;
}

async function snapshot(): Promise<Costs> {
  const counts = await fx.azurite.requestCounts();
  const cpu = cpuMs();
  return { graph: fx.graphRequests(), tokens: tokenRequests, table: counts.table, queue: counts.queue, appCpu: cpu.app, azuriteCpu: cpu.azurite, wallMs: performance.now() };
}

function minus(a: Costs, b: Costs): Costs {
  return { graph: a.graph - b.graph, tokens: a.tokens - b.tokens, table: a.table - b.table, queue: a.queue - b.queue, appCpu: a.appCpu - b.appCpu, azuriteCpu: a.azuriteCpu - b.azuriteCpu, wallMs: a.wallMs - b.wallMs };
}

const per = (n: number, of: number) => Math.round((n / Math.max(1, of)) * 100) / 100;
const describeCosts = (c: Costs, of: number) =>
  `${per(c.graph, of)} Graph and ${per(c.tokens, of)} token requests, ${per(c.table, of)} Table and ${per(c.queue, of)} Queue requests, ` +
  `${per(c.appCpu, of)} ms CPU of the app and simulator, ${per(c.azuriteCpu, of)} ms of Azurite, ${per(c.wallMs, of)} ms wall`;

function reportCosts(phase: string, c: Costs, of: number, unit = 'connection'): void {
  report('upkeep', `${phase}: Graph requests per ${unit}`, per(c.graph, of), 'requests');
  report('upkeep', `${phase}: token requests per ${unit}`, per(c.tokens, of), 'requests');
  report('upkeep', `${phase}: Table requests per ${unit}`, per(c.table, of), 'requests');
  report('upkeep', `${phase}: Queue requests per ${unit}`, per(c.queue, of), 'requests');
  report('upkeep', `${phase}: app and simulator CPU per ${unit}`, per(c.appCpu, of), 'ms');
  report('upkeep', `${phase}: Azurite CPU per ${unit}`, per(c.azuriteCpu, of), 'ms');
}

/** The longest one message took (16 at a time): what must stay far inside host.json's functionTimeout. */
let longestMessageMs = 0;

/** Drains the upkeep queue as the host does: a failed message stays, and is seen again after its visibility timeout. */
async function drain(): Promise<{ outcomes: UpkeepOutcome[]; failures: number }> {
  const queue = await getQueue(services.config.storage, UPKEEP_QUEUE);
  const outcomes: UpkeepOutcome[] = [];
  let failures = 0;
  for (let idle = 0; idle < 2; ) {
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
      const began = performance.now();
      outcomes.push(await processUpkeepMessage(deps, decodeQueueMessage(m.messageText)));
      longestMessageMs = Math.max(longestMessageMs, performance.now() - began);
      await queue.deleteMessage(m.messageId, m.popReceipt);
    });
    for (const s of settled) if (s.status === 'rejected') {
      failures += 1;
      if (failures <= 3) console.warn(`upkeep: a message failed and will be retried: ${String(s.reason)}`);
    }
  }
  return { outcomes, failures };
}

/** The simulator's live subscriptions (Graph deletes expired ones) and their expiries. */
async function liveSubscriptions(): Promise<Map<string, number>> {
  const { value } = await fx.control<{ value: { id: string; expirationDateTime: string }[] }>('GET', '/graph/subscriptions');
  return new Map(value.map((s) => [s.id, Date.parse(s.expirationDateTime)]));
}

try {
  // One user through the connect flow: its MSAL cache is the template of every other connection's.
  const template = await connectUser(app);
  const clientId = template.client.clientId;
  const templateRow = (await repo.getConnection(clientId, template.connection.id))!.entity;
  const cacheJson = JSON.parse(await services.envelope.decryptString(templateRow.tokenCache!, tokenCacheBinding(clientId, templateRow.rowKey))) as Record<string, Record<string, Record<string, unknown>>>;
  delete cacheJson.AccessToken; // each seeded user gets its first access token by refreshing
  const templateRefreshToken = Object.values(cacheJson.RefreshToken ?? {})[0]?.secret;
  if (typeof templateRefreshToken !== 'string') throw new Error('the template cache holds no refresh token');
  const cacheTemplate = JSON.stringify(cacheJson);
  const rewrite = (from: string, to: string, text: string) => text.split(from).join(to);
  const tenantId = templateRow.tenantId!;
  const tenant = fx.sim.state.directory.tenants.get(tenantId)!;
  // The consent the template user gave through the pages: every seeded user gives the same.
  const appId = services.config.entra.clientId;
  const scopes = [...identityStore(fx.sim.state).consented(templateRow.objectId!, appId)];

  // Seed N connected users, each with its own mailbox, refresh token, calendar and subscription.
  const seedStart = performance.now();
  const t0 = Date.now();
  const seededIds: string[] = [];
  const seeded = new Set<string>();
  const subscriptionIds = new Set<string>();
  await pool(Array.from({ length: connections }, (_, i) => i), 16, async (i) => {
    const user = fx.sim.state.directory.addUser({ tenantId, userPrincipalName: `upkeep${i}@${tenant.domain}` });
    const { refresh_token: refreshToken } = await fx.control<{ refresh_token: string }>('POST', `/users/${user.id}/signed-in`, { clientId: appId, scopes });
    const cache = rewrite(templateRefreshToken, refreshToken, rewrite(templateRow.upn!, user.userPrincipalName, rewrite(templateRow.objectId!, user.id, cacheTemplate)));
    const rowKey = crypto.randomUUID();
    const calendars = (await fx.control<{ value: { id: string; isDefaultCalendar?: boolean }[] }>('GET', `/graph/users/${user.id}/calendars`)).value;
    const calendarId = (calendars.find((c) => c.isDefaultCalendar) ?? calendars[0]!).id;
    // Last refreshed some time in the past 6 days: over the week each is due at least once.
    const refreshedAt = new Date(t0 - Math.floor(((i + 0.5) / connections) * 6 * DAY));
    const sealed = await encryptTokenCache(services, clientId, rowKey, cache);
    const entity: ConnectionEntity = {
      ...templateRow,
      rowKey,
      externalUserId: `upkeep-${i}`,
      objectId: user.id,
      upn: user.userPrincipalName,
      homeAccountId: rewrite(templateRow.objectId!, user.id, templateRow.homeAccountId!),
      busyCalendarIds: [calendarId],
      ...sealed,
      createdAt: refreshedAt,
      lastTokenRefreshAt: refreshedAt,
      workingHoursReadAt: refreshedAt,
    };
    await repo.create(entity);
    lastRefresh.set(rowKey, refreshedAt.getTime());
    seededIds.push(rowKey);
    seeded.add(rowKey);
    // Expiries spread over the 4 days after the renewal window opens, as a running system's are.
    const expiry = new Date(t0 + 3 * DAY + HOUR + Math.floor(((i + 0.5) / connections) * (MAX_SUBSCRIPTION_MINUTES * 60_000 - 3 * DAY - 2 * HOUR)));
    const clientState = newClientState();
    // The default calendar: the app subscribes to it on the documented mailbox resource, as here.
    const resource = mailboxEventsResource(user.id);
    const created = await createSubscription(fx.graphForUser(user.id), {
      resource,
      notificationUrl: `${echoUrl}/api/graph/notifications`,
      lifecycleNotificationUrl: `${echoUrl}/api/graph/lifecycle`,
      clientState,
      expirationDateTime: expiry,
    });
    await services.store.subscriptions.createSubscription({
      subscriptionId: created.id,
      clientId,
      connectionId: rowKey,
      calendarId,
      resource,
      clientStateHash: hashClientState(clientState),
      expiresAt: new Date(created.expirationDateTime),
      createdAt: new Date(),
    });
    subscriptionIds.add(created.id);
  });
  // The template connection is left out of the checks: it has no subscription.
  const seedSeconds = (performance.now() - seedStart) / 1000;
  console.info(`upkeep: seeded ${connections} connections (refresh token, sealed MSAL cache, calendar, subscription) in ${seedSeconds.toFixed(0)} s (${per(seedSeconds * 1000, connections)} ms each)`);

  // The week: hour by hour, the renewal timer (:10) and the keep-alive timer (:23), the queue drained.
  const start = await snapshot();
  const totals = { workingHours: 0, refreshed: 0, needsReauth: 0, refreshFailed: 0, renewed: 0, recreated: 0, dropped: 0, renewFailed: 0, messages: 0, retries: 0 };
  let leastLeftMs = Infinity;
  let missing = 0;
  let slowestHourMs = 0;
  const load0 = loadavg()[0]!;
  for (let hour = 1; hour <= days * 24; hour += 1) {
    advanceWorldClock(fx.sim, HOUR);
    const t = performance.now();
    const now = new Date();
    await startRenewalScan(deps, now);
    await startKeepAliveScan(deps, new Date(now.getTime() + 13 * 60_000));
    const { outcomes, failures } = await drain();
    slowestHourMs = Math.max(slowestHourMs, performance.now() - t);
    totals.messages += outcomes.length;
    totals.retries += failures;
    for (const o of outcomes) {
      if (o.kind === 'refreshed') {
        totals.refreshed += o.refreshed;
        totals.needsReauth += o.needsReauth;
        totals.refreshFailed += o.failed;
        totals.workingHours += o.workingHours;
      } else if (o.kind === 'renewed') {
        totals.renewed += o.report.renewed;
        totals.recreated += o.report.recreated;
        totals.dropped += o.report.dropped;
        totals.renewFailed += o.report.failed;
      }
    }
    // Every seeded subscription must still be live, with time left: Graph deletes one the moment it expires.
    const live = await liveSubscriptions();
    const nowMs = Date.now();
    for (const id of subscriptionIds) {
      const expiry = live.get(id);
      if (expiry === undefined) missing += 1;
      else leastLeftMs = Math.min(leastLeftMs, expiry - nowMs);
    }
    if (hour % 24 === 0) console.info(`upkeep: day ${hour / 24}: ${totals.refreshed} refreshed, ${totals.renewed} renewed, ${missing} subscription-hours missing, ${Math.round((performance.now() - start.wallMs) / 1000)} s so far`);
  }
  const week = minus(await snapshot(), start);
  const load1 = loadavg()[0]!;

  // Each connection's last refresh must also be within 7 days of the end.
  const endMs = Date.now();
  let overdue = 0;
  for (const id of seededIds) if (endMs - lastRefresh.get(id)! > WEEK) overdue += 1;
  // Working hours ride on the keep-alive scan: none older than 7 days plus the hour to the next scan.
  let staleHours = 0;
  for await (const { entity } of repo.queryAll(`PartitionKey eq '${clientId}'`, { select: ['workingHoursReadAt'] }))
    if (seeded.has(entity.rowKey) && endMs - (entity.workingHoursReadAt?.getTime() ?? 0) > WEEK + HOUR) staleHours += 1;
  const tokensOk = longestGapMs <= WEEK && overdue === 0 && totals.needsReauth === 0 && staleHours === 0;
  const renewalsOk = missing === 0 && totals.recreated === 0 && totals.dropped === 0 && totals.renewFailed === 0;
  console.info(
    `upkeep: ${days} days of hourly timers over ${connections} connections in ${(week.wallMs / 1000).toFixed(0)} s (slowest hour ${(slowestHourMs / 1000).toFixed(1)} s, load average ${load0.toFixed(1)} -> ${load1.toFixed(1)}): ` +
      `${totals.refreshed} keep-alive refreshes (${totals.refreshFailed} failed, ${totals.needsReauth} needs_reauth), ${totals.renewed} renewals (${totals.recreated} recreated, ${totals.dropped} dropped, ${totals.renewFailed} failed), ` +
      `${totals.messages} queue messages (${totals.retries} retried), the longest message ${(longestMessageMs / 1000).toFixed(1)} s`,
  );
  console.info(`upkeep: every token refreshed within 7 days: ${tokensOk ? 'yes' : 'NO'} (longest interval between refreshes ${(longestGapMs / DAY).toFixed(2)} days, ${overdue} overdue at the end; working hours older than 7 days: ${staleHours}; ${totals.workingHours} read beside a refresh that was not due)`);
  console.info(`upkeep: every subscription renewed before it expired: ${renewalsOk ? 'yes' : 'NO'} (${subscriptionIds.size} subscriptions checked every hour; least time left seen ${(leastLeftMs / DAY).toFixed(2)} days; ${missing} missing)`);
  console.info(`upkeep: per connection per week: ${describeCosts(week, connections)}`);
  report('upkeep', 'week: connections', connections, 'count');
  report('upkeep', 'week: longest interval between token refreshes', Math.round((longestGapMs / DAY) * 100) / 100, 'days');
  report('upkeep', 'week: subscriptions expired or recreated', missing + totals.recreated, 'count');
  report('upkeep', 'week: wall time', Math.round(week.wallMs / 1000), 's');
  report('upkeep', 'week: longest queue message', Math.round(longestMessageMs), 'ms');
  reportCosts('week', week, connections);

  // The other timers, one sweep each: their per-connection costs.
  for (const [name, begin] of [
    ['resync sweep', () => startResyncScan(deps, new Date())],
    ['reconciliation', () => startReconcileScan(deps, new Date())],
    ['shared-calendar poll scan', () => startSharedCalendarPollScan(deps, new Date())],
  ] as const) {
    const before = await snapshot();
    await begin();
    const { outcomes, failures } = await drain();
    const cost = minus(await snapshot(), before);
    console.info(`upkeep: ${name}: ${outcomes.length} queue messages (${failures} retried); per connection ${describeCosts(cost, connections)}`);
    reportCosts(name, cost, connections);
  }
  if (!tokensOk || !renewalsOk) process.exitCode = 1;
} finally {
  globalThis.fetch = fetchBefore;
  await app.close();
  await fx.close();
  echo.close();
}
