// Whose calendar a sync message, a subscription record or a booking row names: a connection (delegated) or
// a space (a room mailbox, app-only). Loaded here, once, so every sync step treats both the same way.
import { odata } from '@azure/data-tables';
import type { Services } from '../services.js';
import { isSpaceOwnerId, parseSpaceOwnerId, spaceAsOwner, type CalendarOwner } from '../spaces/space-owner.js';
import type { BusyChange } from './busy-change.js';
import type { WebhookEventData } from '../webhooks/event-catalogue.js';

export type { CalendarOwner } from '../spaces/space-owner.js';

/** The owner named by (clientId, connection id or space owner id), or undefined when there is none. */
export async function loadCalendarOwner(services: Services, clientId: string, ownerId: string): Promise<CalendarOwner | undefined> {
  if (isSpaceOwnerId(ownerId)) {
    const ids = parseSpaceOwnerId(ownerId);
    if (!ids || ids.clientId !== clientId) return undefined;
    const space = (await services.store.spaces.getSpace(clientId, ids.spaceId))?.entity;
    return space ? spaceAsOwner(space) : undefined;
  }
  return (await services.store.connections.getConnection(clientId, ownerId))?.entity;
}

/** Every active owner: the sweeps (resync, reconciliation) walk connections, then spaces. */
export async function* activeCalendarOwners(services: Services): AsyncGenerator<CalendarOwner> {
  for await (const { entity } of services.store.connections.queryAll(odata`status eq 'active'`)) yield entity;
  for await (const { entity } of services.store.spaces.queryAll(odata`status eq 'active'`)) yield spaceAsOwner(entity);
}

/** The webhook a busy change becomes: busy.changed for a connection, space.busy_changed for a space. */
export function busyChangedEvent(
  owner: CalendarOwner,
  calendarId: string,
  change: BusyChange,
): { type: 'space.busy_changed'; data: WebhookEventData<'space.busy_changed'> } | { type: 'busy.changed'; data: WebhookEventData<'busy.changed'> } {
  if (owner.space) return { type: 'space.busy_changed', data: { spaceId: owner.space.spaceId, roomEmail: owner.space.roomEmail, ...change } };
  return { type: 'busy.changed', data: { connectionId: owner.rowKey, calendarIds: [calendarId], ...change } };
}

/**
 * Whether a subscription Graph lists belongs to this owner. Delegated listings hold only the user's own;
 * an app-only listing holds the app's subscriptions across the tenant, so a space keeps to its room's.
 */
export function ownsGraphSubscription(owner: CalendarOwner, resource: string | undefined): boolean {
  if (!owner.space) return true;
  return (resource ?? '').toLowerCase().includes(`users/${owner.space.roomObjectId}/`.toLowerCase());
}
