// Timer: refresh the tokens of connections whose last refresh is over a week old (shared/keepalive).
// Hourly, at minute 23 (off the hour, away from other timers).
import type { InvocationContext } from '@azure/functions';
import type { TimerFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { runTokenKeepAlive } from '../shared/keepalive/token-keep-alive.js';

export async function tokenKeepAlive(_timer: unknown, context: InvocationContext): Promise<void> {
  await runTokenKeepAlive(getServices(), { log: { info: (m) => context.log(m), warn: (m) => context.warn(m) } });
}

export const tokenKeepAliveFunction: TimerFunctionDefinition = {
  kind: 'timer',
  name: 'tokenKeepAlive',
  schedule: '0 23 * * * *',
  handler: tokenKeepAlive,
};
