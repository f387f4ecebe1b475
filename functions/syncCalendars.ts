// Queue trigger on calendar-sync: delta rounds, lifecycle actions and subscription upkeep for one calendar
// or connection per message, or for each of a group-committed array (shared/sync/process-sync-message.ts).
import type { InvocationContext } from '@azure/functions';
import type { QueueFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { processSyncQueueItem, type ProcessOutcome } from '../shared/sync/process-sync-message.js';
import { defaultSyncDeps } from '../shared/sync/sync-deps.js';
import { CALENDAR_SYNC_QUEUE } from '../shared/sync/sync-messages.js';

export async function syncCalendars(item: unknown, context: InvocationContext): Promise<void> {
  const outcome = await processSyncQueueItem(defaultSyncDeps(getServices()), item);
  if (outcome.kind !== 'group') return report(outcome, item, context);
  for (const one of outcome.outcomes) report(one.outcome, one.item, context);
  if (outcome.requeued > 0) context.warn(`calendar-sync: ${outcome.requeued} message(s) of a group failed and were queued again on their own`);
}

function report(outcome: ProcessOutcome, item: unknown, context: InvocationContext): void {
  if (outcome.kind === 'invalid') context.warn('calendar-sync: malformed message dropped');
  // Expected, not a failure: the message completes, and the connection's state says what the user must do.
  else if (outcome.kind === 'skipped' && outcome.reason.startsWith('connection_'))
    context.info(`calendar-sync: message for connection ${String((item as { connectionId?: unknown }).connectionId)} completed: ${outcome.reason}`);
  else context.debug(`calendar-sync: ${JSON.stringify(outcome)}`);
}

export const syncCalendarsFunction: QueueFunctionDefinition = {
  kind: 'queue',
  name: 'syncCalendars',
  queueName: CALENDAR_SYNC_QUEUE,
  handler: syncCalendars,
};
