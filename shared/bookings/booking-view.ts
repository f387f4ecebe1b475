// What the booking-system API shows of a booking and of its Outlook event. The zod schemas describe the
// responses in the OpenAPI document; the functions build them.
import * as z from 'zod';
import type { GraphEvent } from '../graph/events.js';
import type { BookingEntity } from '../store/repositories/bookings.js';
import { ianaZoneFor, type GraphDateTime } from '../time/windows-zones.js';
import { parseDateTime, toUtcIso } from '../time/zoned-time.js';
import { isSpaceOwnerId } from '../spaces/space-owner.js';
import { meetingToKeep, onlineMeetingView } from './online-meeting.js';
import { bookingRecurrence } from './recurrence.js';

export const occurrenceView = z.object({
  occurrenceDate: z.string().describe("the occurrence's original date (yyyy-mm-dd) in the booking's timeZone: its name in the occurrence routes"),
  status: z.enum(['moved', 'cancelled']),
  start: z.string().optional().describe('UTC, ISO 8601 (moved)'),
  end: z.string().optional().describe('UTC, ISO 8601 (moved)'),
  changedInCalendar: z.boolean().describe('the change was made in Outlook (and reported by booking.changed_in_calendar), not through this API'),
});

export const calendarEventView = z.object({
  id: z.string(),
  subject: z.string().optional(),
  start: z.string().optional().describe('UTC, ISO 8601'),
  end: z.string().optional().describe('UTC, ISO 8601'),
  timeZone: z.string().optional().describe('IANA zone the event was created in'),
  isAllDay: z.boolean().optional(),
  isCancelled: z.boolean().optional(),
  showAs: z.string().optional(),
  attendees: z
    .array(
      z.object({
        email: z.string().optional(),
        name: z.string().optional(),
        type: z.string().optional(),
        response: z.string().optional().describe("the attendee's answer as Outlook has it: none (not yet; a room answers some time after the booking), accepted, tentativelyAccepted, declined"),
      }),
    )
    .optional(),
  webLink: z.string().optional(),
  etag: z.string().optional(),
  lastModifiedDateTime: z.string().optional(),
  changedInCalendar: z.boolean().describe('the event differs from the version this service last wrote'),
});

export const bookingView = z.object({
  bookingId: z.string(),
  connectionId: z.string().optional().describe("the user's connection; absent for a space booked in its room's own calendar"),
  spaceId: z.string().optional(),
  status: z.enum(['pending', 'confirmed', 'cancelled', 'failed']),
  eventId: z.string().optional(),
  calendarId: z.string().optional(),
  webLink: z.string().optional(),
  etag: z.string().optional().describe("the Outlook event's @odata.etag as last written"),
  subject: z.string().optional(),
  start: z.string().optional(),
  end: z.string().optional(),
  timeZone: z.string().optional(),
  isAllDay: z.boolean().optional(),
  recurrence: bookingRecurrence.optional().describe('a series: start and end are its first occurrence'),
  seriesEnd: z.string().optional().describe('a series: the latest its last occurrence can end (UTC)'),
  occurrences: z.array(occurrenceView).optional().describe('a series: occurrences moved or cancelled, by their original date'),
  createdAt: z.string(),
  updatedAt: z.string().optional(),
  cancelledAt: z.string().optional(),
  declinedBy: z.array(z.string()).optional().describe('rooms and required attendees that declined in Outlook (booking.declined_in_calendar)'),
  onlineMeeting: onlineMeetingView.optional().describe('present for an online meeting (isOnlineMeeting): its provider and join information'),
  event: calendarEventView.nullable().optional().describe('the event as it is in Outlook now; null when it was deleted there'),
});

export type CalendarEventView = z.infer<typeof calendarEventView>;
export type BookingView = z.infer<typeof bookingView>;

export function toBookingView(b: BookingEntity, event?: GraphEvent | null): BookingView {
  const view: BookingView = {
    bookingId: b.rowKey,
    connectionId: isSpaceOwnerId(b.connectionId) ? undefined : b.connectionId,
    spaceId: b.spaceId,
    status: b.status,
    eventId: b.eventId,
    calendarId: b.calendarId,
    webLink: b.webLink,
    etag: b.eventEtag,
    subject: b.subject,
    start: b.start && toUtcIso(b.start.getTime()),
    end: b.end && toUtcIso(b.end.getTime()),
    timeZone: b.timeZone,
    isAllDay: b.isAllDay,
    recurrence: b.recurrence,
    seriesEnd: b.seriesEnd && toUtcIso(b.seriesEnd.getTime()),
    occurrences: b.occurrences?.length
      ? b.occurrences.map((o) => ({
          occurrenceDate: o.date,
          status: o.status,
          start: o.start,
          end: o.end,
          changedInCalendar: o.inCalendar === true,
        }))
      : undefined,
    createdAt: b.createdAt.toISOString(),
    updatedAt: b.updatedAt?.toISOString(),
    cancelledAt: b.cancelledAt?.toISOString(),
    declinedBy: b.declinedBy?.length ? b.declinedBy : undefined,
  };
  if (event !== undefined) view.event = event === null ? null : toEventView(event, b.eventEtag);
  const meeting = event ? meetingToKeep(event, b.onlineMeeting) : b.onlineMeeting;
  if (meeting) view.onlineMeeting = meeting;
  return view;
}

export function toEventView(e: GraphEvent, lastWrittenEtag: string | undefined): CalendarEventView {
  return {
    id: e.id,
    subject: e.subject,
    start: e.start && utcOf(e.start),
    end: e.end && utcOf(e.end),
    timeZone: e.originalStartTimeZone ? (ianaZoneFor(e.originalStartTimeZone) ?? e.originalStartTimeZone) : undefined,
    isAllDay: e.isAllDay,
    isCancelled: e.isCancelled,
    showAs: e.showAs,
    attendees: e.attendees?.map((a) => ({ email: a.emailAddress?.address, name: a.emailAddress?.name, type: a.type, response: a.status?.response })),
    webLink: e.webLink,
    etag: e['@odata.etag'],
    lastModifiedDateTime: e.lastModifiedDateTime,
    changedInCalendar: lastWrittenEtag !== undefined && e['@odata.etag'] !== undefined && e['@odata.etag'] !== lastWrittenEtag,
  };
}

function utcOf(value: GraphDateTime): string | undefined {
  const ms = parseDateTime(value.dateTime, ianaZoneFor(value.timeZone || 'UTC') ?? 'UTC');
  return ms === undefined ? undefined : toUtcIso(ms);
}
