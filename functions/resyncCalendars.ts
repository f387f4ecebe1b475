// Timer: hourly, queue a full resync for every busy calendar whose cache is missing, stale or behind the
// sliding window (shared/sync/resync-calendars.ts).
import type { InvocationContext, Timer } from '@azure/functions';
import type { TimerFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { resyncCalendars } from '../shared/sync/resync-calendars.js';
import { defaultSyncDeps } from '../shared/sync/sync-deps.js';

export async function resyncCalendarsTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const report = await resyncCalendars(defaultSyncDeps(getServices()));
  context.info(`calendar resync sweep: ${JSON.stringify(report)}`);
}

export const resyncCalendarsFunction: TimerFunctionDefinition = {
  kind: 'timer',
  name: 'resyncCalendars',
  schedule: '0 25 * * * *',
  handler: resyncCalendarsTimer,
};
