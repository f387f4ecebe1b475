// PATCH /api/bookings/{bookingId}: reschedule or change fields. Graph gets If-Match with the etag we last
// wrote, so a change made in Outlook meanwhile is not silently overwritten: 409 event_changed_in_calendar
// with the event as it is now, unless the request says force.
import { assertWritesAllowed } from '../admin/pause.js';
import { categorizeGraphError } from '../graph/client.js';
import { getEvent, updateEvent, type GraphEvent } from '../graph/events.js';
import { AppError } from '../errors/app-error.js';
import type { Services } from '../services.js';
import type { BookingEntity } from '../store/repositories/bookings.js';
import type { ClientEntity } from '../store/repositories/clients.js';
import { toUtcIso } from '../time/zoned-time.js';
import { MAX_BOOKING_WINDOW_DAYS, type CreateBookingRequest } from './booking-request.js';
import { toBookingView, toEventView, type BookingView } from './booking-view.js';
import { connectedGraph, requireCalendarOwner } from './connection-access.js';
import { eventFields } from './event-mapping.js';
import { allDayIssues, parseBookingTime, seriesIssues, seriesRowAfterMove, seriesTimeFields } from './recurrence.js';
import { requireBooking } from './get-booking.js';
import { meetingProviderFor, meetingToKeep } from './online-meeting.js';
import { keepRoomInvited } from '../spaces/space-bookings.js';
import { watchBookingAhead } from '../sync/booking-window.js';

type Changes = Partial<Omit<CreateBookingRequest, 'bookingId' | 'connectionId' | 'startMs' | 'endMs'>> & { force?: boolean };

export async function updateBooking(services: Services, client: ClientEntity, bookingId: string, changes: Changes): Promise<BookingView> {
  const { force, ...fields } = changes;
  if (Object.values(fields).every((v) => v === undefined)) {
    throw new AppError('invalid_field', 'body: nothing to change', { field: 'body' });
  }
  const found = await requireBooking(services, client.rowKey, bookingId);
  const booking = found.entity;
  if (booking.status === 'cancelled') throw new AppError('booking_cancelled', 'bookingId: this booking was cancelled', { field: 'bookingId' });
  if (booking.status !== 'confirmed' || !booking.eventId) {
    throw new AppError('booking_in_progress', 'bookingId: the booking is not created yet; retry its create first', { field: 'bookingId' });
  }
  const times = newTimes(booking, fields);
  const fieldsPatch = await keepRoomInvited(services, booking, { ...eventFields({ ...fields, ...times }, undefined), ...seriesTimeFields(booking, times) });
  const connection = await requireCalendarOwner(services, client.rowKey, booking.connectionId);
  await assertWritesAllowed(services, client);
  const { call } = await connectedGraph(services, connection);
  const timeouts = { timeoutMs: services.config.graphTimeoutMs };
  const eventId = booking.eventId;

  const updated: GraphEvent = await call(async (graph) => {
    // Turning a booking into an online meeting takes the calendar's provider, as a create does.
    const provider = fields.isOnlineMeeting && !booking.onlineMeeting ? await meetingProviderFor(graph, booking.calendarId, timeouts) : undefined;
    const patch = provider ? { ...fieldsPatch, onlineMeetingProvider: provider } : fieldsPatch;
    try {
      return await updateEvent(graph, booking.calendarId, eventId, patch, force ? undefined : booking.eventEtag, timeouts);
    } catch (error) {
      const category = categorizeGraphError(error);
      if (category === 'precondition_failed') {
        const current = await getEvent(graph, booking.calendarId, eventId, timeouts);
        // Attendees answering (a room accepting some time after the booking) give the organizer's event a new
        // change key without changing what was booked: write over that version, once.
        if (onlyAnswersChanged(booking, current) && current['@odata.etag']) {
          return await updateEvent(graph, booking.calendarId, eventId, patch, current['@odata.etag'], timeouts).catch((retryError: unknown) => {
            throw categorizeGraphError(retryError) === 'precondition_failed' ? changedInCalendar(current, booking.eventEtag) : retryError;
          });
        }
        throw changedInCalendar(current, booking.eventEtag);
      }
      if (category === 'not_found') {
        throw new AppError('event_deleted_in_calendar', 'The event was deleted in Outlook; cancel this booking or create a new one.');
      }
      throw error;
    }
  });

  const saved = await services.store.bookings.mutate(booking.partitionKey, booking.rowKey, (current) => ({
    ...current,
    eventEtag: updated['@odata.etag'] ?? current.eventEtag,
    webLink: updated.webLink ?? current.webLink,
    onlineMeeting: meetingToKeep(updated, current.onlineMeeting),
    subject: fields.subject ?? current.subject,
    start: times.startMs !== undefined ? new Date(times.startMs) : current.start,
    end: times.endMs !== undefined ? new Date(times.endMs) : current.end,
    timeZone: times.timeZone ?? current.timeZone,
    hasAttendees: fields.attendees !== undefined ? fields.attendees.length > 0 : current.hasAttendees,
    ...seriesRowAfterMove(current, times),
    movedInCalendar: undefined,
    updatedAt: new Date(),
  }));
  if (times.endMs !== undefined) await watchBookingAhead(services, saved.entity);
  return toBookingView(saved.entity);
}

