// Timer: hourly, start the resync sweep on the connection-upkeep queue (shared/upkeep/upkeep.ts): page by
// page, every busy calendar whose cache is missing, stale or behind the sliding window gets a full resync
// queued (shared/sync/resync-calendars.ts).
import type { InvocationContext, Timer } from '@azure/functions';
import type { TimerFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { defaultSyncDeps } from '../shared/sync/sync-deps.js';
import { startResyncScan } from '../shared/upkeep/upkeep.js';

export async function resyncCalendarsTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  await startResyncScan(defaultSyncDeps(getServices()));
  context.info('calendar resync sweep: scan queued');
}

export const resyncCalendarsFunction: TimerFunctionDefinition = {
  kind: 'timer',
  name: 'resyncCalendars',
  schedule: '0 25 * * * *',
  handler: resyncCalendarsTimer,
};
