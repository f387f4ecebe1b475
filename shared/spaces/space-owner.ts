// A space, seen by push sync and bookings as a calendar owner like a connection: the room's mailbox and
// its calendar, reached app-only in the space's tenant. The owner id stands where a connection id stands
// (subscription records, busy-cache partition, booking rows), so the same subscription, delta, renewal and
// busy-cache code serves both. It names the client as well as the space: the busy cache is keyed by owner
// id alone, and space ids are the booking systems' own (unique only per client).
import type { ConnectionEntity } from '../store/repositories/connections.js';
import type { SpaceEntity } from '../store/repositories/spaces.js';

const PREFIX = 'space~';

export function spaceOwnerId(clientId: string, spaceId: string): string {
  return `${PREFIX}${clientId}~${spaceId}`;
}

export function isSpaceOwnerId(ownerId: string): boolean {
  return ownerId.startsWith(PREFIX);
}

/** The client and space an owner id names (client ids never contain '~'; space ids cannot either). */
export function parseSpaceOwnerId(ownerId: string): { clientId: string; spaceId: string } | undefined {
  if (!isSpaceOwnerId(ownerId)) return undefined;
  const rest = ownerId.slice(PREFIX.length);
  const i = rest.indexOf('~');
  return i > 0 && i < rest.length - 1 ? { clientId: rest.slice(0, i), spaceId: rest.slice(i + 1) } : undefined;
}

/** What makes an owner a space: Graph is called app-only in this tenant, for this mailbox. */
export interface SpaceOwnerInfo {
  spaceId: string;
  tenantId: string;
  roomObjectId: string;
  roomEmail: string;
}

/** A connection or a space: push sync and bookings work on either. */
export interface CalendarOwner extends ConnectionEntity {
  space?: SpaceOwnerInfo;
}

export function spaceAsOwner(space: SpaceEntity): CalendarOwner & { space: SpaceOwnerInfo } {
  return {
    partitionKey: space.partitionKey,
    rowKey: spaceOwnerId(space.partitionKey, space.rowKey),
    externalUserId: space.rowKey,
    status: space.status === 'active' ? 'active' : 'disconnected',
    tenantId: space.tenantId,
    objectId: space.roomObjectId,
    upn: space.roomEmail,
    bookingCalendarId: space.calendarId,
    busyCalendarIds: [space.calendarId],
    // A room's calendar has no reminders to default: none is set on its events.
    defaultReminderMinutes: undefined,
    createdAt: space.createdAt,
    space: { spaceId: space.rowKey, tenantId: space.tenantId, roomObjectId: space.roomObjectId, roomEmail: space.roomEmail },
  };
}
