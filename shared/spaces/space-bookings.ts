// Where a booking of a space goes, by the space's bookingMode:
// - room_calendar: the room's own calendar, app-only (the owner is the space itself);
// - invite_room: the organiser's calendar (the connection the request names), with the room invited as a
//   resource attendee; Exchange then books the room (auto-accepted when free:
//   https://learn.microsoft.com/en-us/graph/api/user-post-events).
// Either way the booking row, its transactionId and the create's exactly-once logic are the bookings'.
import { requireConnection } from '../bookings/connection-access.js';
import type { GraphEventBody } from '../bookings/event-mapping.js';
import { AppError } from '../errors/app-error.js';
import type { Services } from '../services.js';
import { requireSpace } from './space-access.js';
import { isSpaceOwnerId, spaceAsOwner, type CalendarOwner } from './space-owner.js';

export interface RoomInvite {
  email: string;
  name?: string;
}

export interface BookingTarget {
  /** Whose calendar gets the event. */
  owner: CalendarOwner;
  /** invite_room: the room to add as a resource attendee. */
  room?: RoomInvite;
}

export async function bookingTarget(services: Services, clientId: string, request: { connectionId?: string; spaceId?: string }): Promise<BookingTarget> {
  if (request.spaceId === undefined) return { owner: await requireConnection(services, clientId, request.connectionId!) };
  const space = await requireSpace(services, clientId, request.spaceId);
  if (space.bookingMode === 'invite_room') {
    if (request.connectionId === undefined) {
      throw new AppError('invalid_field', "connectionId: this space is booked by inviting its room to the organiser's event; name the organiser's connection", {
        field: 'connectionId',
      });
    }
    const organiser = await requireConnection(services, clientId, request.connectionId);
    return { owner: organiser, room: { email: space.roomEmail, name: space.roomDisplayName } };
  }
  if (request.connectionId !== undefined) {
    throw new AppError('invalid_field', "connectionId: this space is booked in its room's own calendar; leave connectionId out", { field: 'connectionId' });
  }
  return { owner: spaceAsOwner(space) };
}

/** The room as a resource attendee (and, unless the booking says otherwise, the location). */
export function withRoomInvite(event: GraphEventBody, room: RoomInvite | undefined): GraphEventBody {
  if (!room) return event;
  const attendees = Array.isArray(event.attendees) ? (event.attendees as { emailAddress?: { address?: string } }[]) : [];
  const others = attendees.filter((a) => a.emailAddress?.address?.toLowerCase() !== room.email.toLowerCase());
  return {
    ...event,
    attendees: [...others, { emailAddress: { address: room.email, name: room.name ?? room.email }, type: 'resource' }],
    location: event.location ?? { displayName: room.name ?? room.email, locationEmailAddress: room.email },
  };
}

/**
 * An update that replaces the attendees of an invite_room booking keeps the room among them: the booking
 * system lists the people, the space stays booked.
 */
export async function keepRoomInvited(
  services: Services,
  booking: { partitionKey: string; spaceId?: string; connectionId: string },
  patch: GraphEventBody,
): Promise<GraphEventBody> {
  if (!booking.spaceId || patch.attendees === undefined || isSpaceOwnerId(booking.connectionId)) return patch;
  const space = (await services.store.spaces.getSpace(booking.partitionKey, booking.spaceId))?.entity;
  if (!space) return patch;
  // Only the attendees: a location the update does not set is left as it is.
  const { location: _added, ...rest } = withRoomInvite(patch, { email: space.roomEmail, name: space.roomDisplayName });
  return patch.location === undefined ? rest : { ...rest, location: patch.location };
}
