// Connection upkeep spread over the queue: the timers only put a "scan" message on the upkeep queue; each
// scan message reads ONE page of its table (the continuation token travels in the message, so a scan that
// dies resumes where it was), puts the due work as small messages, and puts the scan of the next page. The
// queue trigger does the work, on as many instances as the platform gives, each message small enough to
// finish far inside the function timeout. Nothing here makes more Graph requests than the inline runs:
// one token refresh per connection, one $batch of PATCHes per connection's due subscriptions.
import { odata } from '@azure/data-tables';
import { isSyncPaused } from '../admin/pause.js';
import { disconnect } from '../connect/disconnect.js';
import { escapeKey } from '../store/keys.js';
import { enqueue } from '../queues/queue-client.js';
import { settleLimited } from '../runtime/settle-limited.js';
import { ACTIVE_CONNECTIONS_FILTER, refreshConnections, refreshDueAt } from '../keepalive/token-keep-alive.js';
import { refreshWorkingHours, workingHoursDue } from '../availability/mailbox-working-hours.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { recordRenewed, renewConnection, RENEW_WITHIN_MS, withOwners, type RenewalReport } from '../sync/renew-subscriptions.js';
import type { RenewedSubscription } from '../store/repositories/subscriptions.js';
import type { SyncDeps } from '../sync/sync-deps.js';
import { loadCalendarOwner, type CalendarOwner } from '../sync/calendar-owner.js';
import { resyncOwner } from '../sync/resync-calendars.js';
import { reconcileOrphanReports, reconcileOwners, type ReconcileReport } from '../sync/reconcile-subscriptions.js';
import { spaceAsOwner } from '../spaces/space-owner.js';
import { describeError } from '../logging.js';
import { scanSharedCalendarPage, type SharedPollScan } from './shared-calendar-poll.js';
import { isMoveMessage, processMoveMessage, type MoveProgressOutcome } from '../moves/move-future-bookings.js';
import { CONNECTION_COUNTER } from '../telemetry/gauges.js';
import { recordRenewalFailures } from '../telemetry/metrics.js';

/** Connections and spaces both carry `status`: the same filter finds the active ones. */
const ACTIVE_OWNERS_FILTER = ACTIVE_CONNECTIONS_FILTER;

export const UPKEEP_QUEUE = 'connection-upkeep';
/** Rows read per scan message: one Table query page (the service returns at most 1,000). */
export const SCAN_PAGE_SIZE = 1000;
/** Connections per keep-alive work message: a few seconds of token refreshes. */
export const KEEPALIVE_CHUNK = 20;
/** Connections per renewal work message, and at most this many subscriptions (a transaction's 100 rows). */
const RENEWAL_CHUNK = 20;
const RENEWAL_SUBSCRIPTIONS = 100;
/** Connections renewed at once by one work message (each is one $batch to its own mailbox). */
const RENEW_CONCURRENCY = 4;
/**
 * A work message whose owners could not all be read is not retried whole (that would redo every other
 * owner's refresh, resync or Graph list): only the unread owners go back on the queue, after 10 s, 20 s,
 * 40 s, 80 s (the first as host.json's visibilityTimeout for a failed message). After that they wait for
 * the timer's next run, as the host would dead-letter the message.
 */
export const OWNER_RETRY_LIMIT = 4;
const OWNER_RETRY_DELAY_S = 10;

export type UpkeepMessage =
  /** `seen`: active connections on the pages before this one (the last page sets the running count). */
  | { kind: 'keepalive-scan'; at: string; continuationToken?: string; seen?: number }
  | OwnerWork<'keepalive'>
  | { kind: 'renewal-scan'; until: string; continuationToken?: string }
  | { kind: 'renewal'; until: string; connections: { clientId: string; connectionId: string; subscriptions: { id: string; bucket: string }[] }[] }
  | OwnerScan
  | OwnerWork<'resync'>
  | OwnerWork<'reconcile'>
  /** After the last page: the orphan reports no connection reached. */
  | { kind: 'reconcile-orphans'; at: string }
  /** The operator's "disconnect every connection of this client": one page of its connections not yet disconnected. */
  | { kind: 'disconnect-scan'; clientId: string; at: string; continuationToken?: string; pageSize?: number }
  | { kind: 'disconnect'; at: string; connections: OwnerRef[] }
  /** A page of the connections with shared busy calendars: each gets a delta round (shared-calendar-poll.ts). */
  | SharedPollScan;

