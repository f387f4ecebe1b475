// Timers of push sync: hourly renewal of subscriptions that expire within 3 days, a daily reconciliation
// with Graph's own list, and an hourly sweep that resyncs stale or outdated calendar caches.
import type { InvocationContext, Timer } from '@azure/functions';
import type { TimerFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { reconcileSubscriptions } from '../shared/sync/reconcile-subscriptions.js';
import { renewExpiringSubscriptions } from '../shared/sync/renew-subscriptions.js';
import { defaultSyncDeps } from '../shared/sync/sync-deps.js';

export async function renewSubscriptions(_timer: Timer, context: InvocationContext): Promise<void> {
  const report = await renewExpiringSubscriptions(defaultSyncDeps(getServices()));
  context.info(`subscription renewal: ${JSON.stringify(report)}`);
}

export async function reconcileSubscriptionsTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const report = await reconcileSubscriptions(defaultSyncDeps(getServices()));
  context.info(`subscription reconciliation: ${JSON.stringify(report)}`);
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
