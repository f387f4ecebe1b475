// The notification path, in Graph's order (graph.md §1, §2.5; style.md §4): the validation handshake, then
// each item's subscriptionId (a point read) and clientState (constant time). Accepted items become at most
// one queue message per calendar per POST; nothing here calls Graph or asks for a token, so the answer
// leaves well inside Graph's 3 seconds (graph.md §2.2).
import { z } from 'zod';
import type { Store } from '../store/index.js';
import { clientStateMatches } from './client-state.js';
import { lookupSubscription } from './subscription-lookup.js';
import { isLifecycleEvent, type ChangesMessage, type CalendarSyncMessage, type LifecycleMessage } from './sync-messages.js';
import { recentlySeen } from './replay-filter.js';

/** Graph's tokens are short plain text ("Validation: Testing client application reachability ..."). */
export const MAX_VALIDATION_TOKEN_CHARS = 512;
/** A POST carries a batch of notifications; far above what Graph sends, far below what could hurt. */
export const MAX_NOTIFICATION_BODY_BYTES = 1024 * 1024;
const MAX_ITEMS = 1000;

export type ValidationResult = { ok: true; token: string } | { ok: false; reason: 'too_long' | 'markup' };

/**
 * The handshake echo (graph.md §1): the URL-decoded token, as plain text. "Microsoft Graph never sends any
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

export const notificationBodySchema = z.object({ value: z.array(z.unknown()).max(MAX_ITEMS) });

export type DropReason = 'malformed' | 'unknown_subscription' | 'client_state_mismatch' | 'replay' | 'unknown_lifecycle_event';

export interface IntakeResult {
  messages: CalendarSyncMessage[];
  accepted: number;
  dropped: { subscriptionId?: string; reason: DropReason }[];
}

/** Checks every item; returns the queue messages for the accepted ones (never the clientState). */
export async function takeNotifications(store: Store, items: readonly unknown[], now = new Date()): Promise<IntakeResult> {
  const receivedAt = now.toISOString();
  const byCalendar = new Map<string, ChangesMessage>();
  const lifecycle = new Map<string, LifecycleMessage>();
  const dropped: IntakeResult['dropped'] = [];
  let accepted = 0;
  // Lookups of different subscriptions run together; one POST may carry many (graph.md §2.1).
  const checked = await Promise.all(
    items.map(async (raw) => {
      const parsed = itemSchema.safeParse(raw);
      if (!parsed.success) return { reason: 'malformed' as const };
      const item = parsed.data;
      const sub = await lookupSubscription(store, item.subscriptionId);
      if (!sub) return { item, reason: 'unknown_subscription' as const };
      // graph.md §2.5: a clientState that does not match means the POST may come from a rogue actor.
      if (!clientStateMatches(item.clientState, sub.clientStateHash)) return { item, reason: 'client_state_mismatch' as const };
      return { item, sub };
    }),
  );
  for (const c of checked) {
    if (!('sub' in c) || !c.sub) {
      dropped.push({ subscriptionId: c.item?.subscriptionId, reason: c.reason });
      continue;
    }
    const { item, sub } = c;
    const calendarId = sub.calendarId ?? '';
    const base = { clientId: sub.clientId, connectionId: sub.connectionId, calendarId, subscriptionId: sub.subscriptionId, receivedAt };
    if (item.lifecycleEvent !== undefined) {
      // graph.md §3 (2022 doc): ignore and log lifecycle events we do not know.
      if (!isLifecycleEvent(item.lifecycleEvent)) {
        dropped.push({ subscriptionId: sub.subscriptionId, reason: 'unknown_lifecycle_event' });
        continue;
      }
      lifecycle.set(`${sub.subscriptionId}|${item.lifecycleEvent}`, { kind: 'lifecycle', ...base, lifecycleEvent: item.lifecycleEvent });
      accepted += 1;
      continue;
    }
    // Graph replays deliveries (graph.md §2.5): an item already taken recently adds nothing.
    const fingerprint = `${sub.subscriptionId}|${item.changeType ?? ''}|${item.resourceData?.id ?? item.resource ?? ''}|${item.resourceData?.['@odata.etag'] ?? ''}`;
    if (recentlySeen(fingerprint, now.getTime())) {
      dropped.push({ subscriptionId: sub.subscriptionId, reason: 'replay' });
      continue;
    }
    accepted += 1;
    byCalendar.set(`${sub.connectionId}|${calendarId}`, { kind: 'changes', ...base });
  }
  return { messages: [...byCalendar.values(), ...lifecycle.values()], accepted, dropped };
}
