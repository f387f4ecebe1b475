// GET /api/bookings/{bookingId}: the stored booking, with its event as Outlook has it now (one Graph read)
// while the booking is confirmed.
import { getEvent } from '../graph/events.js';
import { categorizeGraphError } from '../graph/client.js';
import { AppError } from '../errors/app-error.js';
import type { Services } from '../services.js';
import type { BookingEntity } from '../store/repositories/bookings.js';
import type { Versioned } from '../store/repository.js';
import { connectedGraph, requireCalendarOwner } from './connection-access.js';
import { toBookingView, type BookingView } from './booking-view.js';

/** The caller's booking row, or 404 naming bookingId. */
export async function requireBooking(services: Services, clientId: string, bookingId: string): Promise<Versioned<BookingEntity>> {
  const found = await services.store.bookings.getBooking(clientId, bookingId);
  if (!found) throw new AppError('booking_not_found', 'bookingId: no such booking', { field: 'bookingId' });
  return found;
}

export async function getBooking(services: Services, clientId: string, bookingId: string): Promise<BookingView> {
  const { entity: booking } = await requireBooking(services, clientId, bookingId);
  if (booking.status !== 'confirmed' || !booking.eventId) return toBookingView(booking);
  const connection = await requireCalendarOwner(services, clientId, booking.connectionId);
  const { call } = await connectedGraph(services, connection);
  const event = await call(async (graph) => {
    try {
      return await getEvent(graph, booking.calendarId, booking.eventId!, { timeoutMs: services.config.graphTimeoutMs });
    } catch (error) {
      if (categorizeGraphError(error) === 'not_found') return null; // deleted in Outlook
      throw error;
    }
  });
  return toBookingView(booking, event);
}
