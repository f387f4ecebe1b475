// Daily reconciliation of our subscription records with what Graph holds, per active
// connection with one GET /subscriptions (delegated: the app's subscriptions for that user):
// - Graph has one of ours (our notification URL) that no owner has a record of: deleted (an orphan).
// - We have a record Graph does not: the calendar is marked stale (busy reads go live), the subscription
//   recreated and the calendar fully resynced.
// - Busy calendars without a subscription get one; subscriptions of calendars no longer busy go.
// The daily timer runs it page by page on the upkeep queue (shared/upkeep/upkeep.ts: reconcileOwners per
// chunk of owners, then reconcileOrphanReports once the last page is read).
import { isSyncPaused } from '../admin/pause.js';
import { odata } from '@azure/data-tables';
import { ConnectionNotActiveError, NeedsReauthError } from '../auth/connection-tokens.js';
import { deleteSubscription, listSubscriptions } from '../graph/subscriptions.js';
import { describeError } from '../logging.js';
import { ORPHAN_PARTITION, type SubscriptionEntity } from '../store/repositories/subscriptions.js';
import { ensureCalendarSubscriptions, NOTIFICATIONS_ROUTE, unsubscribe } from './calendar-subscriptions.js';
import { replaceLost } from './renew-subscriptions.js';
import { resolveOrphanReports } from './orphan-reports.js';
import { activeCalendarOwners, ownsGraphSubscription, type CalendarOwner } from './calendar-owner.js';
import type { SyncDeps } from './sync-deps.js';

export interface ReconcileReport {
  connections: number;
  orphansDeleted: number;
  lostRecreated: number;
  created: number;
  removed: number;
  failed: number;
  /** True when the integration was paused and nothing was done. */
  paused?: boolean;
}

const emptyReport = (): ReconcileReport => ({ connections: 0, orphansDeleted: 0, lostRecreated: 0, created: 0, removed: 0, failed: 0 });

/** The whole reconciliation in one run (tests, tools); the daily timer spreads it over the upkeep queue instead. */
export async function reconcileSubscriptions(deps: SyncDeps): Promise<ReconcileReport> {
  const { store } = deps.services;
  if (await isSyncPaused(deps.services)) return { ...emptyReport(), paused: true };
  const records = new Map<string, SubscriptionEntity[]>();
  for await (const { entity } of store.subscriptions.records.queryAll(RECORDS_FILTER)) groupByOwner(records, entity);
  const report = emptyReport();
  const deletedOrphans = new Set<string>();
  for await (const connection of activeCalendarOwners(deps.services)) await reconcileOwner(deps, connection, records.get(ownerKey(connection)) ?? [], report, deletedOrphans);
  await resolveOrphans(deps, deletedOrphans, report);
  return report;
}

/**
 * One page's share of the reconciliation: each owner's records (its owner index, one partition query),
 * then the owner with Graph. An owner's failure is counted, never thrown; the reports of orphans it deleted
 * go. `unread`: the owners whose records could not be read, not reconciled (the caller may try them again).
 */
export async function reconcileOwners(deps: SyncDeps, owners: readonly CalendarOwner[]): Promise<{ report: ReconcileReport; unread: CalendarOwner[] }> {
  const { store } = deps.services;
  const report = emptyReport();
  const unread: CalendarOwner[] = [];
  const deletedOrphans = new Set<string>();
  for (const owner of owners) {
    let mine: SubscriptionEntity[];
    try {
      mine = await store.subscriptions.listOwnerRecords(owner.partitionKey, owner.rowKey);
    } catch (error) {
      unread.push(owner);
      console.warn(`reconcile: connection ${owner.rowKey}: records not read: ${describeError(error)}`);
      continue;
    }
    await reconcileOwner(deps, owner, mine, report, deletedOrphans);
  }
  for (const id of deletedOrphans) await store.subscriptions.orphans.delete(ORPHAN_PARTITION, id).catch(() => undefined);
  return { report, unread };
}

/** After the owners: the orphan reports no connection could reach. */
export async function reconcileOrphanReports(deps: SyncDeps): Promise<ReconcileReport> {
  const report = emptyReport();
  await resolveOrphans(deps, new Set(), report);
  return report;
}

// Records and share rows (both live in `sub-` partitions; expiry index rows and orphan reports do not).
const RECORDS_FILTER = odata`PartitionKey ge 'sub-' and PartitionKey lt 'sub.'`;
const keyOf = (clientId: string, ownerId: string) => `${clientId}\n${ownerId}`;
const ownerKey = (owner: CalendarOwner) => keyOf(owner.partitionKey, owner.rowKey);

function groupByOwner(records: Map<string, SubscriptionEntity[]>, entity: SubscriptionEntity): void {
  const key = keyOf(entity.clientId, entity.connectionId);
  records.set(key, [...(records.get(key) ?? []), entity]);
}

async function resolveOrphans(deps: SyncDeps, deletedOrphans: ReadonlySet<string>, report: ReconcileReport): Promise<void> {
  // Ids the notification endpoints reported as unknown: the ones just deleted, or reachable app-only.
  try {
    report.orphansDeleted += await resolveOrphanReports(deps.services, deletedOrphans);
  } catch (error) {
    console.warn(`reconcile: orphan reports: ${describeError(error)}`);
  }
}

async function reconcileOwner(deps: SyncDeps, connection: CalendarOwner, mine: SubscriptionEntity[], report: ReconcileReport, deletedOrphans: Set<string>): Promise<void> {
  const { store } = deps.services;
  const ourUrl = `${deps.services.config.publicBaseUrl}${NOTIFICATIONS_ROUTE}`;
  report.connections += 1;
  try {
    const graph = deps.graphFor(connection);
    const inGraph = (await listSubscriptions(graph)).filter((s) => ownsGraphSubscription(connection, s.resource));
    const graphIds = new Set(inGraph.map((s) => s.id));
    const recordIds = new Set(mine.map((s) => s.subscriptionId));
    for (const sub of inGraph) {
      if (recordIds.has(sub.id) || sub.notificationUrl !== ourUrl) continue;
      // Another owner's subscription for the same mailbox (a second booking system, a reconnect) is not an
      // orphan: deleting it would displace that owner. This owner's record that its owner index lacks
      // (written before owners were indexed) is indexed now and reconciled with the rest.
      const recorded = (await store.subscriptions.getSubscription(sub.id))?.entity;
      if (recorded && recorded.clientId === connection.partitionKey && recorded.connectionId === connection.rowKey) {
        await store.subscriptions.indexOwner(recorded);
        mine.push(recorded);
        recordIds.add(recorded.subscriptionId);
        continue;
      }
      if (recorded) continue;
      await deleteSubscription(graph, sub.id);
      deletedOrphans.add(sub.id.toLowerCase());
      report.orphansDeleted += 1;
    }
    const kept: SubscriptionEntity[] = [];
    for (const record of mine) {
      if (graphIds.has(record.subscriptionId)) kept.push(record);
      else if (record.calendarId && (connection.busyCalendarIds ?? []).includes(record.calendarId)) {
        kept.push(await replaceLost(deps, graph, connection, record));
        report.lostRecreated += 1;
      } else {
        await unsubscribe(deps.services, undefined, record);
        report.removed += 1;
      }
    }
    const changes = await ensureCalendarSubscriptions(deps.services, graph, connection, kept);
    report.created += changes.created.length;
    report.removed += changes.removed.length;
  } catch (error) {
    report.failed += 1;
    if (!(error instanceof NeedsReauthError || error instanceof ConnectionNotActiveError))
      console.warn(`reconcile: connection ${connection.rowKey}: ${describeError(error)}`);
  }
}
