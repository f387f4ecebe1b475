// Queue trigger on webhook-deliveries: one signed POST per message, retries re-queued with backoff
// (shared/webhooks/deliver.ts). A handler never throws for a receiver's failure, so messages do not
// end in the poison queue; only a storage failure while re-queuing lets the host retry the message.
import type { InvocationContext } from '@azure/functions';
import type { QueueFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices, type Services } from '../shared/services.js';
import { WEBHOOK_DELIVERY_QUEUE } from '../shared/webhooks/emit.js';
import { processWebhookDelivery, type DeliveryOptions } from '../shared/webhooks/deliver.js';
import { recordWebhookDelivery } from '../shared/telemetry/metrics.js';

export type DeliverWebhooksSettings = Omit<DeliveryOptions, 'services' | 'log' | 'queueName'> & {
  name?: string;
  queueName?: string;
  services?: () => Services;
};

/** The delivery function; tests make one with a short retry policy. */
export function createDeliverWebhooksFunction(settings: DeliverWebhooksSettings = {}): QueueFunctionDefinition {
  const queueName = settings.queueName ?? WEBHOOK_DELIVERY_QUEUE;
  return {
    kind: 'queue',
    name: settings.name ?? 'deliverWebhooks',
    queueName,
    handler: async (item: unknown, context: InvocationContext) => {
      const outcome = await processWebhookDelivery(item, {
        ...settings,
        services: (settings.services ?? getServices)(),
        queueName,
        log: { info: (m) => context.log(m), warn: (m) => context.warn(m) },
      });
      recordWebhookDelivery(outcome);
    },
  };
}

export const deliverWebhooksFunction = createDeliverWebhooksFunction();
