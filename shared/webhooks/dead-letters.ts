// Deliveries that failed for 24 hours: kept (without secrets or capabilities) for the operator to list and
// replay once the receiver is fixed. A replay queues the same event (same id, so receivers that dedupe on
// it stay correct) as a fresh delivery with a new 24 hours.
import * as z from 'zod';
import { AppError } from '../errors/app-error.js';
import { redact } from '../logging.js';
import { enqueue } from '../queues/queue-client.js';
import type { Services } from '../services.js';
import type { DeadLetterEntity } from '../store/repositories/dead-letters.js';
import { ConcurrencyError } from '../store/errors.js';
import { WEBHOOK_DELIVERY_QUEUE, type WebhookDelivery, type WebhookEvent } from './emit.js';
import type { WebhookEventType } from './event-catalogue.js';
import { recordDeadLetter } from '../telemetry/metrics.js';

export interface DeadLetterView {
  clientId: string;
  eventId: string;
  eventType: string;
  event: Record<string, unknown>;
  attempts: number;
  firstAttemptAt: string;
  deadLetteredAt: string;
  lastStatus?: number;
  lastError?: string;
}

export function deadLetterView(e: DeadLetterEntity): DeadLetterView {
  return {
    clientId: e.partitionKey,
    eventId: e.rowKey,
    eventType: e.eventType,
    event: e.event,
    attempts: e.attempts,
    firstAttemptAt: e.firstAttemptAt.toISOString(),
    deadLetteredAt: e.deadLetteredAt.toISOString(),
    lastStatus: e.lastStatus,
    lastError: e.lastError,
  };
}

/** A connect link is a bearer capability: it never rests in the dead-letter table (replay makes a new one). */
function withoutCapabilities(event: WebhookEvent): Record<string, unknown> {
  const data = { ...event.data };
  if ('connectLink' in data) data.connectLink = null;
  return { id: event.id, type: event.type, occurredAt: event.occurredAt, data };
}

export async function storeDeadLetter(
  services: Pick<Services, 'store'>,
  delivery: WebhookDelivery,
  outcome: { attempts: number; firstAttemptAt: Date; lastStatus?: number; lastError?: string },
): Promise<void> {
  await services.store.deadLetters.upsert({
    partitionKey: delivery.clientId,
    rowKey: delivery.event.id,
    eventType: delivery.event.type,
    event: withoutCapabilities(delivery.event),
    attempts: outcome.attempts,
    firstAttemptAt: outcome.firstAttemptAt,
    deadLetteredAt: new Date(),
    lastStatus: outcome.lastStatus,
    lastError: outcome.lastError ? redact(outcome.lastError).slice(0, 300) : undefined,
  });
  recordDeadLetter();
}

export const listDeadLettersQuery = z
  .object({
    clientId: z.string().regex(/^[a-z0-9]{8,40}$/, 'must be a client id').optional(),
    pageSize: z.coerce.number().int().min(1).max(1000).default(100),
    continuationToken: z.string().regex(/^[A-Za-z0-9+/=_-]{1,2048}$/, 'must be a token from a previous page').optional(),
  })
  .strict();

export async function listDeadLetters(
  query: z.infer<typeof listDeadLettersQuery>,
  services: Pick<Services, 'store'>,
): Promise<{ value: DeadLetterView[]; continuationToken?: string }> {
  const options = { pageSize: query.pageSize, continuationToken: query.continuationToken };
  let page;
  try {
    page = query.clientId ? await services.store.deadLetters.listByClient(query.clientId, options) : await services.store.deadLetters.listAll(options);
  } catch (error) {
    // A token that decodes to nothing the service understands: the caller's mistake, not ours.
    if (query.continuationToken && !(error as { statusCode?: number }).statusCode) {
      throw new AppError('invalid_field', 'continuationToken: must be a token from a previous page', { field: 'continuationToken' });
    }
    throw error;
  }
  return { value: page.items.map((i) => deadLetterView(i.entity)), continuationToken: page.continuationToken };
}

export type FreshConnectLink = (clientId: string, connectionId: string) => Promise<{ url: string; expiresAt: string } | null>;

/**
 * Queues a dead letter again and removes it (the removal is conditional, so two replays cannot both queue
 * it). A connection.needs_reauth event gets a fresh connect link when `freshConnectLink` gives one.
 */
export async function replayDeadLetter(
  clientId: string,
  eventId: string,
  services: Pick<Services, 'store' | 'config'>,
  freshConnectLink?: FreshConnectLink,
): Promise<DeadLetterView> {
  const found = /^[a-z0-9]{8,40}$/.test(clientId) && /^[\w.-]{1,100}$/.test(eventId) ? await services.store.deadLetters.getDeadLetter(clientId, eventId) : null;
  if (!found) throw new AppError('not_found', 'No such dead letter.');
  try {
    await services.store.deadLetters.delete(clientId, eventId, { etag: found.etag });
  } catch (error) {
    if (error instanceof ConcurrencyError) throw new AppError('replay_in_progress', 'This dead letter is being replayed already.');
    throw error;
  }
  const stored = found.entity.event as unknown as WebhookEvent;
  const data = { ...stored.data };
  if (stored.type === 'connection.needs_reauth' && typeof data.connectionId === 'string' && freshConnectLink) {
    data.connectLink = await freshConnectLink(clientId, data.connectionId).catch(() => null);
  }
  const delivery: WebhookDelivery = {
    clientId,
    event: { id: stored.id, type: stored.type as WebhookEventType, occurredAt: stored.occurredAt, data },
    attempt: 0,
  };
  try {
    await enqueue(services.config.storage, WEBHOOK_DELIVERY_QUEUE, delivery);
  } catch (error) {
    await services.store.deadLetters.upsert(found.entity); // put it back: a replay never loses it
    throw error;
  }
  return deadLetterView(found.entity);
}

/** Replays every dead letter of a client (at most `limit` per call). */
export async function replayClientDeadLetters(
  clientId: string,
  services: Pick<Services, 'store' | 'config'>,
  freshConnectLink?: FreshConnectLink,
  limit = 500,
): Promise<{ replayed: number; remaining: boolean }> {
  if (!/^[a-z0-9]{8,40}$/.test(clientId)) throw new AppError('not_found', 'No such client.');
  const page = await services.store.deadLetters.listByClient(clientId, { pageSize: limit });
  let replayed = 0;
  for (const { entity } of page.items) {
    try {
      await replayDeadLetter(clientId, entity.rowKey, services, freshConnectLink);
      replayed += 1;
    } catch (error) {
      if (!(error instanceof AppError && (error.status === 404 || error.status === 409))) throw error;
    }
  }
  return { replayed, remaining: page.continuationToken !== undefined };
}

/** DeadLetterView as the API describes it. */
export const deadLetterSchema = z
  .object({ clientId: z.string(), eventId: z.string(), eventType: z.string(), attempts: z.number().int(), firstAttemptAt: z.string(), deadLetteredAt: z.string() })
  .loose();
