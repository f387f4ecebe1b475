// Moving one booking's event to another calendar, exactly once and resumable. Graph has no move for
// events (https://learn.microsoft.com/en-us/graph/api/resources/event#methods lists none), so a move is a
// create in the new calendar and a delete in the old one, in three steps that each survive a crash:
// 1. the copy: looked up first by our extended property in the new calendar, POSTed only when it is not
//    there, with a transactionId of its own (the same on every retry, so Graph de-duplicates too);
// 2. the booking row is switched to the copy (connection, calendar, event id) with the ETag it was read
//    with, and keeps `movedFrom` with `moveState: removing` until step 3 is done;
// 3. the old event is deleted (already gone is done); deleting a meeting from the organizer's calendar sends
//    its attendees a cancellation (https://learn.microsoft.com/en-us/graph/api/event-delete), as the copy
//    sent them an invitation.
// A crash before step 2 finds the copy in step 1; a crash after it finds `removing` and does step 3.
// What a copy made by POST does not carry over by itself:
// - a series' exceptions: a new series has none; they are written again on the copy (carry-exceptions.ts);
// - an online meeting's join details: onlineMeeting is read-only, and Graph sets up a new meeting for an
//   event created with isOnlineMeeting (https://learn.microsoft.com/en-us/graph/api/resources/event#properties,
//   https://learn.microsoft.com/en-us/graph/outlook-calendar-online-meetings), so the copy has a join URL of
//   its own, with the provider the new calendar allows; deleting the old event cancels the old meeting. The
//   booking system gets booking.online_meeting_ready with the new join URL (or, when Outlook sets the meeting
//   up later, push sync sends it then, as after a create).
import type { Client } from '@microsoft/microsoft-graph-client';
import { categorizeGraphError } from '../graph/client.js';
import { createEvent, deleteEvent, findEventByProperty, getEventForCopy, type GraphEvent } from '../graph/events.js';
import { BOOKING_PROPERTY_ID, bookingPropertyValue, eventFields, transactionIdFor } from '../bookings/event-mapping.js';
import { meetingProviderFor, onlineMeetingOf } from '../bookings/online-meeting.js';
import { seriesEventFields } from '../bookings/recurrence.js';
import { emitWebhookEvent, stableEventId } from '../webhooks/emit.js';
import { carryExceptions } from './carry-exceptions.js';
import type { Services } from '../services.js';
import { ConcurrencyError } from '../store/errors.js';
import type { BookingEntity, OccurrenceRecord } from '../store/repositories/bookings.js';
import type { BookingMoveProgress, ConnectionEntity } from '../store/repositories/connections.js';
import type { Versioned } from '../store/repository.js';

/** What became of one booking: moved (`left`: the old event could not be removed), failed, or not this move's. */
export type MoveOutcome = 'moved' | 'left' | 'failed' | 'skipped';

/** The two ends of a move, with Graph clients (`fromGraph` undefined: the old connection has no access). */
export interface MoveEnds {
  move: BookingMoveProgress;
  from: ConnectionEntity;
  fromGraph: Client | undefined;
  to: ConnectionEntity;
  toGraph: Client;
}

/** A transactionId for the copy: another than the booking's own, which Graph may still hold for the old event. */
export function moveTransactionId(clientId: string, bookingId: string, moveId: string): string {
  return transactionIdFor(clientId, `${bookingId}\nmove\n${moveId}`);
}

const MAX_ROUNDS = 4;

