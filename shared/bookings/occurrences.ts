// One occurrence of a series booking: PATCH moves it, DELETE cancels it
// (/api/bookings/{bookingId}/occurrences/{occurrenceDate}). The booking system names an occurrence by its
// original date in the booking's zone, which stays its name after a move; Graph's occurrence ids are opaque.
// The occurrence is found through the series' instances (https://learn.microsoft.com/en-us/graph/api/event-list-instances)
// by its originalStart, or, once moved, by the id recorded on the booking row. Writing to an occurrence makes
// it an exception of the series (https://learn.microsoft.com/en-us/graph/outlook-schedule-recurring-events).
// As for a whole booking, a change made in Outlook is not overwritten unless `force`; the PATCH carries the
// occurrence's etag as If-Match so a change racing ours is refused by Graph too.
import * as z from 'zod';
import { assertWritesAllowed } from '../admin/pause.js';
import { categorizeGraphError } from '../graph/client.js';
import { listInstances, type GraphInstance } from '../graph/event-instances.js';
import { cancelEvent, deleteEvent, getEvent, updateEvent, type EventCallOptions } from '../graph/events.js';
import { AppError } from '../errors/app-error.js';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Services } from '../services.js';
import type { BookingEntity } from '../store/repositories/bookings.js';
import type { ClientEntity } from '../store/repositories/clients.js';
import { ianaZoneFor, toGraphDateTime, type GraphDateTime } from '../time/windows-zones.js';
import { parseDateTime, toUtcIso } from '../time/zoned-time.js';
import { externalId, MAX_BOOKING_WINDOW_DAYS } from './booking-request.js';
import { toBookingView, type BookingView } from './booking-view.js';
import { DEFAULT_CANCEL_MESSAGE } from './cancel-booking.js';
import { connectedGraph, requireCalendarOwner } from './connection-access.js';
import { requireBooking } from './get-booking.js';
import { allDayIssues, dateIn, parseBookingTime, withOccurrenceRecord } from './recurrence.js';
import { changedInCalendar } from './update-booking.js';

export const occurrenceParams = z.object({
  bookingId: externalId,
  occurrenceDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'the occurrence\'s original date, yyyy-mm-dd'),
});

export const updateOccurrenceRequest = z.strictObject({
  start: z.string().max(40).optional(),
  end: z.string().max(40).optional(),
  /** Overwrite a change made to this occurrence in Outlook. */
  force: z.boolean().optional(),
});

const DAY_MS = 86_400_000;

/** The booking, confirmed and a series; otherwise the problem that says why not. */
async function requireSeries(services: Services, clientId: string, bookingId: string): Promise<BookingEntity> {
  const booking = (await requireBooking(services, clientId, bookingId)).entity;
  if (booking.status === 'cancelled') throw new AppError('booking_cancelled', 'bookingId: this booking was cancelled', { field: 'bookingId' });
  if (booking.status !== 'confirmed' || !booking.eventId) {
    throw new AppError('booking_in_progress', 'bookingId: the booking is not created yet; retry its create first', { field: 'bookingId' });
  }
  if (!booking.recurrence) throw new AppError('invalid_field', 'occurrenceDate: this booking is not a series', { field: 'occurrenceDate' });
  return booking;
}

/** The occurrence whose original date is `date`, as Outlook has it now; undefined when there is none. */
async function findOccurrence(graph: Client, booking: BookingEntity, date: string, options: EventCallOptions): Promise<GraphInstance | undefined> {
  const zone = booking.timeZone ?? 'UTC';
  const known = booking.occurrences?.find((o) => o.date === date);
  if (known?.eventId) {
    try {
      return { ...(await getEvent(graph, booking.calendarId, known.eventId, options)), id: known.eventId };
    } catch (error) {
      if (categorizeGraphError(error) !== 'not_found') throw error;
    }
  }
  // Its original day in the booking's zone; an exception moved within that day is still in it.
  const dayStart = parseDateTime(`${date}T00:00:00`, zone);
  if (dayStart === undefined) return undefined;
  const instances = await listInstances(graph, booking.calendarId, booking.eventId!, { startMs: dayStart, endMs: dayStart + DAY_MS }, options);
  return instances.find((i) => !i.isCancelled && i.originalStart !== undefined && dateIn(Date.parse(i.originalStart), zone) === date);
}

const notFound = (date: string) => new AppError('occurrence_not_found', `occurrenceDate: the series has no occurrence on ${date}`, { field: 'occurrenceDate' });

/** The occurrence's new start and end: given ones parsed in the booking's zone, missing ones kept. */
function occurrenceTimes(booking: BookingEntity, current: { startMs: number; endMs: number }, body: z.infer<typeof updateOccurrenceRequest>) {
  const zone = booking.timeZone ?? 'UTC';
  const parse = (value: string | undefined, kept: number, field: 'start' | 'end') => {
    if (value === undefined) return kept;
    const ms = parseBookingTime(value, zone, booking.isAllDay);
    if (ms === undefined) throw new AppError('invalid_field', `${field}: not an ISO 8601 date-time`, { field });
    return ms;
  };
  const startMs = parse(body.start, current.startMs, 'start');
  const endMs = parse(body.end, current.endMs, 'end');
  if (endMs <= startMs) throw new AppError('invalid_field', 'end: end must be after start', { field: 'end' });
  if (endMs - startMs > MAX_BOOKING_WINDOW_DAYS * DAY_MS) {
    throw new AppError('invalid_field', `end: a booking may last at most ${MAX_BOOKING_WINDOW_DAYS} days`, { field: 'end' });
  }
  const issue = booking.isAllDay ? allDayIssues(startMs, endMs, zone)[0] : undefined;
  if (issue) throw new AppError('invalid_field', `${String(issue.path[0])}: ${issue.message}`, { field: String(issue.path[0]) });
  return { startMs, endMs };
}

