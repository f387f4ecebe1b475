// What the connection API shows of a connection: never tokens, never key versions.
import * as z from 'zod';
import { accountKindOf, type AccountKind } from '../auth/account-kind.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import type { Services } from '../services.js';
import { DEFAULT_BUSY_SHOW_AS } from '../sync/merge-busy.js';
import { bookingMoveSchema, bookingMoveView, type BookingMoveView } from '../moves/move-progress.js';

export interface SubscriptionHealth {
  /** `none` until push sync creates subscriptions; `expired` when one has lapsed unrenewed. */
  status: 'none' | 'healthy' | 'expired';
  count: number;
  nextExpiry?: string;
}

/** Whether busy time of one calendar is kept current by Graph change notifications. */
export interface CalendarPushSync {
  calendarId: string;
  /** True when the calendar has an unexpired subscription and a synced busy cache: busy reads come from the cache. */
  live: boolean;
  subscription: 'none' | 'active' | 'expired';
  /** `stale` (or `none`, before the first round) means busy reads go to Graph until a full sync. */
  cache: 'none' | 'synced' | 'stale';
}

export interface ConnectionView {
  id: string;
  externalUserId: string;
  status: ConnectionEntity['status'];
  /** `kind`: `personal` for a personal Microsoft account (outlook.com), which has no rooms, app-only access or shared mailboxes. */
  account: { tenantId?: string; objectId?: string; upn?: string; kind: AccountKind };
  bookingCalendarId?: string;
  busyCalendarIds: string[];
  defaultReminderMinutes?: number;
  /** showAs values counted as busy. */
  busyShowAs: string[];
  lastTokenRefreshAt?: string;
  subscriptions: SubscriptionHealth;
  /** Per busy calendar (on single-connection reads): is push sync live? */
  pushSync?: CalendarPushSync[];
  /** The latest move of future bookings into this connection, and how far it got. */
  move?: BookingMoveView;
  createdAt: string;
  updatedAt?: string;
}

export function connectionView(
  c: ConnectionEntity,
  subscriptions: SubscriptionHealth = { status: 'none', count: 0 },
  pushSync?: CalendarPushSync[],
): ConnectionView {
  return {
    id: c.rowKey,
    externalUserId: c.externalUserId,
    status: c.status,
    account: { tenantId: c.tenantId, objectId: c.objectId, upn: c.upn, kind: accountKindOf(c.tenantId) },
    bookingCalendarId: c.bookingCalendarId,
    busyCalendarIds: c.busyCalendarIds ?? [],
    defaultReminderMinutes: c.defaultReminderMinutes,
    busyShowAs: c.busyShowAs ?? [...DEFAULT_BUSY_SHOW_AS],
    lastTokenRefreshAt: c.lastTokenRefreshAt?.toISOString(),
    subscriptions,
    ...(pushSync ? { pushSync } : {}),
    ...(c.move ? { move: bookingMoveView(c.move) } : {}),
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt?.toISOString(),
  };
}

/**
 * Health of the connection's Graph subscriptions and, per busy calendar, whether push sync is live: from
 * the stored subscription records and busy-cache sync states (no Graph call).
 */
export async function subscriptionHealth(
  c: ConnectionEntity,
  services: Services,
  now = Date.now(),
): Promise<{ subscriptions: SubscriptionHealth; pushSync: CalendarPushSync[] }> {
  const expiries: number[] = [];
  const latestByCalendar = new Map<string, number>();
  for (const entity of await services.store.subscriptions.listOwnerRecords(c.partitionKey, c.rowKey)) {
    const expiry = entity.expiresAt.getTime();
    expiries.push(expiry);
    if (entity.calendarId) latestByCalendar.set(entity.calendarId, Math.max(expiry, latestByCalendar.get(entity.calendarId) ?? 0));
  }
  const pushSync = await Promise.all(
    (c.busyCalendarIds ?? []).map(async (calendarId): Promise<CalendarPushSync> => {
      const expiry = latestByCalendar.get(calendarId);
      const subscription = expiry === undefined ? 'none' : expiry > now ? 'active' : 'expired';
      const cache = (await services.store.busy.getSyncState(c.rowKey, calendarId))?.entity.status ?? 'none';
      return { calendarId, live: subscription === 'active' && cache === 'synced', subscription, cache };
    }),
  );
  if (expiries.length === 0) return { subscriptions: { status: 'none', count: 0 }, pushSync };
  const next = Math.min(...expiries);
  return { subscriptions: { status: next <= now ? 'expired' : 'healthy', count: expiries.length, nextExpiry: new Date(next).toISOString() }, pushSync };
}

/** ConnectionView as the API describes it (the fields a booking system relies on; the rest is open). */
export const connectionViewSchema = z
  .object({ id: z.string(), externalUserId: z.string(), status: z.enum(['active', 'needs_reauth', 'disconnected']), move: bookingMoveSchema.optional() })
  .loose();
