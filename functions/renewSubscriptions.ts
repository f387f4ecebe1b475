// Timers of push sync: hourly renewal of subscriptions that expire within 3 days (the timer starts a paged
// scan on the connection-upkeep queue, shared/upkeep/upkeep.ts), and a daily reconciliation with Graph's
// own list (a paged scan on the same queue).
import type { InvocationContext, Timer } from '@azure/functions';
import type { TimerFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { defaultSyncDeps } from '../shared/sync/sync-deps.js';
import { startReconcileScan, startRenewalScan } from '../shared/upkeep/upkeep.js';

export async function renewSubscriptions(_timer: Timer, context: InvocationContext): Promise<void> {
  await startRenewalScan(defaultSyncDeps(getServices()));
  context.info('subscription renewal: scan queued');
}

export async function reconcileSubscriptionsTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  await startReconcileScan(defaultSyncDeps(getServices()));
  context.info('subscription reconciliation: scan queued');
}

export const renewSubscriptionsFunction: TimerFunctionDefinition = {
  kind: 'timer',
  name: 'renewSubscriptions',
  schedule: '0 10 * * * *',
  handler: renewSubscriptions,
};

export const reconcileSubscriptionsFunction: TimerFunctionDefinition = {
  kind: 'timer',
  name: 'reconcileSubscriptions',
  schedule: '0 40 3 * * *',
  handler: reconcileSubscriptionsTimer,
};