const instantOf = (value: GraphDateTime | undefined) => (value ? parseDateTime(value.dateTime, ianaZoneFor(value.timeZone || 'UTC') ?? 'UTC') : undefined);
const isoOf = (value: GraphDateTime | undefined) => {
  const ms = instantOf(value);
  return ms === undefined ? undefined : toUtcIso(ms);
};

export async function updateOccurrence(
  services: Services,
  client: ClientEntity,
  bookingId: string,
  date: string,
  body: z.infer<typeof updateOccurrenceRequest>,
): Promise<BookingView> {
  if (body.start === undefined && body.end === undefined) throw new AppError('invalid_field', 'body: nothing to change', { field: 'body' });
  const booking = await requireSeries(services, client.rowKey, bookingId);
  const record = booking.occurrences?.find((o) => o.date === date);
  if (record?.status === 'cancelled') throw new AppError('occurrence_cancelled', `occurrenceDate: the occurrence of ${date} was cancelled`, { field: 'occurrenceDate' });
  const connection = await requireCalendarOwner(services, client.rowKey, booking.connectionId);
  await assertWritesAllowed(services, client);
  const { call } = await connectedGraph(services, connection);
  const options = { timeoutMs: services.config.graphTimeoutMs };
  const zone = booking.timeZone ?? 'UTC';

  const { updated, startMs, endMs } = await call(async (graph) => {
    const found = await findOccurrence(graph, booking, date, options);
    if (!found) throw notFound(date);
    // An exception this service did not write (or wrote another version of) was changed in Outlook.
    // A change made in Outlook stays refused after it was reported, as for a whole booking, until forced.
    // Exchange keeps exceptions inside the series master, so writing one occurrence (or deleting one)
    // changes the change key of every other exception too
    // (https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxocal/): another etag at the
    // times recorded is our own sibling write, not a move in Outlook.
    const atRecordedTimes = record?.start === isoOf(found.start) && record?.end === isoOf(found.end);
    const outlookChange = found.type === 'exception' && (record?.inCalendar === true || (found['@odata.etag'] !== record?.etag && !atRecordedTimes));
    if (outlookChange && !body.force) throw changedInCalendar(found, record?.inCalendar ? undefined : record?.etag);
    const times = occurrenceTimes(booking, { startMs: instantOf(found.start)!, endMs: instantOf(found.end)! }, body);
    const patch = { start: toGraphDateTime(times.startMs, zone), end: toGraphDateTime(times.endMs, zone) };
    try {
      const updated = await updateEvent(graph, booking.calendarId, found.id, patch, body.force ? undefined : found['@odata.etag'], options);
      return { updated, ...times };
    } catch (error) {
      if (categorizeGraphError(error) !== 'precondition_failed') throw error;
      throw changedInCalendar(await getEvent(graph, booking.calendarId, found.id, options), record?.etag);
    }
  });

  const saved = await services.store.bookings.mutate(booking.partitionKey, booking.rowKey, (current) =>
    withOccurrenceRecord(current, {
      date,
      status: 'moved',
      eventId: updated.id,
      start: toUtcIso(startMs),
      end: toUtcIso(endMs),
      etag: updated['@odata.etag'],
    }),
  );
  return toBookingView(saved.entity);
}

/**
 * Cancels one occurrence; idempotent. The record is written first, so a retry after a crash between Graph's
 * answer and our write still finds the occurrence cancelled, and a retry that finds it still in Outlook
 * cancels it again; a Graph failure takes the record back.
 */
export async function cancelOccurrence(services: Services, client: ClientEntity, bookingId: string, date: string, message?: string): Promise<BookingView> {
  const booking = await requireSeries(services, client.rowKey, bookingId);
  const connection = await requireCalendarOwner(services, client.rowKey, booking.connectionId);
  await assertWritesAllowed(services, client);
  const { call } = await connectedGraph(services, connection);
  const options = { timeoutMs: services.config.graphTimeoutMs };
  const before = booking.occurrences?.find((o) => o.date === date);

  const found = await call((graph) => findOccurrence(graph, booking, date, options));
  if (!found) {
    if (before?.status === 'cancelled') return toBookingView(booking);
    throw notFound(date);
  }
  const cancelled = await services.store.bookings.mutate(booking.partitionKey, booking.rowKey, (current) =>
    withOccurrenceRecord(current, { date, status: 'cancelled', eventId: found.id, inCalendar: false }),
  );
  try {
    await call(async (graph) => {
      try {
        if (booking.hasAttendees) {
          try {
            // Attendees get the cancellation of this one occurrence (https://learn.microsoft.com/en-us/graph/api/event-cancel).
            await cancelEvent(graph, booking.calendarId, found.id, message ?? DEFAULT_CANCEL_MESSAGE, options);
            return;
          } catch (error) {
            if (categorizeGraphError(error) !== 'bad_request') throw error;
          }
        }
        await deleteEvent(graph, booking.calendarId, found.id, options);
      } catch (error) {
        if (categorizeGraphError(error) !== 'not_found') throw error; // already gone is done
      }
    });
  } catch (error) {
    await services.store.bookings.mutate(booking.partitionKey, booking.rowKey, (current) => {
      const others = (current.occurrences ?? []).filter((o) => o.date !== date);
      return { ...current, occurrences: before ? [...others, before].sort((a, b) => a.date.localeCompare(b.date)) : others };
    });
    throw error;
  }
  return toBookingView(cancelled.entity);
}
