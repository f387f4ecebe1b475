// The renewal timer: every subscription expiring within the window is renewed by PATCH
// inside $batch (https://learn.microsoft.com/en-us/graph/json-batching: at most 20 per batch; shared/graph/batch.ts keeps one batch per mailbox
// in flight, i.e. Outlook's 4 concurrent requests). With delegated permissions a batch carries one user's
// token, so batches are per connection. 404 means Graph dropped the subscription: it is recreated, and the
// calendar marked stale (busy reads go live) until its full resync.
import { isSyncPaused } from '../admin/pause.js';
import type { Client } from '@microsoft/microsoft-graph-client';
import { ConnectionNotActiveError, NeedsReauthError } from '../auth/connection-tokens.js';
import { itemError, runBatch } from '../graph/batch.js';
import { renewSubscriptionItem, subscriptionExpiry, type GraphSubscription } from '../graph/subscriptions.js';
import { describeError } from '../logging.js';
import { loadCalendarOwner, type CalendarOwner } from './calendar-owner.js';
import type { DueSubscription, ExpiringRef, RenewedSubscription, SubscriptionEntity } from '../store/repositories/subscriptions.js';
import { markCalendarStale } from './busy-cache.js';
import { requestFullSync, unsubscribe } from './calendar-subscriptions.js';
import { recreate } from './lifecycle.js';
import type { SyncDeps } from './sync-deps.js';
import { recordRenewalFailures } from '../telemetry/metrics.js';

/** Renew what expires within 3 days: with 7-day subscriptions and an hourly timer, ample slack. */
export const RENEW_WITHIN_MS = 3 * 24 * 3600_000;
const CONNECTION_CONCURRENCY = 16;

export interface RenewalReport {
  due: number;
  renewed: number;
  recreated: number;
  dropped: number;
  failed: number;
  connections: number;
  /** True when the integration was paused and nothing was done. */
  paused?: boolean;
}

export async function renewExpiringSubscriptions(deps: SyncDeps, options: { now?: Date; withinMs?: number } = {}): Promise<RenewalReport> {
  const now = options.now ?? new Date();
  const { store } = deps.services;
  if (await isSyncPaused(deps.services)) return { due: 0, renewed: 0, recreated: 0, dropped: 0, failed: 0, connections: 0, paused: true };
  const until = new Date(now.getTime() + (options.withinMs ?? RENEW_WITHIN_MS));
  const byConnection = new Map<string, DueSubscription[]>();
  let continuationToken: string | undefined;
  do {
    const page = await store.subscriptions.listExpiringPage(until, { continuationToken });
    for (const due of await withOwners(deps, page.refs)) {
      const key = `${due.clientId}\n${due.connectionId}`;
      byConnection.set(key, [...(byConnection.get(key) ?? []), due]);
    }
    continuationToken = page.continuationToken;
  } while (continuationToken);
  const report: RenewalReport = { due: 0, renewed: 0, recreated: 0, dropped: 0, failed: 0, connections: byConnection.size };
  for (const subs of byConnection.values()) report.due += subs.length;
  const queue = [...byConnection.values()];
  const renewed: RenewedSubscription[] = [];
  const workers = Array.from({ length: Math.min(CONNECTION_CONCURRENCY, queue.length) }, async () => {
    for (let subs = queue.shift(); subs; subs = queue.shift()) {
      try {
        await renewConnection(deps, subs, report, renewed);
      } catch (error) {
        report.failed += subs.length;
        console.warn(`renewal: connection ${subs[0]!.connectionId} failed: ${describeError(error)}`);
      }
    }
  });
  await Promise.all(workers);
  await recordRenewed(deps, renewed, report);
  recordRenewalFailures(report.failed);
  return report;
}

/**
 * Due subscriptions with their owners, from a page of the expiry index. An index row written before rows
 * carried their owner costs one read of its record (and goes when the record is gone).
 */
export async function withOwners(deps: SyncDeps, refs: readonly ExpiringRef[]): Promise<DueSubscription[]> {
  const { subscriptions } = deps.services.store;
  const due: DueSubscription[] = [];
  for (const ref of refs) {
    let { clientId, connectionId } = ref;
    if (!clientId || !connectionId) {
      const record = (await subscriptions.getSubscription(ref.subscriptionId))?.entity;
      if (!record) {
        await subscriptions.dropIndexRow(ref.bucket, ref.subscriptionId);
        continue;
      }
      ({ clientId, connectionId } = record);
    }
    due.push({ subscriptionId: ref.subscriptionId, bucket: ref.bucket, clientId, connectionId });
  }
  return due;
}

/**
 * Renews one connection's due subscriptions as their expiry index rows name them: one $batch. What Graph
 * renewed joins `renewed`, for recordRenewed() to record with the rest of the run's; only a failure reads
 * the record, to act on what it holds now.
 */
