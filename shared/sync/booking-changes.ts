// Changes made in Outlook to events our bookings created: moved, deleted, declined by an attendee or a room.
// Every delta item that belongs to a booking (our transactionId, the event id of a live booking, or a cache
// row that says so) is compared with the booking row itself (event id, start, end, etag, status), never
// with the busy cache, which may not have seen the event yet (a change in the same round as the create).
// The booking row records what was reported: reportedEtag (a version equal to it, or to eventEtag, our own
// write, was already handled; eventEtag itself stays our write, so a PATCH still sees the Outlook change), its
// start/end (the event's times once a move is reported) and declinedBy. A replayed
// round therefore says nothing twice, except after a crash between a report and its record (at least once).
import type { Client } from '@microsoft/microsoft-graph-client';
import { odata } from '@azure/data-tables';
import { categorizeGraphError } from '../graph/client.js';
import { getEvent, type GraphAttendee } from '../graph/events.js';
import type { DeltaEvent } from '../graph/delta.js';
import type { BookingEntity } from '../store/repositories/bookings.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { escapeKey } from '../store/keys.js';
import { deltaEventToCached } from './delta-to-cache.js';
import type { SyncDeps } from './sync-deps.js';
import { stableEventId } from '../webhooks/emit.js';
import { newJoinUrl, onlineMeetingOf } from '../bookings/online-meeting.js';

const READ_TIMEOUT_MS = 15_000;

/** The connection's live bookings (not cancelled), read once per round and only when a round needs them. */
export class BookingIndex {
  private loaded: Promise<{ byTransaction: Map<string, BookingEntity>; byEvent: Map<string, BookingEntity>; all: BookingEntity[] }> | undefined;

  constructor(
    private readonly deps: SyncDeps,
    private readonly connection: ConnectionEntity,
  ) {}

  /** `clientId/bookingId` of the booking an event belongs to: from the cache row, else by transactionId or event id. */
  async refFor(eventId: string, transactionId: string | undefined, cachedRef: string | undefined): Promise<string | undefined> {
    if (cachedRef) return cachedRef;
    const index = await this.load();
    const booking = (transactionId ? index.byTransaction.get(transactionId) : undefined) ?? index.byEvent.get(eventId);
    return booking ? `${booking.partitionKey}/${booking.rowKey}` : undefined;
  }

  /** The live series booking whose series master is `seriesMasterId`, if any. */
  async series(seriesMasterId: string | null | undefined): Promise<BookingEntity | undefined> {
    if (!seriesMasterId) return undefined;
    const booking = (await this.load()).byEvent.get(seriesMasterId);
    return booking?.recurrence ? booking : undefined;
  }

  /** The live series booking a `clientId/bookingId` reference names, if it is one. */
  async seriesByRef(ref: string): Promise<BookingEntity | undefined> {
    const ids = splitRef(ref);
    return (await this.load()).all.find((b) => b.recurrence && ids && b.partitionKey === ids.clientId && b.rowKey === ids.bookingId);
  }

  /** Live bookings whose event is in `calendarId`. */
  async inCalendar(calendarId: string): Promise<BookingEntity[]> {
    return (await this.load()).all.filter((b) => b.calendarId === calendarId);
  }

  private load() {
    this.loaded ??= (async () => {
      const byTransaction = new Map<string, BookingEntity>();
      const byEvent = new Map<string, BookingEntity>();
      const all: BookingEntity[] = [];
      const filter = odata`PartitionKey eq ${escapeKey(this.connection.partitionKey)} and connectionId eq ${this.connection.rowKey} and status ne ${'cancelled'}`;
      for await (const { entity } of this.deps.services.store.bookings.queryAll(filter)) {
        all.push(entity);
        byTransaction.set(entity.transactionId, entity);
        if (entity.eventId) byEvent.set(entity.eventId, entity);
      }
      return { byTransaction, byEvent, all };
    })();
    return this.loaded;
  }
}

function splitRef(ref: string): { clientId: string; bookingId: string } | undefined {
  const i = ref.indexOf('/');
  return i > 0 ? { clientId: ref.slice(0, i), bookingId: ref.slice(i + 1) } : undefined;
}

const etagOf = (e: DeltaEvent) => e['@odata.etag'] ?? e.changeKey;

/** The booking a reference names, if it is this connection's, still live, and (once known) on this event. */
async function liveBooking(deps: SyncDeps, connection: ConnectionEntity, ref: string, eventId: string): Promise<BookingEntity | undefined> {
  const ids = splitRef(ref);
  if (!ids || ids.clientId !== connection.partitionKey) return undefined; // another client's property value: never ours to report
  const booking = (await deps.services.store.bookings.getBooking(ids.clientId, ids.bookingId))?.entity;
  if (!booking || booking.connectionId !== connection.rowKey || booking.status === 'cancelled') return undefined;
  if (booking.eventId && booking.eventId !== eventId) return undefined; // the booking moved on to another event
  return booking;
}

/**
 * Attendees who declined: rooms and required attendees. The organizer's own responseStatus is `organizer`
 * on every event we create; the answers are in attendees[].status
 * (https://learn.microsoft.com/en-us/graph/api/resources/attendee?view=graph-rest-1.0).
 */
function declinedAttendees(attendees: readonly GraphAttendee[] | undefined): { email: string; name?: string; type: string }[] {
  return (attendees ?? [])
    .filter((a) => (a.type === 'resource' || a.type === 'required') && a.status?.response === 'declined' && a.emailAddress?.address)
    .map((a) => ({ email: a.emailAddress!.address!, name: a.emailAddress?.name, type: a.type! }));
}

