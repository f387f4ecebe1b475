// Timer: every few minutes, start the shared-calendar poll on the connection-upkeep queue
// (shared/upkeep/shared-calendar-poll.ts): page by page, every shared busy calendar gets a delta round,
// because Graph sends a delegated app no change notifications for other people's calendars.
import type { InvocationContext, Timer } from '@azure/functions';
import type { TimerFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { defaultSyncDeps } from '../shared/sync/sync-deps.js';
import { startSharedCalendarPollScan } from '../shared/upkeep/upkeep.js';
import { SHARED_POLL_SCHEDULE } from '../shared/upkeep/shared-calendar-poll.js';

export async function pollSharedCalendarsTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  await startSharedCalendarPollScan(defaultSyncDeps(getServices()));
  context.info('shared calendar poll: scan queued');
}

export const pollSharedCalendarsFunction: TimerFunctionDefinition = {
  kind: 'timer',
  name: 'pollSharedCalendars',
  schedule: SHARED_POLL_SCHEDULE,
  handler: pollSharedCalendarsTimer,
};
