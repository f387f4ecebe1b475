// A booking as an iCalendar invitation attachment: organizer = the connected mailbox, attendees = the
// message's recipients, UID stable per booking (so a re-sent invitation updates the same meeting), and
// SEQUENCE = seconds between the booking's creation and its last change (0 at first, growing with each update).
import { AppError } from '../errors/app-error.js';
import type { Services } from '../services.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { buildInvitation } from './icalendar.js';

export interface IcsAttachment {
  name: string;
  contentType: string;
  bytes: Buffer;
  uid: string;
}

const FIELD = 'attachIcsForBookingId';

/** The UID of a booking's meeting: the same for every invitation about it. */
export function bookingUid(clientId: string, bookingId: string): string {
  return `${bookingId}.${clientId}@calendar-bridge`;
}

export async function bookingInvitation(
  services: Services,
  clientId: string,
  connection: ConnectionEntity,
  bookingId: string,
  attendees: string[],
): Promise<IcsAttachment> {
  const found = await services.store.bookings.getBooking(clientId, bookingId);
  const booking = found?.entity;
  if (!booking) throw new AppError('booking_not_found', `${FIELD}: no such booking`, { field: FIELD });
  if (booking.connectionId !== connection.rowKey)
    throw new AppError('booking_not_on_connection', `${FIELD}: the booking belongs to another connection`, { field: FIELD });
  if (booking.status === 'cancelled') throw new AppError('booking_cancelled', `${FIELD}: the booking is cancelled`, { field: FIELD });
  if (!booking.start || !booking.end || !booking.subject)
    throw new AppError('booking_not_ready', `${FIELD}: the booking has no confirmed time yet`, { field: FIELD });
  const uid = bookingUid(clientId, bookingId);
  const changedAt = booking.updatedAt ?? booking.createdAt;
  const ics = buildInvitation({
    uid,
    sequence: Math.max(0, Math.floor((changedAt.getTime() - booking.createdAt.getTime()) / 1000)),
    stamp: new Date(),
    start: booking.start,
    end: booking.end,
    summary: booking.subject,
    organizer: { email: connection.upn ?? '' },
    attendees: [...new Set(attendees.map((a) => a.toLowerCase()))].map((email) => ({ email })),
  });
  return { name: 'invite.ics', contentType: 'text/calendar; method=REQUEST; charset=UTF-8', bytes: Buffer.from(ics, 'utf8'), uid };
}