/**
 * A booking's event as it is now in Outlook (from a delta item or a read): reports what the booking row does
 * not know yet. Returns the event's end when the booking stays live.
 */
export async function reportBookingEvent(deps: SyncDeps, connection: ConnectionEntity, calendarId: string, ref: string, event: DeltaEvent): Promise<Date | undefined> {
  const booking = await liveBooking(deps, connection, ref, event.id);
  if (!booking) return undefined;
  if (event.isCancelled) return reportDeleted(deps, connection, calendarId, booking, event.id);
  const etag = etagOf(event);
  const sameVersion = etag !== undefined && (booking.eventEtag === etag || booking.reportedEtag === etag);
  const now = deltaEventToCached(event, ref);
  const moved = !sameVersion && now !== undefined && (booking.start?.getTime() !== now.start.getTime() || booking.end?.getTime() !== now.end.getTime());
  const declined = declinedAttendees(event.attendees);
  const reported = new Set((booking.declinedBy ?? []).map((e) => e.toLowerCase()));
  const newlyDeclined = declined.filter((a) => !reported.has(a.email.toLowerCase()));
  const base = { connectionId: connection.rowKey, bookingId: booking.rowKey, calendarId, eventId: event.id };
  const meeting = onlineMeetingOf(event);
  const readyMeeting = newJoinUrl(event, booking);
  // Tell the booking system before recording it: a crash in between repeats a report, never loses one.
  // Ids follow the facts reported, so a report made again (a round repeated after a crash) keeps its id.
  const version = etag ?? `${now?.start.toISOString()}|${now?.end.toISOString()}`;
  if (moved) {
    const data = { ...base, change: 'moved' as const, start: now.start.toISOString(), end: now.end.toISOString(), showAs: now.showAs, onlineMeeting: meeting };
    await deps.emit(booking.partitionKey, 'booking.changed_in_calendar', data, stableEventId('booking.changed_in_calendar', booking.partitionKey, booking.rowKey, event.id, version));
  }
  if (newlyDeclined.length > 0) {
    const who = newlyDeclined.map((a) => a.email.toLowerCase()).join(',');
    const id = stableEventId('booking.declined_in_calendar', booking.partitionKey, booking.rowKey, event.id, version, who);
    await deps.emit(booking.partitionKey, 'booking.declined_in_calendar', { ...base, declinedBy: newlyDeclined }, id);
  }
  if (readyMeeting?.joinUrl) {
    const id = stableEventId('booking.online_meeting_ready', booking.partitionKey, booking.rowKey, event.id, readyMeeting.joinUrl);
    await deps.emit(booking.partitionKey, 'booking.online_meeting_ready', { ...base, onlineMeeting: readyMeeting }, id);
  }
  const declinedBy = declined.map((a) => a.email.toLowerCase());
  if (sameVersion && !readyMeeting && sameList(declinedBy, booking.declinedBy)) return now?.end;
  await deps.services.store.bookings.mutate(booking.partitionKey, booking.rowKey, (current) => ({
    ...current,
    reportedEtag: etag ?? current.reportedEtag,
    start: moved ? now.start : current.start,
    end: moved ? now.end : current.end,
    movedInCalendar: moved || current.movedInCalendar,
    declinedBy,
    onlineMeeting: readyMeeting ?? current.onlineMeeting,
    updatedAt: new Date(),
  }));
  return now?.end;
}

const sameList = (a: readonly string[], b: readonly string[] | undefined) => a.length === (b?.length ?? 0) && a.every((x) => b!.includes(x));

/**
 * A booking's event left the calendar view (`@removed`, or missing from a full round). Graph says removed
 * both for a deleted event and for one moved out of the view's window
 * (https://learn.microsoft.com/en-us/graph/delta-query-events), so the event is read: gone (404) is a deletion.
 */
export async function reportRemovedBookingEvent(
  deps: SyncDeps,
  connection: ConnectionEntity,
  calendarId: string,
  ref: string,
  eventId: string,
  graph: Client,
): Promise<Date | undefined> {
  const booking = await liveBooking(deps, connection, ref, eventId);
  if (!booking) return undefined;
  try {
    const event = await getEvent(graph, calendarId, eventId, { timeoutMs: READ_TIMEOUT_MS });
    if (!event.isCancelled) return reportBookingEvent(deps, connection, calendarId, ref, { ...event, id: eventId } as DeltaEvent);
  } catch (error) {
    if (categorizeGraphError(error) !== 'not_found') throw error;
  }
  return reportDeleted(deps, connection, calendarId, booking, eventId);
}

async function reportDeleted(deps: SyncDeps, connection: ConnectionEntity, calendarId: string, booking: BookingEntity, eventId: string): Promise<undefined> {
  const id = stableEventId('booking.deleted_in_calendar', booking.partitionKey, booking.rowKey, eventId);
  await deps.emit(booking.partitionKey, 'booking.deleted_in_calendar', { connectionId: connection.rowKey, bookingId: booking.rowKey, calendarId, eventId }, id);
  await deps.services.store.bookings.mutate(booking.partitionKey, booking.rowKey, (current: BookingEntity) =>
    current.status === 'cancelled' ? current : { ...current, status: 'cancelled', cancelledAt: current.cancelledAt ?? new Date(), leaseUntil: undefined, updatedAt: new Date() },
  );
  return undefined;
}
