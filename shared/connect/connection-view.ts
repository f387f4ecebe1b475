// What the connection API shows of a connection: never tokens, never key versions.
import { odata } from '@azure/data-tables';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import type { Services } from '../services.js';
import { DEFAULT_BUSY_SHOW_AS } from '../sync/merge-busy.js';

export interface SubscriptionHealth {
  /** `none` until push sync creates subscriptions; `expired` when one has lapsed unrenewed. */
  status: 'none' | 'healthy' | 'expired';
  count: number;
  nextExpiry?: string;
}

export interface ConnectionView {
  id: string;
  externalUserId: string;
  status: ConnectionEntity['status'];
  account: { tenantId?: string; objectId?: string; upn?: string };
  bookingCalendarId?: string;
  busyCalendarIds: string[];
  defaultReminderMinutes?: number;
  /** showAs values counted as busy. */
  busyShowAs: string[];
  lastTokenRefreshAt?: string;
  subscriptions: SubscriptionHealth;
  createdAt: string;
  updatedAt?: string;
}

export function connectionView(c: ConnectionEntity, subscriptions: SubscriptionHealth = { status: 'none', count: 0 }): ConnectionView {
  return {
    id: c.rowKey,
    externalUserId: c.externalUserId,
    status: c.status,
    account: { tenantId: c.tenantId, objectId: c.objectId, upn: c.upn },
    bookingCalendarId: c.bookingCalendarId,
    busyCalendarIds: c.busyCalendarIds ?? [],
    defaultReminderMinutes: c.defaultReminderMinutes,
    busyShowAs: c.busyShowAs ?? [...DEFAULT_BUSY_SHOW_AS],
    lastTokenRefreshAt: c.lastTokenRefreshAt?.toISOString(),
    subscriptions,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt?.toISOString(),
  };
}

/** Health of the connection's Graph subscriptions, from the stored records (no Graph call). */
export async function subscriptionHealth(c: ConnectionEntity, services: Services, now = Date.now()): Promise<SubscriptionHealth> {
  const filter = odata`clientId eq ${c.partitionKey} and connectionId eq ${c.rowKey}`;
  const expiries: number[] = [];
  for await (const { entity } of services.store.subscriptions.records.queryAll(filter)) expiries.push(entity.expiresAt.getTime());
  if (expiries.length === 0) return { status: 'none', count: 0 };
  const next = Math.min(...expiries);
  return { status: next <= now ? 'expired' : 'healthy', count: expiries.length, nextExpiry: new Date(next).toISOString() };
}
