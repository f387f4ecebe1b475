// Changes made in Outlook to single occurrences of series bookings. calendarView and its delta expand a
// series into its occurrences and exceptions, never the series master
// (https://learn.microsoft.com/en-us/graph/api/user-list-calendarview, https://learn.microsoft.com/en-us/graph/api/event-delta);
// each names its series in `seriesMasterId` and keeps the start its pattern gave it in `originalStart`
// (https://learn.microsoft.com/en-us/graph/api/resources/event#properties). An exception whose times differ
// from the pattern's was moved; an occurrence that left the view and is gone (404) was cancelled. The booking
// system hears of each once, naming the occurrence by its original date in the booking's zone, and the booking
// row records it (a version already recorded, our own write included, is not reported again).
import type { Client } from '@microsoft/microsoft-graph-client';
import { categorizeGraphError } from '../graph/client.js';
import type { DeltaEvent } from '../graph/delta.js';
import { getEvent } from '../graph/events.js';
import { dateIn, withOccurrenceRecord } from '../bookings/recurrence.js';
import type { BookingEntity } from '../store/repositories/bookings.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { toUtcIso } from '../time/zoned-time.js';
import { stableEventId } from '../webhooks/emit.js';
import { deltaEventToCached } from './delta-to-cache.js';
import type { SyncDeps } from './sync-deps.js';

const READ_TIMEOUT_MS = 15_000;

/** The occurrence's original date in the booking's zone, from the event or from what the row recorded. */
function occurrenceDate(booking: BookingEntity, eventId: string, originalStartMs: number | undefined): string | undefined {
  const known = booking.occurrences?.find((o) => o.eventId === eventId);
  if (known) return known.date;
  return originalStartMs === undefined ? undefined : dateIn(originalStartMs, booking.timeZone ?? 'UTC');
}

async function fresh(deps: SyncDeps, booking: BookingEntity): Promise<BookingEntity | undefined> {
  const current = (await deps.services.store.bookings.getBooking(booking.partitionKey, booking.rowKey))?.entity;
  return current && current.status !== 'cancelled' && current.eventId === booking.eventId ? current : undefined;
}

/** An occurrence or exception of a live series booking, as a delta round shows it now. */
export async function reportOccurrenceEvent(deps: SyncDeps, connection: ConnectionEntity, calendarId: string, series: BookingEntity, event: DeltaEvent): Promise<void> {
  if (event.type !== 'exception' && !event.isCancelled) return; // as the pattern made it
  const booking = await fresh(deps, series);
  if (!booking) return;
  const originalStartMs = event.originalStart ? Date.parse(event.originalStart) : undefined;
  const date = occurrenceDate(booking, event.id, Number.isNaN(originalStartMs) ? undefined : originalStartMs);
  if (!date) return;
  const etag = event['@odata.etag'] ?? event.changeKey;
  const record = booking.occurrences?.find((o) => o.date === date);
  if (record?.status === 'cancelled' || (etag !== undefined && record?.etag === etag)) return;
  if (event.isCancelled) return reportCancelled(deps, connection, calendarId, booking, event.id, date);
  const now = deltaEventToCached(event);
  if (!now || originalStartMs === undefined) return;
  const start = toUtcIso(now.start.getTime());
  const end = toUtcIso(now.end.getTime());
  const length = (booking.end?.getTime() ?? 0) - (booking.start?.getTime() ?? 0);
  const asBefore = record ? record.start === start && record.end === end : now.start.getTime() === originalStartMs && now.end.getTime() === originalStartMs + length;
  if (!asBefore) {
    const data = {
      connectionId: connection.rowKey,
      bookingId: booking.rowKey,
      calendarId,
      eventId: booking.eventId!,
      change: 'occurrence_moved' as const,
      start: now.start.toISOString(),
      end: now.end.toISOString(),
      showAs: now.showAs,
      occurrence: { occurrenceDate: date, eventId: event.id },
    };
    // Tell the booking system before recording it: a crash in between repeats a report, never loses one.
    const id = stableEventId('booking.changed_in_calendar', booking.partitionKey, booking.rowKey, event.id, etag ?? `${start}|${end}`);
    await deps.emit(booking.partitionKey, 'booking.changed_in_calendar', data, id);
  }
  await deps.services.store.bookings.mutate(booking.partitionKey, booking.rowKey, (current) =>
    withOccurrenceRecord(current, { date, status: 'moved', eventId: event.id, start, end, etag, inCalendar: asBefore ? record?.inCalendar : true }),
  );
}

/**
 * An occurrence of a live series booking left the calendar view. Graph says removed also when the whole
 * series went or when an occurrence moved out of the window (https://learn.microsoft.com/en-us/graph/delta-query-events),
 * so both are read: a series gone is left to the booking's own deletion report, an occurrence still there is
 * not cancelled, and only an occurrence that is gone (404) is reported cancelled.
 */
export async function reportRemovedOccurrence(
  deps: SyncDeps,
  connection: ConnectionEntity,
  calendarId: string,
  series: BookingEntity,
  eventId: string,
  lastSeenStart: Date | undefined,
  graph: Client,
): Promise<'series_gone' | undefined> {
  const booking = await fresh(deps, series);
  if (!booking) return undefined;
  // The series was moved to another calendar (shared/moves): the old series' occurrences leaving this one are
  // the move's own delete, not cancellations in Outlook.
  if (booking.calendarId && booking.calendarId !== calendarId) return undefined;
  const date = occurrenceDate(booking, eventId, lastSeenStart?.getTime());
  if (!date || booking.occurrences?.find((o) => o.date === date)?.status === 'cancelled') return undefined;
  const gone = async (id: string) => {
    try {
      const event = await getEvent(graph, calendarId, id, { timeoutMs: READ_TIMEOUT_MS });
      return event.isCancelled === true;
    } catch (error) {
      if (categorizeGraphError(error) !== 'not_found') throw error;
      return true;
    }
  };
  if (await gone(booking.eventId!)) return 'series_gone';
  if (!(await gone(eventId))) return undefined;
  await reportCancelled(deps, connection, calendarId, booking, eventId, date);
  return undefined;
}

async function reportCancelled(deps: SyncDeps, connection: ConnectionEntity, calendarId: string, booking: BookingEntity, eventId: string, date: string): Promise<void> {
  const data = {
    connectionId: connection.rowKey,
    bookingId: booking.rowKey,
    calendarId,
    eventId: booking.eventId!,
    change: 'occurrence_cancelled' as const,
    occurrence: { occurrenceDate: date, eventId },
  };
  await deps.emit(booking.partitionKey, 'booking.changed_in_calendar', data, stableEventId('booking.changed_in_calendar', booking.partitionKey, booking.rowKey, 'cancelled', date));
  await deps.services.store.bookings.mutate(booking.partitionKey, booking.rowKey, (current) =>
    withOccurrenceRecord(current, { date, status: 'cancelled', eventId, inCalendar: true }),
  );
}
