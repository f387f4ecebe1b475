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
import type { Versioned } from '../store/repository.js';
import type { SubscriptionEntity } from '../store/repositories/subscriptions.js';
import { markCalendarStale } from './busy-cache.js';
import { requestFullSync, unsubscribe } from './calendar-subscriptions.js';
import { recreate } from './lifecycle.js';
import type { SyncDeps } from './sync-deps.js';
import { recordRenewalFailures } from '../telemetry/metrics.js';

/** Renew what expires within 3 days: with 7-day subscriptions and an hourly timer, ample slack. */
export const RENEW_WITHIN_MS = 3 * 24 * 3600_000;
const CONNECTION_CONCURRENCY = 16;
const RECORD_WRITE_CONCURRENCY = 4;

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
  const byConnection = new Map<string, Versioned<SubscriptionEntity>[]>();
  for await (const record of store.subscriptions.listExpiring(new Date(now.getTime() + (options.withinMs ?? RENEW_WITHIN_MS)))) {
    const key = `${record.entity.clientId}\n${record.entity.connectionId}`;
    byConnection.set(key, [...(byConnection.get(key) ?? []), record]);
  }
  const report: RenewalReport = { due: 0, renewed: 0, recreated: 0, dropped: 0, failed: 0, connections: byConnection.size };
  for (const subs of byConnection.values()) report.due += subs.length;
  const queue = [...byConnection.values()];
  const workers = Array.from({ length: Math.min(CONNECTION_CONCURRENCY, queue.length) }, async () => {
    for (let subs = queue.shift(); subs; subs = queue.shift()) {
      try {
        await renewConnection(deps, subs, report);
      } catch (error) {
        report.failed += subs.length;
        console.warn(`renewal: connection ${subs[0]!.entity.connectionId} failed: ${describeError(error)}`);
      }
    }
  });
  await Promise.all(workers);
  recordRenewalFailures(report.failed);
  return report;
}

/**
 * Renews one connection's due subscriptions: one $batch, then per subscription the record updated with the
 * ETag it was read with (no second read) and its expiry-index row moved.
 */
export async function renewConnection(deps: SyncDeps, records: Versioned<SubscriptionEntity>[], report: RenewalReport): Promise<void> {
  const { store } = deps.services;
  const subs = records.map((r) => r.entity);
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
  // Table writes a few at a time per connection (16 connections run at once): Azurite and the Table
  // service both prefer a steady stream to a spike.
  const pending = subs.map((sub, i) => ({ sub, i }));
  const writers = Array.from({ length: Math.min(RECORD_WRITE_CONCURRENCY, pending.length) }, async () => {
    for (let next = pending.shift(); next; next = pending.shift()) {
      const { sub, i } = next;
      const result = results.get(`r${i}`)!;
      try {
        if (result.status === 200) {
          const body = result.body as Partial<GraphSubscription> | undefined;
          const expiresAt = new Date(Date.parse(body?.expirationDateTime ?? '') || expiry.getTime());
          await store.subscriptions.mutateSubscription(sub.subscriptionId, (current) => ({ ...current, expiresAt, updatedAt: new Date() }), { known: records[i] });
          report.renewed += 1;
        } else if (result.status === 404) {
          await replaceLost(deps, graph, connection, sub);
          report.recreated += 1;
        } else {
          report.failed += 1;
          const { code } = itemError(result);
          console.warn(`renewal: subscription ${sub.subscriptionId} not renewed: ${result.status} ${code}`);
          if (sub.expiresAt.getTime() <= Date.now()) await markCalendarStale(store, connection, sub.calendarId ?? '');
        }
      } catch (error) {
        report.failed += 1;
        console.warn(`renewal: subscription ${sub.subscriptionId}: ${describeError(error)}`);
      }
    }
  });
  await Promise.all(writers);
}

/** Graph no longer has it: the cache may have missed changes, so stale first, then recreate and resync. */
export async function replaceLost(deps: SyncDeps, _graph: Client, connection: CalendarOwner, sub: SubscriptionEntity): Promise<SubscriptionEntity> {
  await markCalendarStale(deps.services.store, connection, sub.calendarId ?? '');
  const fresh = await recreate(deps, connection, sub);
  await requestFullSync(deps.services, connection, fresh.calendarId ?? '', fresh.subscriptionId);
  return fresh;
}

/** The connection is gone or must re-authenticate: its subscriptions cannot be kept; its cache is not trusted. */
async function dropAll(deps: SyncDeps, subs: SubscriptionEntity[], report: RenewalReport): Promise<void> {
  for (const sub of subs) {
    await markCalendarStale(deps.services.store, { partitionKey: sub.clientId, rowKey: sub.connectionId }, sub.calendarId ?? '');
    await unsubscribe(deps.services, undefined, sub);
    report.dropped += 1;
  }
}
