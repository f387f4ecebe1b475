// The calendar-sync queue's dispatcher: each message kind to its handler. A message that must wait for
// another worker's round is sent again with a short delay (then completes), so nothing is lost if this
// worker dies; a failure throws, and the queue retries it (then poisons it after maxDequeueCount).
import { isClientDisabled, isSyncPaused } from '../admin/pause.js';
import { ConnectionNotActiveError, NeedsReauthError } from '../auth/connection-tokens.js';
import { enqueue } from '../queues/queue-client.js';
import { settleLimited } from '../runtime/settle-limited.js';
import { ensureCalendarSubscriptions } from './calendar-subscriptions.js';
import { loadCalendarOwner } from './calendar-owner.js';
import { syncCalendar, type SyncOutcome } from './calendar-sync.js';
import { handleLifecycle, type LifecycleOutcome } from './lifecycle.js';
import type { SyncDeps } from './sync-deps.js';
import { CALENDAR_SYNC_QUEUE, parseSyncMessage, type CalendarSyncMessage } from './sync-messages.js';
import { recordNotificationFailed, recordNotificationToSyncLag } from '../telemetry/metrics.js';
import { withTelemetryIds } from '../telemetry/tracing.js';

export type ProcessOutcome = SyncOutcome | LifecycleOutcome | { kind: 'subscriptions'; created: number; removed: number } | { kind: 'invalid' };

/** While the integration is paused, sync work waits on the queue (never dropped) and is looked at again after this. */
export const PAUSED_RETRY_SECONDS = 60;

/** Calendars of one group message synced at once (a mailbox takes 4 concurrent requests). */
const GROUP_CONCURRENCY = 4;

/** The outcome of each message of a group that ran to the end, beside the message itself. */
export type GroupOutcome = { kind: 'group'; outcomes: { item: unknown; outcome: ProcessOutcome }[]; requeued: number };

/**
 * A queue message: one sync message, or an array of them (a group commit of the notification endpoints).
 * In an array each runs on its own; one that fails is sent again as a message of its own (which then
 * retries and poisons as usual), so the others are not run twice.
 */
export async function processSyncQueueItem(deps: SyncDeps, item: unknown): Promise<ProcessOutcome | GroupOutcome> {
  if (!Array.isArray(item)) return processSyncMessage(deps, item);
  const settled = await settleLimited(item as unknown[], GROUP_CONCURRENCY, (one) => processSyncMessage(deps, one));
  const failed = item.filter((_, i) => settled[i]!.status === 'rejected');
  if (failed.length === item.length && failed.length > 0) throw (settled[0] as PromiseRejectedResult).reason;
  for (const one of failed) await enqueue(deps.services.config.storage, CALENDAR_SYNC_QUEUE, one);
  const outcomes = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [{ item: item[i] as unknown, outcome: s.value }] : []));
  return { kind: 'group', outcomes, requeued: failed.length };
}

export async function processSyncMessage(deps: SyncDeps, item: unknown): Promise<ProcessOutcome> {
  const message = parseSyncMessage(item);
  if (!message) return { kind: 'invalid' };
  if (await isSyncPaused(deps.services)) {
    await enqueue(deps.services.config.storage, CALENDAR_SYNC_QUEUE, message, PAUSED_RETRY_SECONDS);
    return { kind: 'skipped', reason: 'paused' };
  }
  // A disabled booking system gets nothing synced; its connections resync when it is enabled again.
  if (await isClientDisabled(deps.services, message.clientId)) return { kind: 'skipped', reason: 'client_disabled' };
  let outcome: ProcessOutcome;
  try {
    outcome = await withTelemetryIds({ connectionId: message.connectionId }, () => dispatch(deps, message));
  } catch (error) {
    // The user must connect again, or disconnected meanwhile: retrying cannot help, and it is no failure.
    // The Graph client wraps a token failure in its own error, so the connection itself is asked.
    const status = error instanceof NeedsReauthError || error instanceof ConnectionNotActiveError ? error.connection.status : await connectionStatus(deps, message);
    if (status !== 'active') return { kind: 'skipped', reason: status === 'needs_reauth' ? 'connection_needs_reauth' : 'connection_not_active' };
    if (message.kind === 'changes' || message.kind === 'lifecycle') recordNotificationFailed();
    throw error;
  }
  // A change notification's round is done: how long from Graph's POST to a cache that shows the change.
  if (message.kind === 'changes' && (outcome.kind === 'synced' || outcome.kind === 'covered')) {
    recordNotificationToSyncLag(Date.now() - Date.parse(message.receivedAt));
  }
  if (outcome.kind === 'busy') await enqueue(deps.services.config.storage, CALENDAR_SYNC_QUEUE, message, Math.max(1, outcome.retryInMs / 1000));
  return outcome;
}

async function connectionStatus(deps: SyncDeps, message: CalendarSyncMessage): Promise<string> {
  const connection = await loadCalendarOwner(deps.services, message.clientId, message.connectionId);
  return connection?.status ?? 'gone';
}

async function dispatch(deps: SyncDeps, message: CalendarSyncMessage): Promise<ProcessOutcome> {
  switch (message.kind) {
    case 'changes':
    case 'resync':
    case 'recheck':
    case 'poll':
      return syncCalendar(deps, {
        clientId: message.clientId,
        connectionId: message.connectionId,
        calendarId: message.calendarId,
        receivedAt: new Date(message.receivedAt),
        full: message.kind === 'recheck' ? message.full : message.kind === 'resync',
      });
    case 'lifecycle':
      return handleLifecycle(deps, message);
    case 'subscriptions': {
      const connection = await loadCalendarOwner(deps.services, message.clientId, message.connectionId);
      if (!connection) return { kind: 'skipped', reason: 'unknown_connection' };
      const changes = await ensureCalendarSubscriptions(deps.services, deps.graphFor(connection), connection);
      return { kind: 'subscriptions', created: changes.created.length, removed: changes.removed.length };
    }
  }
}
