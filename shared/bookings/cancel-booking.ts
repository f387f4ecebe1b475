// DELETE /api/bookings/{bookingId}: cancel. A meeting with attendees is cancelled (they get the message);
// an event without attendees is deleted. Idempotent: an event already gone from Outlook, or a booking
// already cancelled, is success.
import * as z from 'zod';
import { assertWritesAllowed } from '../admin/pause.js';
import { categorizeGraphError } from '../graph/client.js';
import { cancelEvent, deleteEvent, findEventByProperty } from '../graph/events.js';
import { AppError } from '../errors/app-error.js';
import type { Services } from '../services.js';
import type { ClientEntity } from '../store/repositories/clients.js';
import { toBookingView, type BookingView } from './booking-view.js';
import { connectedGraph, requireCalendarOwner } from './connection-access.js';
import { BOOKING_PROPERTY_ID, bookingPropertyValue } from './event-mapping.js';
import { requireBooking } from './get-booking.js';

export const cancelBookingRequest = z.strictObject({
  /** Sent to attendees with the cancellation. */
  message: z.string().max(2000).optional(),
});

export const DEFAULT_CANCEL_MESSAGE = 'This appointment has been cancelled.';

export async function cancelBooking(services: Services, client: ClientEntity, bookingId: string, message?: string): Promise<BookingView> {
  const found = await requireBooking(services, client.rowKey, bookingId);
  const booking = found.entity;
  if (booking.status === 'cancelled') return toBookingView(booking);
  if (booking.status === 'pending' && booking.leaseUntil && booking.leaseUntil.getTime() > Date.now()) {
    throw new AppError('booking_in_progress', 'bookingId: the booking is being created; retry shortly', { field: 'bookingId', headers: { 'Retry-After': '2' } });
  }
  const connection = await requireCalendarOwner(services, client.rowKey, booking.connectionId);
  await assertWritesAllowed(services, client);
  const { call } = await connectedGraph(services, connection);
  const timeouts = { timeoutMs: services.config.graphTimeoutMs };

  await call(async (graph) => {
    // A pending booking's event may exist (an attempt that ended without an answer): find it by our property.
    const eventId =
      booking.eventId ??
      (await findEventByProperty(graph, booking.calendarId, BOOKING_PROPERTY_ID, bookingPropertyValue(client.rowKey, bookingId), timeouts))?.id;
    if (!eventId) return;
    try {
      if (booking.hasAttendees) {
        try {
          await cancelEvent(graph, booking.calendarId, eventId, message ?? DEFAULT_CANCEL_MESSAGE, timeouts);
          return;
        } catch (error) {
          // Not (or no longer) a meeting this user organises: deleting is what is left.
          if (categorizeGraphError(error) !== 'bad_request') throw error;
        }
      }
      await deleteEvent(graph, booking.calendarId, eventId, timeouts);
    } catch (error) {
      if (categorizeGraphError(error) !== 'not_found') throw error; // already gone is done
    }
  });

  const saved = await services.store.bookings.mutate(booking.partitionKey, booking.rowKey, (current) => ({
    ...current,
    status: 'cancelled',
    leaseUntil: undefined,
    cancelledAt: current.cancelledAt ?? new Date(),
    updatedAt: new Date(),
  }));
  return toBookingView(saved.entity);
}
