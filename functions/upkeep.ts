// Queue trigger on connection-upkeep: one page scan, or one small batch of token refreshes or renewals, per
// message (shared/upkeep/upkeep.ts). The timers only start the scans, so the work spreads over instances.
import type { InvocationContext } from '@azure/functions';
import type { QueueFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { processUpkeepMessage, UPKEEP_QUEUE } from '../shared/upkeep/upkeep.js';
import { defaultSyncDeps } from '../shared/sync/sync-deps.js';

export async function upkeep(item: unknown, context: InvocationContext): Promise<void> {
  const outcome = await processUpkeepMessage(defaultSyncDeps(getServices()), item);
  if (outcome.kind === 'invalid') context.warn('connection-upkeep: malformed message dropped');
  else context.debug(`connection-upkeep: ${JSON.stringify(outcome)}`);
}

export const upkeepFunction: QueueFunctionDefinition = {
  kind: 'queue',
  name: 'connectionUpkeep',
  queueName: UPKEEP_QUEUE,
  handler: upkeep,
};
