// The one way to tell a booking system that something happened: emitWebhookEvent() enqueues a delivery;
// the delivery processor (a queue-triggered function) signs and POSTs it with retries.
import { randomBytes } from 'node:crypto';
import type { StorageSettings } from '../config.js';
import { enqueue } from '../queues/queue-client.js';
import type { WebhookEventData, WebhookEventType } from './event-catalogue.js';

export const WEBHOOK_DELIVERY_QUEUE = 'webhook-deliveries';

export { WEBHOOK_EVENT_TYPES, type WebhookEventType, type WebhookEventData } from './event-catalogue.js';

/** The JSON body the booking system receives. */
export interface WebhookEvent<T = Record<string, unknown>> {
  id: string;
  type: WebhookEventType;
  occurredAt: string;
  data: T;
}

/** What travels on the delivery queue. */
export interface WebhookDelivery {
  clientId: string;
  event: WebhookEvent;
  /** 0 for the first attempt. */
  attempt: number;
  /** When the first attempt was made (retries stop 24 hours after it). */
  firstAttemptAt?: string;
}

export function newWebhookEvent<T extends WebhookEventType>(type: T, data: WebhookEventData<T>, now = new Date()): WebhookEvent {
  return { id: `evt_${randomBytes(12).toString('base64url')}`, type, occurredAt: now.toISOString(), data };
}

export async function emitWebhookEvent<T extends WebhookEventType>(
  storage: StorageSettings,
  clientId: string,
  type: T,
  data: WebhookEventData<T>,
): Promise<WebhookEvent> {
  const event = newWebhookEvent(type, data);
  const delivery: WebhookDelivery = { clientId, event, attempt: 0 };
  await enqueue(storage, WEBHOOK_DELIVERY_QUEUE, delivery);
  return event;
}
