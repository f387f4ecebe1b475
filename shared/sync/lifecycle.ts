// Lifecycle notifications (https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events), acted on from the queue after the endpoint answered 202:
// - reauthorizationRequired: one PATCH with a new expiry, which reauthorizes and renews together (the 2026
//   doc: never a reauthorize and a PATCH within 10 minutes of each other, so a challenge within 10 minutes
//   of a renewal waits); 404 means it is gone: recreate. Delivery stays paused until it is done.
// - subscriptionRemoved: recreate the subscription, then a full resync (changes in between were lost).
// - missed: mark the cache stale (reads go live) and run a full resync.
import { categorizeGraphError } from '../graph/client.js';
import { renewSubscription, subscriptionExpiry } from '../graph/subscriptions.js';
import { loadCalendarOwner, type CalendarOwner } from './calendar-owner.js';
import type { SubscriptionEntity } from '../store/repositories/subscriptions.js';
import { markCalendarStale } from './busy-cache.js';
import { forgetGoneSubscription, requestFullSync, subscribeCalendar } from './calendar-subscriptions.js';
import { syncCalendar, type SyncOutcome } from './calendar-sync.js';
import type { SyncDeps } from './sync-deps.js';
import type { LifecycleMessage } from './sync-messages.js';

/** A renewal this recent already reauthorized the subscription (the lifecycle page's 10-minute rule). */
const RECENT_RENEWAL_MS = 10 * 60_000;

export type LifecycleOutcome = { kind: 'renewed' | 'recreated' | 'ignored'; reason?: string } | SyncOutcome;

export async function handleLifecycle(deps: SyncDeps, message: LifecycleMessage): Promise<LifecycleOutcome> {
  const { store } = deps.services;
  const record = (await store.subscriptions.getSubscription(message.subscriptionId))?.entity;
  if (!record) return { kind: 'ignored', reason: 'unknown_subscription' };
  const connection = await loadCalendarOwner(deps.services, record.clientId, record.connectionId);
  if (!connection || connection.status !== 'active') return { kind: 'ignored', reason: 'connection_not_active' };
  const calendarId = record.calendarId ?? message.calendarId;

  switch (message.lifecycleEvent) {
    case 'reauthorizationRequired':
      return reauthorize(deps, connection, record);
    case 'subscriptionRemoved': {
      await markCalendarStale(store, connection, calendarId);
      await recreate(deps, connection, record);
      return syncCalendar(deps, { ...ids(connection, calendarId), receivedAt: new Date(message.receivedAt), full: true });
    }
    case 'missed':
      await markCalendarStale(store, connection, calendarId);
      return syncCalendar(deps, { ...ids(connection, calendarId), receivedAt: new Date(message.receivedAt), full: true });
  }
}

const ids = (connection: CalendarOwner, calendarId: string) => ({ clientId: connection.partitionKey, connectionId: connection.rowKey, calendarId });

async function reauthorize(deps: SyncDeps, connection: CalendarOwner, record: SubscriptionEntity): Promise<LifecycleOutcome> {
  const now = Date.now();
  // Graph holds the subscription's notifications until it is reauthorized, so a challenge is never dropped:
  // one that follows a renewal within 10 minutes waits for the 10 minutes to pass, then renews again.
  if (record.updatedAt && now - record.updatedAt.getTime() < RECENT_RENEWAL_MS)
    return { kind: 'busy', retryInMs: RECENT_RENEWAL_MS - (now - record.updatedAt.getTime()) };
  const expiry = subscriptionExpiry();
  try {
    const renewed = await renewSubscription(deps.graphFor(connection), record.subscriptionId, expiry);
    const expiresAt = new Date(Date.parse(renewed.expirationDateTime) || expiry.getTime());
    await deps.services.store.subscriptions.mutateSubscription(record.subscriptionId, (current) => ({ ...current, expiresAt, updatedAt: new Date() }));
    return { kind: 'renewed' };
  } catch (error) {
    if (categorizeGraphError(error) !== 'not_found') throw error;
    await markCalendarStale(deps.services.store, connection, record.calendarId ?? '');
    await recreate(deps, connection, record);
    await syncCalendar(deps, { ...ids(connection, record.calendarId ?? ''), receivedAt: new Date(), full: true });
    return { kind: 'recreated' };
  }
}

/**
 * Drops the old record and its share rows (Graph no longer has the subscription) and subscribes the
 * calendar again; every other owner it served subscribes again too (sharing the new one) and resyncs.
 */
export async function recreate(deps: SyncDeps, connection: CalendarOwner, record: SubscriptionEntity): Promise<SubscriptionEntity> {
  const owners = await forgetGoneSubscription(deps.services, record.subscriptionId);
  const fresh = await subscribeCalendar(deps.services, deps.graphFor(connection), connection, record.calendarId ?? '');
  for (const other of owners) {
    if (!other.calendarId || (other.connectionId === connection.rowKey && other.clientId === connection.partitionKey && other.calendarId === record.calendarId)) continue;
    const owner = await loadCalendarOwner(deps.services, other.clientId, other.connectionId);
    if (!owner || owner.status !== 'active') continue;
    await markCalendarStale(deps.services.store, owner, other.calendarId);
    const again = await subscribeCalendar(deps.services, deps.graphFor(owner), owner, other.calendarId);
    await requestFullSync(deps.services, owner, other.calendarId, again.subscriptionId);
  }
  return fresh;
}