export async function moveBookingEvent(services: Services, ends: MoveEnds, row: Versioned<BookingEntity>): Promise<MoveOutcome> {
  const { move } = ends;
  let current: Versioned<BookingEntity> | null = row;
  for (let round = 1; current && round <= MAX_ROUNDS; round += 1) {
    const booking: BookingEntity = current.entity;
    if (booking.moveId === move.id) {
      if (booking.moveState === 'removing') return removeOldEvent(services, ends, current);
      if (booking.moveState === 'done') return 'moved';
      if (booking.moveState === 'left') return 'left';
      return 'failed';
    }
    if (booking.status !== 'confirmed' || !booking.eventId) return 'skipped';
    if (booking.connectionId !== ends.from.rowKey) return 'skipped';
    if (move.kind === 'calendar' && booking.calendarId !== move.fromCalendarId) return 'skipped';
    let copy: Copy | undefined;
    try {
      copy = await copyInto(services, ends, booking);
    } catch (error) {
      if (isTransient(error)) throw error; // the queue message is retried; the lookup finds a copy made meanwhile
      console.warn(`move ${move.id}: booking ${booking.rowKey} not moved: ${categorizeGraphError(error)}`);
      current = await markFailed(services, current, move.id);
      if (current === null) continue;
      return 'failed';
    }
    try {
      current = await services.store.bookings.update(switchedRow(ends, booking, copy), current.etag);
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
      current = await services.store.bookings.getBooking(booking.partitionKey, booking.rowKey);
      // Cancelled (or gone) while the copy was made: the copy must not outlive the booking.
      if (!current || current.entity.status !== 'confirmed') {
        await deleteEvent(ends.toGraph, move.toCalendarId, copy.event.id, timeouts(services)).catch(() => undefined);
        return 'skipped';
      }
      continue;
    }
    return removeOldEvent(services, ends, current);
  }
  return 'skipped';
}

/** The copy in the new calendar, and the series' occurrence records as they stand on it. */
interface Copy {
  event: GraphEvent;
  occurrences: OccurrenceRecord[] | undefined;
}

/** Step 1: the copy in the new calendar, found or created, with the series' exceptions written on it. */
async function copyInto(services: Services, ends: MoveEnds, booking: BookingEntity): Promise<Copy> {
  const t = timeouts(services);
  const { move, toGraph } = ends;
  const property = bookingPropertyValue(booking.partitionKey, booking.rowKey);
  let event = await findEventByProperty(toGraph, move.toCalendarId, BOOKING_PROPERTY_ID, property, t);
  if (!event) {
    const source = ends.fromGraph ? await getEventForCopy(ends.fromGraph, booking.calendarId, booking.eventId!, t) : fromRow(booking, ends.to);
    const body: Record<string, unknown> = {
      ...copyable(source),
      transactionId: moveTransactionId(booking.partitionKey, booking.rowKey, move.id),
      singleValueExtendedProperties: [{ id: BOOKING_PROPERTY_ID, value: property }],
    };
    // The new calendar's provider (another account's may offer another one, or none: then 422, and the
    // booking stays where it is, counted as failed).
    if (body.isOnlineMeeting === true) body.onlineMeetingProvider = await meetingProviderFor(toGraph, move.toCalendarId, t);
    event = await createEvent(toGraph, move.toCalendarId, body, t);
  }
  return { event, occurrences: await carryExceptions(toGraph, move.toCalendarId, event.id, booking, t) };
}

/** The event as the booking row knows it, when the old calendar can no longer be read (its connection lost access). */
function fromRow(booking: BookingEntity, to: ConnectionEntity): Record<string, unknown> {
  const startMs = booking.start?.getTime();
  const endMs = booking.end?.getTime();
  const timeZone = booking.timeZone ?? 'UTC';
  return {
    ...eventFields({ subject: booking.subject, startMs, endMs, timeZone, isOnlineMeeting: booking.onlineMeeting ? true : undefined }, to.defaultReminderMinutes ?? null),
    ...(startMs !== undefined && endMs !== undefined ? seriesEventFields({ startMs, endMs, timeZone, isAllDay: booking.isAllDay, recurrence: booking.recurrence }) : {}),
  };
}

/** The properties a create accepts: attendees without their (read-only) responses, no nulls, no id or etag. */
export function copyable(source: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (value === null || value === undefined || key.startsWith('@odata') || key === 'id') continue;
    out[key] = value;
  }
  if (Array.isArray(out.attendees)) {
    out.attendees = (out.attendees as { emailAddress?: unknown; type?: unknown }[]).map((a) => ({ emailAddress: a.emailAddress, type: a.type }));
  }
  return out;
}