/** Work on a few owners; `attempt` counts the retries of owners a previous attempt could not read. */
type OwnerWork<K extends 'keepalive' | 'resync' | 'reconcile'> = { kind: K; at: string; connections: OwnerRef[]; attempt?: number };
type OwnerRef = { clientId: string; connectionId: string };

/** A page of the active owners (connections, then spaces) for the resync sweep or the reconciliation. */
type OwnerScan = {
  kind: 'resync-scan' | 'reconcile-scan';
  at: string;
  table: 'connections' | 'spaces';
  continuationToken?: string;
  /** Rows per page when not SCAN_PAGE_SIZE (a smaller page is a shorter message). */
  pageSize?: number;
};

export type UpkeepOutcome =
  | { kind: 'scanned'; task: 'keepalive' | 'renewal' | 'resync' | 'reconcile' | 'shared-poll'; rows: number; due: number; messages: number; more: boolean }
  /** `deferred`, here and below: owners that could not be read, put back on the queue on their own (or given up). */
  | { kind: 'resynced'; checked: number; queued: number; deferred: number }
  /** `workingHours`: connections whose tokens were not due but whose working hours were read again. */
  | { kind: 'refreshed'; refreshed: number; needsReauth: number; failed: number; workingHours: number; deferred: number }
  | { kind: 'renewed'; report: RenewalReport }
  | { kind: 'reconciled'; report: ReconcileReport; deferred?: number }
  | { kind: 'disconnect-scanned'; rows: number; messages: number; more: boolean }
  | { kind: 'disconnected'; disconnected: number }
  | { kind: 'paused' }
  | MoveProgressOutcome
  | { kind: 'invalid' };

/** Timer: start a keep-alive scan of every active connection, as of now. */
export async function startKeepAliveScan(deps: SyncDeps, now = new Date()): Promise<void> {
  await enqueue(deps.services.config.storage, UPKEEP_QUEUE, { kind: 'keepalive-scan', at: now.toISOString() } satisfies UpkeepMessage);
}

/** Timer: start a renewal scan of the subscriptions expiring within the renewal window. */
export async function startRenewalScan(deps: SyncDeps, now = new Date()): Promise<void> {
  const until = new Date(now.getTime() + RENEW_WITHIN_MS).toISOString();
  await enqueue(deps.services.config.storage, UPKEEP_QUEUE, { kind: 'renewal-scan', until } satisfies UpkeepMessage);
}

/** Timer: start the resync sweep over every active owner (connections, then spaces). */
export async function startResyncScan(deps: SyncDeps, now = new Date()): Promise<void> {
  await enqueue(deps.services.config.storage, UPKEEP_QUEUE, { kind: 'resync-scan', at: now.toISOString(), table: 'connections' } satisfies UpkeepMessage);
}

/** Daily timer: start the reconciliation with Graph's list over every active owner, page by page. */
export async function startReconcileScan(deps: SyncDeps, now = new Date(), options: { pageSize?: number } = {}): Promise<void> {
  const message: UpkeepMessage = { kind: 'reconcile-scan', at: now.toISOString(), table: 'connections', ...options };
  await enqueue(deps.services.config.storage, UPKEEP_QUEUE, message);
}

/**
 * The operator's command: disconnect every connection of one booking system, page by page on the upkeep
 * queue (a scan that dies resumes from its message). Events already written stay in Outlook.
 */