export async function renewConnection(deps: SyncDeps, subs: DueSubscription[], report: RenewalReport, renewed: RenewedSubscription[]): Promise<void> {
  const { store } = deps.services;
  const { clientId, connectionId } = subs[0]!;
  const connection = await loadCalendarOwner(deps.services, clientId, connectionId);
  if (!connection || connection.status !== 'active') return dropAll(deps, subs, report);
  const graph = deps.graphFor(connection);
  const expiry = subscriptionExpiry();
  const items = subs.map((s, i) => renewSubscriptionItem(`r${i}`, s.subscriptionId, expiry, connection.objectId));
  let results;
  try {
    results = await runBatch(graph, items);
  } catch (error) {
    if (error instanceof NeedsReauthError || error instanceof ConnectionNotActiveError) return dropAll(deps, subs, report);
    throw error;
  }
  // What Graph renewed waits for recordRenewed(); a failure (rare) is handled here, one at a time.
  for (const [i, sub] of subs.entries()) {
    const result = results.get(`r${i}`)!;
    try {
      if (result.status === 200) {
        const body = result.body as Partial<GraphSubscription> | undefined;
        renewed.push({ due: sub, expiresAt: new Date(Date.parse(body?.expirationDateTime ?? '') || expiry.getTime()) });
      } else if (result.status === 404) {
        const record = await ownedRecord(deps, sub);
        if (record) {
          await replaceLost(deps, graph, connection, record);
          report.recreated += 1;
        } else {
          report.dropped += 1;
        }
      } else {
        report.failed += 1;
        const { code } = itemError(result);
        console.warn(`renewal: subscription ${sub.subscriptionId} not renewed: ${result.status} ${code}`);
        const record = await ownedRecord(deps, sub);
        if (record && record.expiresAt.getTime() <= Date.now()) await markCalendarStale(store, connection, record.calendarId ?? '');
      }
    } catch (error) {
      report.failed += 1;
      console.warn(`renewal: subscription ${sub.subscriptionId}: ${describeError(error)}`);
    }
  }
}

/**
 * Records the new expiries of a run's renewals (their index rows in a transaction per hour of expiry, each
 * record's expiry without a read), counting them into the report; one unsubscribed meanwhile counts dropped.
 */
export async function recordRenewed(deps: SyncDeps, renewed: readonly RenewedSubscription[], report: RenewalReport): Promise<void> {
  try {
    const { recorded, gone, failed } = await deps.services.store.subscriptions.recordRenewals(renewed);
    report.renewed += recorded;
    report.dropped += gone;
    report.failed += failed;
  } catch (error) {
    report.failed += renewed.length;
    console.warn(`renewal: ${renewed.length} renewals not recorded: ${describeError(error)}`);
  }
}

/**
 * The record of a due subscription as it is now, when it still belongs to the owner the index named; a
 * record that is gone takes its index row with it.
 */
async function ownedRecord(deps: SyncDeps, due: DueSubscription): Promise<SubscriptionEntity | undefined> {
  const { subscriptions } = deps.services.store;
  const record = (await subscriptions.getSubscription(due.subscriptionId))?.entity;
  if (!record) {
    await subscriptions.dropIndexRow(due.bucket, due.subscriptionId);
    return undefined;
  }
  if (record.clientId === due.clientId && record.connectionId === due.connectionId) return record;
  // The record passed to another owner and the index row still names the previous one (written before
  // index rows followed the owner): put the owner right, so the next scan renews it as the new owner.
  await subscriptions.indexExpiry(record);
  return undefined;
}

/** Graph no longer has it: the cache may have missed changes, so stale first, then recreate and resync. */
export async function replaceLost(deps: SyncDeps, _graph: Client, connection: CalendarOwner, sub: SubscriptionEntity): Promise<SubscriptionEntity> {
  await markCalendarStale(deps.services.store, connection, sub.calendarId ?? '');
  const fresh = await recreate(deps, connection, sub);
  await requestFullSync(deps.services, connection, fresh.calendarId ?? '', fresh.subscriptionId);
  return fresh;
}

/** The connection is gone or must re-authenticate: its subscriptions cannot be kept; its cache is not trusted. */
async function dropAll(deps: SyncDeps, subs: DueSubscription[], report: RenewalReport): Promise<void> {
  for (const due of subs) {
    const sub = await ownedRecord(deps, due);
    if (!sub) continue;
    report.dropped += 1;
    await markCalendarStale(deps.services.store, { partitionKey: sub.clientId, rowKey: sub.connectionId }, sub.calendarId ?? '');
    await unsubscribe(deps.services, undefined, sub);
  }
}
