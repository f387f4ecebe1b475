// Booking -> Graph event body. Deterministic: the same booking always maps to the same body, so a retried
// POST carries the same transactionId and Graph creates no second event
// (transactionId: https://learn.microsoft.com/en-us/graph/api/resources/event#properties).
import type { CreateBookingRequest } from './booking-request.js';
import { toGraphDateTime } from '../time/windows-zones.js';
import { sha256Base64Url, sha256Hex } from '../sha256.js';
import { seriesEventFields } from './recurrence.js';

/**
 * Our single-value extended property: `String {GUID} Name CalendarBridgeBooking`, value `clientId/bookingId`.
 * The sync recognises events that bookings created by it, also after they are moved in Outlook.
 */
export const BOOKING_PROPERTY_ID = 'String {6c2f4d1a-8b3e-4f5a-9c7d-0e1f2a3b4c5d} Name CalendarBridgeBooking';

export function bookingPropertyValue(clientId: string, bookingId: string): string {
  return `${clientId}/${bookingId}`;
}

/** A UUID (RFC 9562 version 8) derived from the client and booking ids: stable across retries. */
export function transactionIdFor(clientId: string, bookingId: string): string {
  const hex = sha256Hex(`calendar-bridge\n${clientId}\n${bookingId}`);
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A digest of what the booking system asked for, to tell a retry from a reused bookingId. */
export function bookingFingerprint(request: CreateBookingRequest): string {
  return sha256Base64Url(canonicalJson(request));
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface EventDefaults {
  clientId: string;
  /** The connection's default reminder, used when the booking does not say. */
  defaultReminderMinutes: number | null;
  /** The booking calendar's online meeting provider (online-meeting.ts), when the booking is an online meeting. */
  onlineMeetingProvider?: string;
}

export type GraphEventBody = Record<string, unknown>;

/** The fields of a booking as Graph event properties (shared by create and update). */
export function eventFields(
  booking: Partial<Omit<CreateBookingRequest, 'bookingId' | 'connectionId' | 'spaceId'>> & { startMs?: number; endMs?: number },
  /** undefined (an update): leave the reminder alone unless the booking says. */
  defaultReminderMinutes: number | null | undefined,
  /** The calendar's provider for an online meeting (online-meeting.ts). */
  onlineMeetingProvider?: string,
): GraphEventBody {
  const event: GraphEventBody = {};
  if (booking.subject !== undefined) event.subject = booking.subject;
  if (booking.startMs !== undefined && booking.timeZone) event.start = toGraphDateTime(booking.startMs, booking.timeZone);
  if (booking.endMs !== undefined && booking.timeZone) event.end = toGraphDateTime(booking.endMs, booking.timeZone);
  if (booking.body !== undefined) event.body = booking.body;
  if (booking.location !== undefined) event.location = booking.location;
  if (booking.attendees !== undefined) {
    event.attendees = booking.attendees.map((a) => ({ emailAddress: { address: a.email, name: a.name ?? a.email }, type: a.type }));
  }
  if (booking.reminderMinutes !== undefined || defaultReminderMinutes !== undefined) {
    const minutes = booking.reminderMinutes === undefined ? defaultReminderMinutes : booking.reminderMinutes;
    event.isReminderOn = minutes !== null;
    if (minutes !== null) event.reminderMinutesBeforeStart = minutes;
  }
  if (booking.isOnlineMeeting !== undefined) {
    event.isOnlineMeeting = booking.isOnlineMeeting;
    if (booking.isOnlineMeeting && onlineMeetingProvider) event.onlineMeetingProvider = onlineMeetingProvider;
  }
  if (booking.showAs !== undefined) event.showAs = booking.showAs;
  if (booking.categories !== undefined) event.categories = booking.categories;
  return event;
}

export function bookingToEvent(booking: CreateBookingRequest, defaults: EventDefaults): GraphEventBody {
  return {
    ...eventFields(booking, defaults.defaultReminderMinutes, defaults.onlineMeetingProvider),
    ...seriesEventFields(booking),
    transactionId: transactionIdFor(defaults.clientId, booking.bookingId),
    singleValueExtendedProperties: [{ id: BOOKING_PROPERTY_ID, value: bookingPropertyValue(defaults.clientId, booking.bookingId) }],
  };
}