export async function startDisconnectClientScan(services: Pick<SyncDeps['services'], 'config'>, clientId: string, options: { pageSize?: number; now?: Date } = {}): Promise<string> {
  const at = (options.now ?? new Date()).toISOString();
  const message: UpkeepMessage = { kind: 'disconnect-scan', clientId, at, ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }) };
  await enqueue(services.config.storage, UPKEEP_QUEUE, message);
  return at;
}

/** Timer: start a scan of the connections whose shared busy calendars are kept by scheduled delta. */
export async function startSharedCalendarPollScan(deps: SyncDeps, now = new Date(), options: { pageSize?: number } = {}): Promise<void> {
  await enqueue(deps.services.config.storage, UPKEEP_QUEUE, { kind: 'shared-poll-scan', at: now.toISOString(), ...options } satisfies UpkeepMessage);
}

export async function processUpkeepMessage(deps: SyncDeps, item: unknown): Promise<UpkeepOutcome> {
  // Moves of future bookings share the queue; they handle the pause themselves (they must not be dropped).
  if (isMoveMessage(item)) return processMoveMessage(deps.services, item);
  const message = parseUpkeepMessage(item);
  if (!message) return { kind: 'invalid' };
  // The operator's own disconnect command runs even while paused: it only takes away, and a paused scan
  // would otherwise be dropped with the command.
  if (message.kind === 'disconnect-scan') return scanDisconnectPage(deps, message);
  if (message.kind === 'disconnect') return disconnectChunk(deps, message);
  // Paused: the scan stops here; the next timer run starts a fresh one, and nothing is due for weeks.
  if (await isSyncPaused(deps.services)) return { kind: 'paused' };
  switch (message.kind) {
    case 'keepalive-scan':
      return scanKeepAlivePage(deps, message);
    case 'keepalive':
      return refreshChunk(deps, message);
    case 'renewal-scan':
      return scanRenewalPage(deps, message);
    case 'renewal':
      return renewChunk(deps, message);
    case 'resync-scan':
    case 'reconcile-scan':
      return scanOwnersPage(deps, message);
    case 'resync':
      return resyncChunk(deps, message);
    case 'reconcile':
      return reconcileChunk(deps, message);
    case 'reconcile-orphans':
      return { kind: 'reconciled', report: await reconcileOrphanReports(deps) };
    case 'shared-poll-scan': {
      const scanned = await scanSharedCalendarPage(deps, message, SCAN_PAGE_SIZE, (next) => put(deps, [next]));
      return { kind: 'scanned', task: 'shared-poll', ...scanned, messages: scanned.due + Number(scanned.more) };
    }
  }
}

async function scanDisconnectPage(deps: SyncDeps, message: Extract<UpkeepMessage, { kind: 'disconnect-scan' }>): Promise<UpkeepOutcome> {
  const filter = odata`PartitionKey eq ${escapeKey(message.clientId)} and status ne ${'disconnected'}`;
  const page = await deps.services.store.connections.query(filter, { pageSize: message.pageSize ?? SCAN_PAGE_SIZE, continuationToken: message.continuationToken });
  const work: UpkeepMessage[] = chunk(page.items, KEEPALIVE_CHUNK).map((part) => ({
    kind: 'disconnect',
    at: message.at,
    connections: part.map((c) => ({ clientId: c.entity.partitionKey, connectionId: c.entity.rowKey })),
  }));
  if (page.continuationToken) work.push({ ...message, continuationToken: page.continuationToken });
  await put(deps, work);
  return { kind: 'disconnect-scanned', rows: page.items.length, messages: work.length, more: Boolean(page.continuationToken) };
}

async function disconnectChunk(deps: SyncDeps, message: Extract<UpkeepMessage, { kind: 'disconnect' }>): Promise<UpkeepOutcome> {
  const { services } = deps;
  let disconnected = 0;
  // Read again: one may have been disconnected meanwhile (disconnect() is idempotent anyway).
  const settled = await settleLimited(message.connections, 4, async ({ clientId, connectionId }) => {
    const found = await services.store.connections.getConnection(clientId, connectionId);
    if (!found || found.entity.status === 'disconnected') return;
    await disconnect(found.entity, services);
    disconnected += 1;
  });
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason; // retried: the ones done are skipped on the next attempt
  return { kind: 'disconnected', disconnected };
}