/** Step 2: the row names the copy; where the event was stays until the old one is removed. */
function switchedRow(ends: MoveEnds, booking: BookingEntity, { event: copy, occurrences }: Copy): BookingEntity {
  return {
    ...booking,
    occurrences,
    // The copy's own meeting (its join URL, or null until Outlook sets it up), never the old event's.
    onlineMeeting: onlineMeetingOf(copy),
    connectionId: ends.to.rowKey,
    calendarId: ends.move.toCalendarId,
    eventId: copy.id,
    eventEtag: copy['@odata.etag'] ?? booking.eventEtag,
    reportedEtag: undefined,
    webLink: copy.webLink ?? booking.webLink,
    transactionId: moveTransactionId(booking.partitionKey, booking.rowKey, ends.move.id),
    moveId: ends.move.id,
    moveState: 'removing',
    movedFrom: { connectionId: booking.connectionId, calendarId: booking.calendarId, eventId: booking.eventId! },
    updatedAt: new Date(),
  };
}

/** Step 3: the old event deleted (or left, when its connection has no access any more), then recorded. */
async function removeOldEvent(services: Services, ends: MoveEnds, row: Versioned<BookingEntity>): Promise<MoveOutcome> {
  const from = row.entity.movedFrom;
  await announceMeeting(services, row.entity);
  let outcome: 'done' | 'left' = 'left';
  if (from && ends.fromGraph && from.connectionId === ends.from.rowKey) {
    try {
      await deleteEvent(ends.fromGraph, from.calendarId, from.eventId, timeouts(services));
      outcome = 'done';
    } catch (error) {
      const category = categorizeGraphError(error);
      if (category === 'not_found') outcome = 'done';
      else if (isTransient(error)) throw error;
    }
  }
  await services.store.bookings.mutate(row.entity.partitionKey, row.entity.rowKey, (current) =>
    current.moveId === ends.move.id && current.moveState === 'removing'
      ? { ...current, moveState: outcome, movedFrom: outcome === 'done' ? undefined : current.movedFrom, updatedAt: new Date() }
      : current,
  { known: row });
  return outcome === 'done' ? 'moved' : 'left';
}

/**
 * booking.online_meeting_ready for the copy's join URL, before the move is recorded done: a crash in between
 * sends it again with the same id (the one push sync would give it, so a round that sees the copy repeats it
 * rather than sending a second event).
 */
async function announceMeeting(services: Services, booking: BookingEntity): Promise<void> {
  const meeting = booking.onlineMeeting;
  if (!meeting?.joinUrl || !booking.eventId) return;
  const data = { connectionId: booking.connectionId, bookingId: booking.rowKey, calendarId: booking.calendarId ?? 'default', eventId: booking.eventId, onlineMeeting: meeting };
  const id = stableEventId('booking.online_meeting_ready', booking.partitionKey, booking.rowKey, booking.eventId, meeting.joinUrl);
  await emitWebhookEvent(services.config.storage, booking.partitionKey, 'booking.online_meeting_ready', data, id);
}

/** Records that this move could not move the booking; null when the row changed meanwhile (look again). */
async function markFailed(services: Services, row: Versioned<BookingEntity>, moveId: string): Promise<Versioned<BookingEntity> | null> {
  try {
    await services.store.bookings.update({ ...row.entity, moveId, moveState: 'failed', updatedAt: new Date() }, row.etag);
    return row;
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error;
    return services.store.bookings.getBooking(row.entity.partitionKey, row.entity.rowKey);
  }
}

/** Throttling, 5xx, a timeout or no answer: worth the queue's retry. */
function isTransient(error: unknown): boolean {
  const category = categorizeGraphError(error);
  return category === 'throttled' || category === 'server';
}

function timeouts(services: Services): { timeoutMs: number } {
  return { timeoutMs: services.config.graphTimeoutMs };
}
