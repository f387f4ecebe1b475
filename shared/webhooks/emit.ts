// The one way to tell a booking system that something happened: emitWebhookEvent() enqueues a delivery;
// the delivery processor (a queue-triggered function) signs and POSTs it with retries.
import { randomBytes } from 'node:crypto';
import type { StorageSettings } from '../config.js';
import { enqueue } from '../queues/queue-client.js';
import { sha256Base64Url } from '../sha256.js';
import type { WebhookEventData, WebhookEventType } from './event-catalogue.js';

export const WEBHOOK_DELIVERY_QUEUE = 'webhook-deliveries';

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

export function newWebhookEvent<T extends WebhookEventType>(type: T, data: WebhookEventData<T>, now = new Date(), id?: string): WebhookEvent {
  return { id: id ?? `evt_${randomBytes(12).toString('base64url')}`, type, occurredAt: now.toISOString(), data };
}

/**
 * An event id derived from what the event reports (its type and the facts that make it this report), so a
 * report made again — a sync round repeated after a crash — reaches the receiver with the same id.
 */
export function stableEventId(type: WebhookEventType, ...facts: string[]): string {
  return `evt_${sha256Base64Url([type, ...facts].join('\n')).slice(0, 22)}`;
}

export async function emitWebhookEvent<T extends WebhookEventType>(
  storage: StorageSettings,
  clientId: string,
  type: T,
  data: WebhookEventData<T>,
  id?: string,
): Promise<WebhookEvent> {
  const event = newWebhookEvent(type, data, new Date(), id);
  const delivery: WebhookDelivery = { clientId, event, attempt: 0 };
  await enqueue(storage, WEBHOOK_DELIVERY_QUEUE, delivery);
  return event;
}