async function put(deps: SyncDeps, messages: UpkeepMessage[]): Promise<void> {
  await settleAll(messages.map((m) => () => enqueue(deps.services.config.storage, UPKEEP_QUEUE, m)));
}

async function settleAll(calls: (() => Promise<void>)[]): Promise<void> {
  const settled = await settleLimited(calls, 8, (call) => call());
  const failed = settled.find((s) => s.status === 'rejected');
  // A put failed: the scan message is retried, and its page's work is put again (refreshes are idempotent).
  if (failed) throw failed.reason;
}

async function scanKeepAlivePage(deps: SyncDeps, message: Extract<UpkeepMessage, { kind: 'keepalive-scan' }>): Promise<UpkeepOutcome> {
  const at = Date.parse(message.at);
  const page = await deps.services.store.connections.query(ACTIVE_CONNECTIONS_FILTER, { pageSize: SCAN_PAGE_SIZE, continuationToken: message.continuationToken });
  const due = page.items.map((v) => v.entity).filter((c) => upkeepDue(c, at));
  const work: UpkeepMessage[] = chunk(due, KEEPALIVE_CHUNK).map((part) => ({
    kind: 'keepalive',
    at: message.at,
    connections: part.map((c) => ({ clientId: c.partitionKey, connectionId: c.rowKey })),
  }));
  const seen = (message.seen ?? 0) + page.items.length;
  if (page.continuationToken) work.push({ kind: 'keepalive-scan', at: message.at, continuationToken: page.continuationToken, seen });
  await put(deps, work);
  // Every active connection has now been read: the running count of active ones is set to what was seen.
  if (!page.continuationToken) {
    await deps.services.store.counters.set(CONNECTION_COUNTER, { active: seen }).catch((error: unknown) => {
      console.warn(`token keep-alive: active connection count not set: ${describeError(error)}`);
    });
  }
  return { kind: 'scanned', task: 'keepalive', rows: page.items.length, due: due.length, messages: work.length, more: Boolean(page.continuationToken) };
}

async function refreshChunk(deps: SyncDeps, message: Extract<UpkeepMessage, { kind: 'keepalive' }>): Promise<UpkeepOutcome> {
  const { store } = deps.services;
  const at = Date.parse(message.at);
  // Read again: since the scan, the connection may have been refreshed (by a request), disconnected or deleted.
  const rows = await settleLimited(message.connections, 8, (c) => store.connections.getConnection(c.clientId, c.connectionId));
  const active = rows.flatMap((r) => (r.status === 'fulfilled' && r.value && r.value.entity.status === 'active' ? [r.value.entity] : []));
  const report = { refreshed: 0, needsReauth: 0, failed: 0 };
  // Tokens due: refreshed, and their working hours read with them when those are due too.
  await refreshConnections(deps.services, active.filter((c) => refreshDueAt(c) <= at), report, console);
  // Tokens kept fresh by other Graph use (renewals, bookings) never fall due: their working hours on their own.
  let workingHours = 0;
  await settleLimited(active.filter((c) => refreshDueAt(c) > at && workingHoursDue(c, at)), 4, async (connection) => {
    await refreshWorkingHours(deps.services, connection)
      .then(() => (workingHours += 1))
      .catch((error: unknown) => console.warn(`token keep-alive: working hours of ${connection.rowKey} not read: ${describeError(error)}`));
  });
  const deferred = await retryUnread(deps, message, message.connections.filter((_, i) => rows[i]!.status === 'rejected'));
  return { kind: 'refreshed', ...report, workingHours, deferred };
}

/** A keep-alive scan's test: the tokens are due for their refresh, or the working hours for a new read. */
function upkeepDue(connection: Pick<ConnectionEntity, 'rowKey' | 'lastTokenRefreshAt' | 'createdAt' | 'workingHoursReadAt'>, at: number): boolean {
  return refreshDueAt(connection) <= at || workingHoursDue(connection, at);
}

