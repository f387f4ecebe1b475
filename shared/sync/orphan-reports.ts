// Orphaned subscriptions: Graph still notifies for a subscription whose record we no longer hold (deleted
// here, but Graph's copy lives until it expires). The notification endpoints answer 202 and write the id
// down; reconciliation deletes the ones it can reach and forgets the rest once Graph's copy must have
// expired (an event subscription lives at most MAX_SUBSCRIPTION_MINUTES).
// The endpoints are anonymous, so writes are bounded per process: an id once a day, and a few a minute.
import type { InvocationContext } from '@azure/functions';
import { odata } from '@azure/data-tables';
import { getAppGraphClient } from '../auth/app-tokens.js';
import { deleteSubscription, MAX_SUBSCRIPTION_MINUTES } from '../graph/subscriptions.js';
import { describeError } from '../logging.js';
import type { Services } from '../services.js';
import type { Store } from '../store/index.js';
import { ORPHAN_PARTITION } from '../store/repositories/subscriptions.js';
import type { IntakeResult } from './notification-intake.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REPORT_AGAIN_AFTER_MS = 24 * 3600 * 1000;
const MAX_REPORTS_PER_MINUTE = 10;
const MAX_REMEMBERED = 10_000;

const reported = new Map<string, number>();
let windowStart = 0;
let inWindow = 0;

/** Writes down unknown subscription ids of a POST (within the per-process budget); never throws. */
export async function recordOrphans(store: Store, dropped: IntakeResult['dropped'], context: InvocationContext, now = Date.now()): Promise<void> {
  if (now - windowStart >= 60_000) [windowStart, inWindow] = [now, 0];
  for (const d of dropped) {
    if (d.reason !== 'unknown_subscription' || !d.subscriptionId || !GUID.test(d.subscriptionId)) continue;
    const last = reported.get(d.subscriptionId);
    if ((last !== undefined && now - last < REPORT_AGAIN_AFTER_MS) || inWindow >= MAX_REPORTS_PER_MINUTE) continue;
    inWindow += 1;
    if (reported.size >= MAX_REMEMBERED) reported.delete(reported.keys().next().value!);
    reported.set(d.subscriptionId, now);
    const tenantId = d.tenantId && GUID.test(d.tenantId) ? d.tenantId : undefined;
    try {
      await store.subscriptions.orphans.upsert({ partitionKey: ORPHAN_PARTITION, rowKey: d.subscriptionId.toLowerCase(), tenantId, firstSeenAt: new Date(now) });
    } catch (error) {
      context.warn(`orphan report not written: ${describeError(error)}`);
    }
  }
}

/**
 * Reconciliation's part: reports of ids it deleted through a connection go; for a tenant that granted
 * tenant-wide consent the app deletes the subscription itself (a 404 is fine: the report was forged or
 * Graph's copy is gone); reports older than any subscription can live go.
 */
export async function resolveOrphanReports(services: Services, deletedIds: ReadonlySet<string>, now = Date.now()): Promise<number> {
  const { store } = services;
  let deleted = 0;
  for await (const { entity } of store.subscriptions.orphans.queryAll(odata`PartitionKey eq ${ORPHAN_PARTITION}`)) {
    const id = entity.rowKey;
    let done = deletedIds.has(id) || now - entity.firstSeenAt.getTime() > MAX_SUBSCRIPTION_MINUTES * 60_000;
    if (!done && entity.tenantId && (await tenantConsented(services, entity.tenantId))) {
      try {
        // No /me path here: the mailbox of the app-only client does not matter.
        await deleteSubscription(getAppGraphClient(services, entity.tenantId, entity.tenantId), id);
        deleted += 1;
        done = true;
      } catch (error) {
        console.warn(`reconcile: orphan ${id}: ${describeError(error)}`);
      }
    }
    if (done) await store.subscriptions.orphans.delete(ORPHAN_PARTITION, id).catch(() => undefined);
  }
  return deleted;
}

async function tenantConsented(services: Services, tenantId: string): Promise<boolean> {
  const page = await services.store.tenants.consents.query(odata`RowKey eq ${tenantId} and status eq 'consented'`, { pageSize: 1 });
  return page.items.length > 0;
}
