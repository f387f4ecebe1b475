// What travels on the calendar-sync queue: the notification endpoints enqueue these (no Graph call on the
// HTTP path: Graph wants 2xx within 3 seconds, https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks), the syncCalendars function runs them.
// A queue message is one of these, or a JSON array of them (the notification endpoints' group commit).
export const CALENDAR_SYNC_QUEUE = 'calendar-sync';

export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

interface MessageBase {
  clientId: string;
  connectionId: string;
  calendarId: string;
  subscriptionId: string;
  /** When the notification was accepted: a delta round that started later covers it. */
  receivedAt: string;
}

/** Something changed in the calendar: run a delta round (coalesced per calendar). */
export interface ChangesMessage extends MessageBase {
  kind: 'changes';
}

/** A lifecycle notification for one subscription (https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events). */
export interface LifecycleMessage extends MessageBase {
  kind: 'lifecycle';
  lifecycleEvent: LifecycleEvent;
}

/** A full resync of one calendar (window slide, stale cache, lost delta link). */
export interface ResyncMessage extends Omit<MessageBase, 'subscriptionId'> {
  kind: 'resync';
  subscriptionId?: string;
}

/**
 * Sent, delayed past the lease, by every round that starts: if the round's worker died, this runs it again
 * (a round that completed covers it, so it costs one read).
 */
export interface RecheckMessage extends Omit<MessageBase, 'subscriptionId'> {
  kind: 'recheck';
  full: boolean;
}

/**
 * A delta round for a calendar no subscription can watch (one someone else shares: Graph sends a delegated
 * app no notifications for other people's folders), asked for by the shared-calendar poll.
 */
export interface PollMessage extends Omit<MessageBase, 'subscriptionId'> {
  kind: 'poll';
}

/** Make the connection's subscriptions match its busy calendars (after connect or a calendar choice). */
export interface SubscriptionsMessage {
  kind: 'subscriptions';
  clientId: string;
  connectionId: string;
  receivedAt: string;
}

export type CalendarSyncMessage = ChangesMessage | LifecycleMessage | ResyncMessage | RecheckMessage | PollMessage | SubscriptionsMessage;

const LIFECYCLE_EVENTS = new Set<string>(['reauthorizationRequired', 'subscriptionRemoved', 'missed']);

export function isLifecycleEvent(value: unknown): value is LifecycleEvent {
  return typeof value === 'string' && LIFECYCLE_EVENTS.has(value);
}

const str = (v: unknown, max = 1024): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/** Parses a queue item defensively: anything malformed is undefined (and dropped by the processor). */
export function parseSyncMessage(item: unknown): CalendarSyncMessage | undefined {
  const m = item as Partial<Record<string, unknown>> | null;
  if (!m || typeof m !== 'object') return undefined;
  if (!str(m.clientId) || !str(m.connectionId) || !str(m.receivedAt, 64)) return undefined;
  if (Number.isNaN(Date.parse(m.receivedAt))) return undefined;
  if (m.kind === 'subscriptions') return { kind: 'subscriptions', clientId: m.clientId, connectionId: m.connectionId, receivedAt: m.receivedAt };
  if (!str(m.calendarId)) return undefined;
  const base = { clientId: m.clientId, connectionId: m.connectionId, calendarId: m.calendarId, receivedAt: m.receivedAt };
  if (m.kind === 'changes' && str(m.subscriptionId)) return { kind: 'changes', ...base, subscriptionId: m.subscriptionId };
  if (m.kind === 'lifecycle' && str(m.subscriptionId) && isLifecycleEvent(m.lifecycleEvent))
    return { kind: 'lifecycle', ...base, subscriptionId: m.subscriptionId, lifecycleEvent: m.lifecycleEvent };
  if (m.kind === 'recheck' && typeof m.full === 'boolean') return { kind: 'recheck', ...base, full: m.full };
  if (m.kind === 'poll') return { kind: 'poll', ...base };
  if (m.kind === 'resync') return { kind: 'resync', ...base, ...(str(m.subscriptionId) ? { subscriptionId: m.subscriptionId } : {}) };
  return undefined;
}