export const changedInCalendar = (current: GraphEvent, lastWrittenEtag: string | undefined) =>
  new AppError('event_changed_in_calendar', 'The event was changed in Outlook since it was booked; send force: true to overwrite.', {
    extra: { current: toEventView(current, lastWrittenEtag) },
  });

/**
 * The event as booked, apart from attendees' answers: the times and subject this service wrote, not
 * cancelled, and no move in Outlook reported since (https://learn.microsoft.com/en-us/graph/api/resources/attendee:
 * the answers are the attendees' status on the organizer's event).
 */
function onlyAnswersChanged(booking: BookingEntity, current: GraphEvent): boolean {
  const view = toEventView(current, booking.eventEtag);
  return (
    !booking.movedInCalendar &&
    !current.isCancelled &&
    view.start === (booking.start && toUtcIso(booking.start.getTime())) &&
    view.end === (booking.end && toUtcIso(booking.end.getTime())) &&
    (booking.subject === undefined || current.subject === booking.subject)
  );
}

interface NewTimes {
  startMs?: number;
  endMs?: number;
  timeZone?: string;
}

/** The new start and end (both sent whenever either or the zone changes), checked like a create. */
function newTimes(booking: Pick<BookingEntity, 'start' | 'end' | 'timeZone' | 'isAllDay' | 'recurrence'>, fields: Changes): NewTimes {
  if (fields.start === undefined && fields.end === undefined && fields.timeZone === undefined) return {};
  const timeZone = fields.timeZone ?? booking.timeZone ?? 'UTC';
  const parse = (value: string | undefined, stored: Date | undefined, field: 'start' | 'end'): number => {
    if (value === undefined) {
      if (!stored) throw new AppError('invalid_field', `${field}: required`, { field });
      return stored.getTime();
    }
    const ms = parseBookingTime(value, timeZone, booking.isAllDay);
    if (ms === undefined) throw new AppError('invalid_field', `${field}: not an ISO 8601 date-time`, { field });
    return ms;
  };
  const startMs = parse(fields.start, booking.start, 'start');
  const endMs = parse(fields.end, booking.end, 'end');
  const allDay = [...(booking.isAllDay ? allDayIssues(startMs, endMs, timeZone) : []), ...(booking.recurrence ? seriesIssues(booking.recurrence, startMs, timeZone) : [])][0];
  if (allDay) throw new AppError('invalid_field', `${String(allDay.path[0])}: ${allDay.message}`, { field: String(allDay.path[0]) });
  if (endMs <= startMs) throw new AppError('invalid_field', 'end: end must be after start', { field: 'end' });
  if (endMs - startMs > MAX_BOOKING_WINDOW_DAYS * 86_400_000) {
    throw new AppError('invalid_field', `end: a booking may last at most ${MAX_BOOKING_WINDOW_DAYS} days`, { field: 'end' });
  }
  return { startMs, endMs, timeZone };
}