async function scanRenewalPage(deps: SyncDeps, message: Extract<UpkeepMessage, { kind: 'renewal-scan' }>): Promise<UpkeepOutcome> {
  const { store } = deps.services;
  const page = await store.subscriptions.listExpiringPage(new Date(message.until), { continuationToken: message.continuationToken, pageSize: SCAN_PAGE_SIZE });
  const byConnection = new Map<string, { clientId: string; connectionId: string; subscriptions: { id: string; bucket: string }[] }>();
  for (const { subscriptionId, bucket, clientId, connectionId } of await withOwners(deps, page.refs)) {
    const key = `${clientId}\n${connectionId}`;
    const entry = byConnection.get(key) ?? { clientId, connectionId, subscriptions: [] };
    entry.subscriptions.push({ id: subscriptionId, bucket });
    byConnection.set(key, entry);
  }
  // Up to 20 connections (one $batch each) and 100 subscriptions a message: their new expiry index rows
  // share an hour's partition, so the message records them in one transaction.
  const work: UpkeepMessage[] = renewalChunks([...byConnection.values()]).map((connections) => ({ kind: 'renewal', until: message.until, connections }));
  if (page.continuationToken) work.push({ kind: 'renewal-scan', until: message.until, continuationToken: page.continuationToken });
  await put(deps, work);
  return { kind: 'scanned', task: 'renewal', rows: page.refs.length, due: page.refs.length, messages: work.length, more: Boolean(page.continuationToken) };
}

async function renewChunk(deps: SyncDeps, message: Extract<UpkeepMessage, { kind: 'renewal' }>): Promise<UpkeepOutcome> {
  const report: RenewalReport = { due: 0, renewed: 0, recreated: 0, dropped: 0, failed: 0, connections: message.connections.length };
  // Renewed as the scan's index rows named them, without reading each record: a subscription renewed
  // meanwhile (a message run twice) is renewed once more: a PATCH, and an expiry a little later.
  const renewed: RenewedSubscription[] = [];
  await settleLimited(message.connections, RENEW_CONCURRENCY, async ({ clientId, connectionId, subscriptions }) => {
    const due = subscriptions.map(({ id, bucket }) => ({ subscriptionId: id, bucket, clientId, connectionId }));
    report.due += due.length;
    await renewConnection(deps, due, report, renewed);
  });
  // Recorded together: the message's new index rows share an hour's partition (one transaction).
  await recordRenewed(deps, renewed, report);
  recordRenewalFailures(report.failed);
  return { kind: 'renewed', report };
}

async function scanOwnersPage(deps: SyncDeps, message: OwnerScan): Promise<UpkeepOutcome> {
  const { store } = deps.services;
  const task = message.kind === 'resync-scan' ? 'resync' : 'reconcile';
  const options = { pageSize: message.pageSize ?? SCAN_PAGE_SIZE, continuationToken: message.continuationToken };
  let owners: CalendarOwner[];
  let next: string | undefined;
  if (message.table === 'connections') {
    const page = await store.connections.query(ACTIVE_OWNERS_FILTER, options);
    owners = page.items.map((v) => v.entity);
    next = page.continuationToken;
  } else {
    const page = await store.spaces.query(ACTIVE_OWNERS_FILTER, options);
    owners = page.items.map((v) => spaceAsOwner(v.entity));
    next = page.continuationToken;
  }
  const work: UpkeepMessage[] = chunk(owners, KEEPALIVE_CHUNK).map((part) => ({
    kind: task,
    at: message.at,
    connections: part.map((o) => ({ clientId: o.partitionKey, connectionId: o.rowKey })),
  }));
  const size = message.pageSize === undefined ? {} : { pageSize: message.pageSize };
  if (next) work.push({ kind: message.kind, at: message.at, table: message.table, continuationToken: next, ...size });
  else if (message.table === 'connections') work.push({ kind: message.kind, at: message.at, table: 'spaces', ...size });
  else if (task === 'reconcile') work.push({ kind: 'reconcile-orphans', at: message.at });
  await put(deps, work);
  const more = work.some((w) => w.kind === message.kind);
  return { kind: 'scanned', task, rows: owners.length, due: owners.length, messages: work.length, more };
}

