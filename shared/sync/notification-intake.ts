// The notification path, in Graph's order: the validation handshake, then each item's subscriptionId (a
// point read) and clientState (constant time). Accepted items become at most one queue message per calendar
// per POST; nothing here calls Graph or asks for a token, so the answer leaves well inside Graph's 3 seconds
// (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks).
// The endpoints are anonymous, so a POST is checked for shape and size before any I/O, each subscription id
// is looked up once per POST, and a POST that keeps naming unknown ids stops being looked up.
import * as z from 'zod';
import type { Store } from '../store/index.js';
import { clientStateMatches } from './client-state.js';
import { cachedSubscription, lookupSubscription, type SubscriptionRef } from './subscription-lookup.js';
import { isLifecycleEvent, type ChangesMessage, type CalendarSyncMessage, type LifecycleMessage, type ResyncMessage } from './sync-messages.js';
import { recentlySeen } from './replay-filter.js';

/** Graph's tokens are short plain text ("Validation: Testing client application reachability ..."). */
export const MAX_VALIDATION_TOKEN_CHARS = 512;
/**
 * Items per POST. Graph may batch several notifications in one changeNotificationCollection
 * (https://learn.microsoft.com/en-us/graph/api/resources/changenotificationcollection) and documents no
 * maximum. Our subscriptions are one per calendar and Graph batches per notification URL over a short
 * window, so a genuine POST carries a handful of items; 200 leaves two orders of magnitude of headroom while
 * capping what one anonymous POST can ask of us. A larger POST is refused whole (413), never half-processed.
 */
export const MAX_NOTIFICATION_ITEMS = 200;
/** A basic notification (no resource data) is under 1 KB: 200 of them with room to spare. */
export const MAX_NOTIFICATION_BODY_BYTES = 256 * 1024;
/**
 * Storage reads for ids not already known in memory, per POST. Graph names only our own subscriptions, which
 * are found (and then cached); a POST that names more unknown ids than this is not Graph's, and the rest of
 * its ids are dropped unread.
 */
export const MAX_UNKNOWN_LOOKUPS_PER_POST = 2;
/** Reads of one POST that run together (the process-wide bound of the lookup module still applies). */
const LOOKUP_BATCH = 2;

export type ValidationResult = { ok: true; token: string } | { ok: false; reason: 'too_long' | 'markup' };

/**
 * The handshake echo (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks): the URL-decoded token, as plain text. "Microsoft Graph never sends any
 * value containing HTML or JavaScript code", so a token with markup or control characters is refused
 * rather than echoed: the echo can never be interpreted as HTML.
 */
