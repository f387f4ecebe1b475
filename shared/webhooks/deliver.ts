// The webhook delivery processor: one queued WebhookDelivery -> one signed POST to the booking system.
// 2xx: done. Anything else: the delivery is queued again with backoff (retry-policy.ts) until 24 hours
// after its first attempt, then kept in the dead-letter table. A client that is gone, disabled or has no
// webhook URL: dropped with a log line. While the system is paused deliveries wait on the queue, and the
// paused time does not count against their 24 hours.
import * as z from 'zod';
import { isSyncPaused } from '../admin/pause.js';
import { enqueue } from '../queues/queue-client.js';
import type { Services } from '../services.js';
import { describeError } from '../logging.js';
import { signatureHeaders } from './signature.js';
import { WEBHOOK_DELIVERY_QUEUE, type WebhookDelivery, type WebhookEvent } from './emit.js';
import { WEBHOOK_EVENT_TYPES } from './event-catalogue.js';
import { DEFAULT_RETRY_POLICY, nextStep, type RetryPolicy } from './retry-policy.js';
import { postWebhook, WEBHOOK_TIMEOUT_MS, webhookUrlProblem } from './post-webhook.js';
import { storeDeadLetter } from './dead-letters.js';
import { activeSigningSecrets } from './signing-secrets.js';

const deliverySchema = z.object({
  clientId: z.string().min(1).max(64),
  event: z.object({
    id: z.string().min(1).max(100),
    type: z.enum(WEBHOOK_EVENT_TYPES),
    occurredAt: z.string().max(40),
    data: z.record(z.string(), z.unknown()),
  }),
  attempt: z.number().int().min(0).max(10_000),
  firstAttemptAt: z.iso.datetime({ offset: true }).optional(),
});

export interface DeliveryLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface DeliveryOptions {
  services: Services;
  /** The queue retries go back to (the one the message came from). */
  queueName?: string;
  policy?: RetryPolicy;
  /** How long a delivery waits before looking again while the system is paused. */
  pausedRecheckSeconds?: number;
  timeoutMs?: number;
  log?: DeliveryLog;
  now?: () => number;
}

export type DeliveryOutcome = 'delivered' | 'retry_scheduled' | 'dead_lettered' | 'dropped' | 'paused';

export const PAUSED_RECHECK_SECONDS = 60;

/** The exact body a receiver gets: {id, type, occurredAt, data}. */
export function webhookBody(event: WebhookEvent): string {
  return JSON.stringify({ id: event.id, type: event.type, occurredAt: event.occurredAt, data: event.data });
}

export async function processWebhookDelivery(message: unknown, options: DeliveryOptions): Promise<DeliveryOutcome> {
  const { services } = options;
  const log = options.log ?? console;
  const now = options.now ?? Date.now;
  const queueName = options.queueName ?? WEBHOOK_DELIVERY_QUEUE;

  const parsed = deliverySchema.safeParse(message);
  if (!parsed.success) {
    log.warn(`webhook delivery dropped: not a delivery message (${parsed.error.issues[0]?.path.join('.') || 'shape'})`);
    return 'dropped';
  }
  const delivery: WebhookDelivery = parsed.data;
  const label = `webhook ${delivery.event.id} (${delivery.event.type}) for client ${delivery.clientId}`;

  if (await isSyncPaused(services)) {
    const wait = options.pausedRecheckSeconds ?? PAUSED_RECHECK_SECONDS;
    // Paused time is not the receiver's fault: move the start of its 24 hours along by the wait.
    const firstAttemptAt = delivery.firstAttemptAt ? new Date(Date.parse(delivery.firstAttemptAt) + wait * 1000).toISOString() : undefined;
    await enqueue(services.config.storage, queueName, { ...delivery, firstAttemptAt }, wait);
    return 'paused';
  }

  const client = (await services.store.clients.getClient(delivery.clientId))?.entity;
  if (!client || client.disabled || !client.webhookUrl) {
    const why = !client ? 'no such client' : client.disabled ? 'the client is disabled' : 'the client has no webhook URL';
    log.info(`${label} dropped: ${why}`);
    return 'dropped';
  }

  const firstAttemptAtMs = delivery.firstAttemptAt ? Date.parse(delivery.firstAttemptAt) : now();
  const urlProblem = webhookUrlProblem(client.webhookUrl, services.config.inAzure, client.webhookPort);
  if (urlProblem) {
    // Retrying cannot help: keep it for a replay once the operator has fixed the URL.
    await storeDeadLetter(services, delivery, { attempts: delivery.attempt, firstAttemptAt: new Date(firstAttemptAtMs), lastError: urlProblem });
    log.warn(`${label} dead-lettered: ${urlProblem}`);
    return 'dead_lettered';
  }
  const body = webhookBody(delivery.event);
  let result: { ok: boolean; status?: number; error?: string };
  try {
    const secrets = await activeSigningSecrets(client, services);
    if (secrets.length === 0) throw new Error('the client has no signing secret');
    const headers = signatureHeaders(secrets, delivery.event.id, body, now());
    result = await postWebhook(client.webhookUrl, body, headers, {
      httpsOnly: services.config.inAzure,
      allowedPort: client.webhookPort,
      timeoutMs: options.timeoutMs ?? WEBHOOK_TIMEOUT_MS,
    });
  } catch (error) {
    result = { ok: false, error: `signing failed: ${describeError(error)}` };
  }
  if (result.ok) {
    log.info(`${label} delivered (attempt ${delivery.attempt + 1}, status ${result.status})`);
    return 'delivered';
  }

  const step = nextStep(delivery.attempt, firstAttemptAtMs, now(), options.policy ?? DEFAULT_RETRY_POLICY);
  if (step.kind === 'retry') {
    log.warn(`${label} attempt ${delivery.attempt + 1} failed (${result.error}); next in ${step.delaySeconds} s`);
    const retry: WebhookDelivery = { ...delivery, attempt: delivery.attempt + 1, firstAttemptAt: new Date(firstAttemptAtMs).toISOString() };
    await enqueue(services.config.storage, queueName, retry, step.delaySeconds);
    return 'retry_scheduled';
  }
  await storeDeadLetter(services, delivery, {
    attempts: delivery.attempt + 1,
    firstAttemptAt: new Date(firstAttemptAtMs),
    lastStatus: result.status,
    lastError: result.error,
  });
  log.warn(`${label} dead-lettered after ${delivery.attempt + 1} attempt(s) over 24 hours (${result.error})`);
  return 'dead_lettered';
}