async function resyncChunk(deps: SyncDeps, message: Extract<UpkeepMessage, { kind: 'resync' }>): Promise<UpkeepOutcome> {
  const totals = { checked: 0, queued: 0 };
  const settled = await settleLimited(message.connections, 4, async ({ clientId, connectionId }) => {
    const owner = await loadCalendarOwner(deps.services, clientId, connectionId);
    if (owner && owner.status === 'active') await resyncOwner(deps, owner, new Date(message.at), totals);
  });
  // Only the owners that failed go again (queuing a resync twice is harmless anyway: coalesced).
  const deferred = await retryUnread(deps, message, message.connections.filter((_, i) => settled[i]!.status === 'rejected'));
  return { kind: 'resynced', ...totals, deferred };
}

async function reconcileChunk(deps: SyncDeps, message: Extract<UpkeepMessage, { kind: 'reconcile' }>): Promise<UpkeepOutcome> {
  // Read again: since the scan, an owner may have been disconnected or deleted.
  const settled = await settleLimited(message.connections, 8, ({ clientId, connectionId }) => loadCalendarOwner(deps.services, clientId, connectionId));
  const owners = settled.flatMap((s) => (s.status === 'fulfilled' && s.value?.status === 'active' ? [s.value] : []));
  const { report, unread } = await reconcileOwners(deps, owners);
  const notLoaded = message.connections.filter((_, i) => settled[i]!.status === 'rejected');
  const deferred = await retryUnread(deps, message, [...notLoaded, ...unread.map((o) => ({ clientId: o.partitionKey, connectionId: o.rowKey }))]);
  return { kind: 'reconciled', report, deferred };
}

/**
 * Puts the owners a work message could not read back on the queue on their own, after a backoff, so one
 * storage timeout does not redo the whole message's work. Returns how many were deferred (or given up).
 */
async function retryUnread<M extends OwnerWork<'keepalive' | 'resync' | 'reconcile'>>(deps: SyncDeps, message: M, unread: OwnerRef[]): Promise<number> {
  if (unread.length === 0) return 0;
  const attempt = (message.attempt ?? 0) + 1;
  if (attempt > OWNER_RETRY_LIMIT) {
    console.warn(`upkeep ${message.kind}: ${unread.length} owner(s) still unreadable after ${OWNER_RETRY_LIMIT} retries; left for the timer's next run`);
    return unread.length;
  }
  // If this put fails the message itself is retried whole, the only way left not to lose the owners.
  await enqueue(deps.services.config.storage, UPKEEP_QUEUE, { ...message, connections: unread, attempt } satisfies UpkeepMessage, OWNER_RETRY_DELAY_S * 2 ** (attempt - 1));
  return unread.length;
}

