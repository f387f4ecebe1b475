// bookings: PartitionKey clientId / RowKey bookingId (the booking system's own id: the idempotency key).
import type { Versioned } from '../repository.js';
import { TableRepository } from '../repository.js';

import type { BookingRecurrence } from '../../bookings/recurrence.js';

/** One occurrence of a series that is no longer as the pattern made it. */
export interface OccurrenceRecord {
  /** The occurrence's original date (yyyy-mm-dd) in the booking's zone: how the booking system names it. */
  date: string;
  status: 'moved' | 'cancelled';
  /** Graph's id of the occurrence (an exception's id stays the same when it is moved again). */
  eventId?: string;
  /** UTC, ISO 8601 (kept as text: the record is stored as JSON). */
  start?: string;
  end?: string;
  /** @odata.etag as this service last wrote it, or as last reported from Outlook. */
  etag?: string;
  /** The change came from Outlook (reported by webhook), not from the API. */
  inCalendar?: boolean;
}

export type BookingStatus = 'pending' | 'confirmed' | 'cancelled' | 'failed';

export interface BookingEntity {
  /** clientId */
  partitionKey: string;
  /** bookingId */
  rowKey: string;
  /** Whose calendar holds the event: a connection id, or a space's owner id (shared/spaces/space-owner.ts). */
  connectionId: string;
  /** Set for a booking of a space (in the room's calendar, or with the room invited). */
  spaceId?: string;
  status: BookingStatus;
  /** Graph transactionId, so a retried create never makes a second event. */
  transactionId: string;
  eventId?: string;
  calendarId?: string;
  /**
   * @odata.etag of the event as this service last wrote it: a PATCH sends it as If-Match, so a change made in
   * Outlook since then is refused unless forced. Never taken from what Outlook changed.
   */
  eventEtag?: string;
  /** @odata.etag of the Outlook-side version last reported to the booking system (reported once). */
  reportedEtag?: string;
  /** A move made in Outlook was reported and not yet overwritten by this service. */
  movedInCalendar?: boolean;
  webLink?: string;
  /** Digest of the create request: the same bookingId with another payload is a conflict, not a retry. */
  fingerprint?: string;
  subject?: string;
  start?: Date;
  end?: Date;
  /** IANA zone the booking was made in. */
  timeZone?: string;
  /** Whole days (Graph's isAllDay). */
  isAllDay?: boolean;
  /** A series: its recurrence as the booking system gave it; start and end are the first occurrence's. */
  recurrence?: BookingRecurrence;
  /** A series: when its last occurrence ends at the latest. */
  seriesEnd?: Date;
  /** A series: the occurrences moved or cancelled (through the API, or in Outlook as reported), by original date. */
  occurrences?: OccurrenceRecord[];
  /** Cancelling a meeting with attendees sends them a cancellation; without attendees the event is deleted. */
  hasAttendees?: boolean;
  /** While pending: the create attempt holding the row until then; after it, a retry may take over. */
  leaseUntil?: Date;
  /** Rooms and required attendees that declined in Outlook (lower-case addresses), as last reported. */
  declinedBy?: string[];
  /** The event's online meeting as last seen (provider, join URL once Outlook set it up, dial-in). */
  onlineMeeting?: { provider: string; joinUrl: string | null; conferenceId?: string; tollNumber?: string; tollFreeNumbers?: string[]; quickDial?: string };
  cancelledAt?: Date;
  /** The last move of this booking's event to another calendar (shared/moves): its id and how far it got. */
  moveId?: string;
  /**
   * `removing`: the event exists in its new calendar and the row names it; the old one is still to delete.
   * `left`: moved, but the old event could not be removed (its connection had lost access).
   */
  moveState?: 'removing' | 'done' | 'left' | 'failed';
  /** Where the event was before the move, until the old event is removed. */
  movedFrom?: { connectionId: string; calendarId?: string; eventId: string };
  createdAt: Date;
  updatedAt?: Date;
}

export class BookingRepository extends TableRepository<BookingEntity> {
  getBooking(clientId: string, bookingId: string): Promise<Versioned<BookingEntity> | null> {
    return this.get(clientId, bookingId);
  }
}
