// A series booking's exceptions, written again on the copy a move makes. The copy is a new series created
// from the old master's patternedRecurrence, and a new series has no exceptions: each occurrence is as the
// pattern made it (https://learn.microsoft.com/en-us/graph/outlook-schedule-recurring-events). Without this
// step an occurrence the booking system moved would snap back to the pattern's time and a cancelled one
// would come back. So, for each occurrence the booking row records (by its original date), the copy's
// occurrence of that date is found among its instances (https://learn.microsoft.com/en-us/graph/api/event-list-instances,
// by `originalStart`) and moved (PATCH start/end) or deleted, as on the old series. Every step is safe to
// repeat: a move that crashed finds the copy by its extended property and carries the exceptions again
// (moving an exception to the same times again, or finding a deleted occurrence gone, changes nothing).
import type { Client } from '@microsoft/microsoft-graph-client';
import { dateIn } from '../bookings/recurrence.js';
import { categorizeGraphError } from '../graph/client.js';
import { listInstances } from '../graph/event-instances.js';
import { deleteEvent, updateEvent, type EventCallOptions } from '../graph/events.js';
import type { BookingEntity, OccurrenceRecord } from '../store/repositories/bookings.js';
import { toGraphDateTime } from '../time/windows-zones.js';

const DAY_MS = 86_400_000;

/**
 * Writes the booking's recorded exceptions on `copyId`, a copy of its series in `calendarId`; returns the
 * records as they now stand, naming the copy's occurrences (ids and etags), so later occurrence requests
 * and push sync find them and do not take our own writes for changes made in Outlook.
 */
export async function carryExceptions(
  graph: Client,
  calendarId: string | undefined,
  copyId: string,
  booking: BookingEntity,
  options: EventCallOptions,
): Promise<OccurrenceRecord[] | undefined> {
  const records = booking.occurrences;
  if (!booking.recurrence || !records?.length) return records;
  const zone = booking.timeZone ?? 'UTC';
  const instances = await listInstances(graph, calendarId, copyId, instanceWindow(booking), options);
  const byDate = new Map(instances.filter((i) => i.originalStart).map((i) => [dateIn(Date.parse(i.originalStart!), zone), i]));
  const carried: OccurrenceRecord[] = [];
  for (const record of records) {
    const instance = byDate.get(record.date);
    if (record.status === 'cancelled') {
      if (instance && !instance.isCancelled) {
        // Deleting an occurrence from the organizer's calendar cancels it for the attendees (https://learn.microsoft.com/en-us/graph/api/event-delete).
        await deleteEvent(graph, calendarId, instance.id, options).catch((error: unknown) => {
          if (categorizeGraphError(error) !== 'not_found') throw error;
        });
      }
      carried.push({ ...record, eventId: instance?.id, etag: undefined });
      continue;
    }
    if (!instance || record.start === undefined || record.end === undefined) {
      carried.push({ ...record, eventId: undefined, etag: undefined });
      continue;
    }
    const patch = { start: toGraphDateTime(Date.parse(record.start), zone), end: toGraphDateTime(Date.parse(record.end), zone) };
    const updated = await updateEvent(graph, calendarId, instance.id, patch, undefined, options);
    carried.push({ ...record, eventId: updated.id ?? instance.id, etag: updated['@odata.etag'] });
  }
  return carried;
}

/** From a day before the first occurrence (or the earliest moved one) to a day after the series ends. */
function instanceWindow(booking: BookingEntity): { startMs: number; endMs: number } {
  const moved = (booking.occurrences ?? []).flatMap((o) => [o.start, o.end]).filter((t): t is string => t !== undefined).map((t) => Date.parse(t));
  const first = Math.min(booking.start?.getTime() ?? Date.now(), ...moved);
  const last = Math.max(booking.seriesEnd?.getTime() ?? booking.end?.getTime() ?? Date.now(), ...moved);
  return { startMs: first - DAY_MS, endMs: last + DAY_MS };
}
