// Timer: start the token keep-alive scan (shared/upkeep/upkeep.ts): the connection-upkeep queue pages
// through the active connections and refreshes those whose last refresh is over a week old.
// Hourly, at minute 23 (off the hour, away from other timers).
import type { InvocationContext } from '@azure/functions';
import type { TimerFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { defaultSyncDeps } from '../shared/sync/sync-deps.js';
import { startKeepAliveScan } from '../shared/upkeep/upkeep.js';

export async function tokenKeepAlive(_timer: unknown, context: InvocationContext): Promise<void> {
  await startKeepAliveScan(defaultSyncDeps(getServices()));
  context.log('token keep-alive: scan queued');
}

export const tokenKeepAliveFunction: TimerFunctionDefinition = {
  kind: 'timer',
  name: 'tokenKeepAlive',
  schedule: '0 23 * * * *',
  handler: tokenKeepAlive,
};
