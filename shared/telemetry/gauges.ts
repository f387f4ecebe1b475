// The two gauges over everything the app holds: connections by status and Graph subscriptions by state.
// A collection (once a minute per instance) must not scan the connections or subscriptions table, which
// grow with every user. So:
// - connections: a running count per status in one counter row (shared/store/repositories/counters.ts),
//   adjusted where a status changes (connect, needs_reauth, disconnect) and re-set for `active` by the
//   hourly token keep-alive, which reads every active connection anyway. A collection is one point read.
// - subscriptions: the total is a sharded counter kept by the subscription repository (made +1, deleted -1;
//   subscriptions are made in bursts, so their count is spread over rows and summed in one query);
//   expired and expiring ones come from the expiry index, read only up to a day ahead. The renewal timer
//   renews three days ahead, so that range is empty while renewals work and grows only when they fail.
import type { Meter, ObservableResult } from '@opentelemetry/api';
import { describeError } from '../logging.js';
import type { Store } from '../store/store.js';
import type { ConnectionStatus } from '../store/repositories/connections.js';
import { SUBSCRIPTION_COUNTER } from '../store/repositories/subscriptions.js';
import { METRIC_NAMES } from './metrics.js';

export const CONNECTION_COUNTER = 'connections';
/** A subscription expiring within this counts as `expiring`: renewal should have renewed it days earlier. */
export const EXPIRING_WITHIN_MS = 24 * 3600_000;

/** Moves one connection from `from` (undefined: a new connection) to `to` in the running counts. */
export async function countConnectionStatusChange(store: Pick<Store, 'counters'>, from: ConnectionStatus | undefined, to: ConnectionStatus): Promise<void> {
  if (from === to) return;
  // The count only feeds telemetry: failing to keep it must not fail the connection's own change.
  await store.counters.adjust(CONNECTION_COUNTER, { ...(from ? { [from]: -1 } : {}), [to]: 1 }).catch((error: unknown) => {
    console.warn(`connection count not adjusted: ${describeError(error)}`);
  });
}

export async function connectionCounts(store: Pick<Store, 'counters'>): Promise<Record<string, number>> {
  return store.counters.read(CONNECTION_COUNTER);
}

export async function subscriptionStates(store: Pick<Store, 'counters' | 'subscriptions'>, now = new Date()): Promise<{ healthy: number; expiring: number; expired: number }> {
  const total = Math.max(0, (await store.counters.readSharded(SUBSCRIPTION_COUNTER)).total ?? 0);
  let expiring = 0;
  let expired = 0;
  for await (const { entity } of store.subscriptions.listExpiring(new Date(now.getTime() + EXPIRING_WITHIN_MS))) {
    if (entity.expiresAt.getTime() <= now.getTime()) expired += 1;
    else expiring += 1;
  }
  return { healthy: Math.max(0, total - expiring - expired), expiring, expired };
}

/** Registers the observable gauges on `meter`; `store` is asked for only when a collection runs. */
export function registerGauges(meter: Meter, store: () => Pick<Store, 'counters' | 'subscriptions'>): void {
  const observe = (name: string, read: (result: ObservableResult) => Promise<void>) =>
    meter.createObservableGauge(name).addCallback(async (result) => {
      try {
        await read(result);
      } catch (error) {
        console.warn(`telemetry: ${name} not observed: ${describeError(error)}`);
      }
    });
  observe(METRIC_NAMES.connections, async (result) => {
    for (const [status, count] of Object.entries(await connectionCounts(store()))) result.observe(count, { status });
  });
  observe(METRIC_NAMES.subscriptions, async (result) => {
    for (const [state, count] of Object.entries(await subscriptionStates(store()))) result.observe(count, { state });
  });
}
