// The one way to tell a booking system that something happened: emitWebhookEvent() enqueues a delivery;
// the delivery processor (a queue-triggered function) signs and POSTs it with retries.
import { randomBytes } from 'node:crypto';
import type { StorageSettings } from '../config.js';
import { enqueue } from '../queues/queue-client.js';

export const WEBHOOK_DELIVERY_QUEUE = 'webhook-deliveries';

/** Every event type; the delivery processor accepts exactly these (add new ones here). */
export const WEBHOOK_EVENT_TYPES = [
  'busy.changed',
  'booking.changed_in_calendar',
  'booking.deleted_in_calendar',
  'connection.needs_reauth',
  'connection.disconnected',
  'space.busy_changed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

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

export function newWebhookEvent<T extends Record<string, unknown>>(type: WebhookEventType, data: T, now = new Date()): WebhookEvent<T> {
  return { id: `evt_${randomBytes(12).toString('base64url')}`, type, occurredAt: now.toISOString(), data };
}

export async function emitWebhookEvent(
  storage: StorageSettings,
  clientId: string,
  type: WebhookEventType,
  data: Record<string, unknown>,
): Promise<WebhookEvent> {
  const event = newWebhookEvent(type, data);
  const delivery: WebhookDelivery = { clientId, event, attempt: 0 };
  await enqueue(storage, WEBHOOK_DELIVERY_QUEUE, delivery);
  return event;
}