export function checkValidationToken(token: string): ValidationResult {
  if (token.length === 0 || token.length > MAX_VALIDATION_TOKEN_CHARS) return { ok: false, reason: 'too_long' };
  // eslint-disable-next-line no-control-regex
  if (/[<>"'`&\\\u0000-\u001f\u007f]/.test(token)) return { ok: false, reason: 'markup' };
  return { ok: true, token };
}

const itemSchema = z.object({
  subscriptionId: z.string().min(1).max(128),
  clientState: z.string().max(255).nullish(),
  changeType: z.string().max(64).optional(),
  lifecycleEvent: z.string().max(64).optional(),
  resource: z.string().max(2048).optional(),
  resourceData: z.object({ id: z.string().max(1024).optional(), '@odata.etag': z.string().max(256).optional() }).passthrough().optional(),
  subscriptionExpirationDateTime: z.string().max(64).optional(),
  tenantId: z.string().max(64).optional(),
});

export const notificationBodySchema = z.object({ value: z.array(z.unknown()) });

export type DropReason = 'malformed' | 'unknown_subscription' | 'client_state_mismatch' | 'replay' | 'unknown_lifecycle_event';

export interface IntakeResult {
  messages: CalendarSyncMessage[];
  accepted: number;
  dropped: { subscriptionId?: string; tenantId?: string; reason: DropReason }[];
}

/** Checks every item; returns the queue messages for the accepted ones (never the clientState). */
export async function takeNotifications(store: Store, items: readonly unknown[], now = new Date()): Promise<IntakeResult> {
  const receivedAt = now.toISOString();
  const byCalendar = new Map<string, ChangesMessage>();
  const lifecycle = new Map<string, LifecycleMessage>();
  const resyncs = new Map<string, ResyncMessage>();
  const dropped: IntakeResult['dropped'] = [];
  let accepted = 0;
  // Shape first, for every item, before any I/O.
  const parsed = items.map((raw) => itemSchema.safeParse(raw));
  const subs = await lookupDistinct(
    store,
    parsed.flatMap((p) => (p.success ? [p.data.subscriptionId] : [])),
    now.getTime(),
  );
  const checked = parsed.map((p) => {
    if (!p.success) return { reason: 'malformed' as const };
    const item = p.data;
    const sub = subs.get(item.subscriptionId);
    if (!sub) return { item, reason: 'unknown_subscription' as const };
    // A clientState that does not match means the POST may come from a rogue actor
    // (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks#receive-notifications).
    if (!clientStateMatches(item.clientState, sub.clientStateHash)) return { item, reason: 'client_state_mismatch' as const };
    return { item, sub };
  });
  for (const c of checked) {
    if (!('sub' in c) || !c.sub) {
      dropped.push({ subscriptionId: c.item?.subscriptionId, tenantId: c.item?.tenantId, reason: c.reason });
      continue;
    }
    const { item, sub } = c;
    const calendarId = sub.calendarId ?? '';
    const base = { clientId: sub.clientId, connectionId: sub.connectionId, calendarId, subscriptionId: sub.subscriptionId, receivedAt };
    // Owners sharing the subscription: the record's owner first, then the share rows.
    const owners = [base, ...sub.shares.map((o) => ({ ...base, clientId: o.clientId, connectionId: o.connectionId, calendarId: o.calendarId ?? '' }))];
    if (item.lifecycleEvent !== undefined) {
      // Ignore and log lifecycle events we do not know (the lifecycle page's advice since 2022).
      if (!isLifecycleEvent(item.lifecycleEvent)) {
        dropped.push({ subscriptionId: sub.subscriptionId, reason: 'unknown_lifecycle_event' });
        continue;
      }
      // The record's owner renews or recreates the subscription; a missed notification leaves every
      // sharing calendar to resync in full.
      lifecycle.set(`${sub.subscriptionId}|${item.lifecycleEvent}`, { kind: 'lifecycle', ...base, lifecycleEvent: item.lifecycleEvent });
      if (item.lifecycleEvent === 'missed')
        for (const owner of owners.slice(1)) resyncs.set(`${owner.connectionId}|${owner.calendarId}`, { kind: 'resync', ...owner });
      accepted += 1;
      continue;
    }
    // Graph replays deliveries (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks): an item already taken recently adds nothing.
    const fingerprint = `${sub.subscriptionId}|${item.changeType ?? ''}|${item.resourceData?.id ?? item.resource ?? ''}|${item.resourceData?.['@odata.etag'] ?? ''}`;
    if (recentlySeen(fingerprint, now.getTime())) {
      dropped.push({ subscriptionId: sub.subscriptionId, reason: 'replay' });
      continue;
    }
    accepted += 1;
    for (const owner of owners) byCalendar.set(`${owner.connectionId}|${owner.calendarId}`, { kind: 'changes', ...owner });
  }
  return { messages: [...byCalendar.values(), ...lifecycle.values(), ...resyncs.values()], accepted, dropped };
}

/**
 * Each distinct id once: what memory knows first, then storage reads (bounded process-wide by the lookup
 * module) until MAX_UNKNOWN_LOOKUPS_PER_POST of them found nothing.
 */
async function lookupDistinct(store: Store, ids: string[], now: number): Promise<Map<string, SubscriptionRef>> {
  const found = new Map<string, SubscriptionRef>();
  const toRead: string[] = [];
  for (const id of new Set(ids)) {
    const cached = cachedSubscription(store, id, now);
    if (cached) found.set(id, cached);
    else if (cached === undefined) toRead.push(id);
  }
  let misses = 0;
  for (let i = 0; i < toRead.length && misses < MAX_UNKNOWN_LOOKUPS_PER_POST; i += LOOKUP_BATCH) {
    const batch = toRead.slice(i, i + Math.min(LOOKUP_BATCH, MAX_UNKNOWN_LOOKUPS_PER_POST - misses));
    const refs = await Promise.all(batch.map((id) => lookupSubscription(store, id, now)));
    refs.forEach((ref, k) => (ref ? found.set(batch[k]!, ref) : (misses += 1)));
  }
  return found;
}