/** Connections grouped for renewal messages: at most RENEWAL_CHUNK connections and 100 subscriptions each. */
function renewalChunks<T extends { subscriptions: readonly unknown[] }>(connections: readonly T[]): T[][] {
  const parts: T[][] = [];
  let part: T[] = [];
  let subscriptions = 0;
  for (const connection of connections) {
    if (part.length > 0 && (part.length >= RENEWAL_CHUNK || subscriptions + connection.subscriptions.length > RENEWAL_SUBSCRIPTIONS)) {
      parts.push(part);
      [part, subscriptions] = [[], 0];
    }
    part.push(connection);
    subscriptions += connection.subscriptions.length;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}

const str = (v: unknown, max = 2048): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
/** A scan message's page size: absent, or 1 to SCAN_PAGE_SIZE; null when malformed. */
const pageSizeOf = (v: unknown): number | undefined | null =>
  v === undefined ? undefined : Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= SCAN_PAGE_SIZE ? (v as number) : null;
const instant = (v: unknown): v is string => str(v, 64) && !Number.isNaN(Date.parse(v));

/** Parses a queue item defensively: anything malformed is undefined (and dropped). */
export function parseUpkeepMessage(item: unknown): UpkeepMessage | undefined {
  const m = item as Record<string, unknown> | null;
  if (!m || typeof m !== 'object') return undefined;
  const token = m.continuationToken === undefined || str(m.continuationToken, 4096) ? (m.continuationToken as string | undefined) : null;
  if (token === null) return undefined;
  const ids = (v: unknown) => Array.isArray(v) && v.length > 0 && v.length <= 1000 && v.every((c) => str(c?.clientId, 256) && str(c?.connectionId, 256));
  switch (m.kind) {
    case 'keepalive-scan': {
      const seen = m.seen === undefined || (Number.isSafeInteger(m.seen) && (m.seen as number) >= 0) ? (m.seen as number | undefined) : null;
      return instant(m.at) && seen !== null
        ? { kind: 'keepalive-scan', at: m.at, ...(token ? { continuationToken: token } : {}), ...(seen !== undefined ? { seen } : {}) }
        : undefined;
    }
    case 'renewal-scan':
      return instant(m.until) ? { kind: 'renewal-scan', until: m.until, ...(token ? { continuationToken: token } : {}) } : undefined;
    case 'keepalive':
    case 'resync':
    case 'reconcile': {
      const attempt = m.attempt === undefined || (Number.isSafeInteger(m.attempt) && (m.attempt as number) >= 1 && (m.attempt as number) <= OWNER_RETRY_LIMIT) ? (m.attempt as number | undefined) : null;
      return instant(m.at) && ids(m.connections) && attempt !== null
        ? { kind: m.kind, at: m.at, connections: m.connections as OwnerRef[], ...(attempt !== undefined ? { attempt } : {}) }
        : undefined;
    }
    case 'resync-scan':
    case 'reconcile-scan': {
      const pageSize = pageSizeOf(m.pageSize);
      return instant(m.at) && (m.table === 'connections' || m.table === 'spaces') && pageSize !== null
        ? { kind: m.kind, at: m.at, table: m.table, ...(token ? { continuationToken: token } : {}), ...(pageSize !== undefined ? { pageSize } : {}) }
        : undefined;
    }
    case 'reconcile-orphans':
      return instant(m.at) ? { kind: 'reconcile-orphans', at: m.at } : undefined;
    case 'disconnect-scan': {
      const pageSize = pageSizeOf(m.pageSize);
      return instant(m.at) && str(m.clientId, 256) && pageSize !== null
        ? { kind: 'disconnect-scan', clientId: m.clientId, at: m.at, ...(token ? { continuationToken: token } : {}), ...(pageSize !== undefined ? { pageSize } : {}) }
        : undefined;
    }
    case 'disconnect':
      return instant(m.at) && ids(m.connections) ? { kind: 'disconnect', at: m.at, connections: m.connections as OwnerRef[] } : undefined;
    case 'shared-poll-scan': {
      const pageSize = pageSizeOf(m.pageSize);
      return instant(m.at) && pageSize !== null
        ? { kind: 'shared-poll-scan', at: m.at, ...(token ? { continuationToken: token } : {}), ...(pageSize !== undefined ? { pageSize } : {}) }
        : undefined;
    }
    case 'renewal': {
      if (!instant(m.until) || !ids(m.connections)) return undefined;
      const connections = m.connections as { clientId: string; connectionId: string; subscriptions?: unknown }[];
      const subsOk = connections.every((c) => Array.isArray(c.subscriptions) && c.subscriptions.every((s: { id?: unknown; bucket?: unknown }) => str(s?.id, 256) && str(s?.bucket, 64)));
      return subsOk ? { kind: 'renewal', until: m.until, connections: connections as Extract<UpkeepMessage, { kind: 'renewal' }>['connections'] } : undefined;
    }
    default:
      return undefined;
  }
}
