// POST /api/bookings, exactly once. The booking row is written `pending` (with the transactionId and a
// lease) BEFORE Graph is called, so every later attempt for the same bookingId finds it:
// - same payload, confirmed: the same event again (200); another payload: 409 booking_id_conflict;
// - pending and leased: another attempt is creating it right now, so wait for it;
// - pending with the lease released or run out (an earlier attempt ended without knowing whether Graph
//   created the event): take the lease over, look the event up by our extended property, and only if it is
//   not there POST the very same body again (same transactionId, so Graph itself de-duplicates too).
// A create that certainly created nothing (Graph said 4xx/429, or no request was sent) deletes its row.
import { setTimeout as sleep } from 'node:timers/promises';
import { assertWritesAllowed } from '../admin/pause.js';
import { DEFAULT_REMINDER_MINUTES } from '../connect/calendars.js';
import { createEvent, findEventByProperty, type GraphEvent } from '../graph/events.js';
import { graphStatus, isGraphAnswer } from '../graph/graph-problems.js';
import { AppError } from '../errors/app-error.js';
import type { Services } from '../services.js';
import { ConcurrencyError, ConflictError } from '../store/errors.js';
import type { ClientEntity } from '../store/repositories/clients.js';
import type { BookingEntity } from '../store/repositories/bookings.js';
import type { Versioned } from '../store/repository.js';
import type { CreateBookingRequest } from './booking-request.js';
import { connectedGraph } from './connection-access.js';
import { meetingProviderFor, meetingToKeep } from './online-meeting.js';
import { bookingTarget, withRoomInvite, type BookingTarget } from '../spaces/space-bookings.js';
import { watchBookingAhead } from '../sync/booking-window.js';
import { seriesRowFields } from './recurrence.js';
import { BOOKING_PROPERTY_ID, bookingFingerprint, bookingPropertyValue, bookingToEvent, transactionIdFor } from './event-mapping.js';

export interface CreateBookingResult {
  /** False when an earlier request already created the event (answer 200, not 201). */
  created: boolean;
  booking: BookingEntity;
}

const POLL_MS = 100;
/** How long a request waits for a concurrent attempt on the same bookingId before answering 409. */
const MAX_WAIT_MS = 25_000;
const MAX_ROUNDS = 4;

/** How long a create attempt holds a pending row: its Graph calls, their retries, and some slack. */
export function leaseMs(services: Services): number {
  return 2 * services.config.graphTimeoutMs + 10_000;
}

export async function createBooking(services: Services, client: ClientEntity, request: CreateBookingRequest): Promise<CreateBookingResult> {
  const clientId = client.rowKey;
  const fingerprint = bookingFingerprint(request);
  // A new bookingId is the common case: insert the pending row straight away (the insert itself tells us
  // when the id exists), rather than read first. Only a retry or a concurrent create pays the read.
  let exists = false;
  for (let round = 1; ; round += 1) {
    const existing = exists ? await services.store.bookings.getBooking(clientId, request.bookingId) : null;
    if (existing) {
      const outcome = await resume(services, client, request, fingerprint, existing);
      if (outcome) return outcome;
    } else {
      const target = await bookingTarget(services, clientId, request);
      await assertWritesAllowed(services, client);
      const row = pendingRow(services, clientId, target, request, fingerprint);
      let saved: Versioned<BookingEntity>;
      try {
        saved = await services.store.bookings.create(row);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        // The id exists (an earlier or concurrent request): go round and treat it as an existing booking.
        exists = true;
        continue;
      }
      return await attemptCreate(services, target, request, saved, false);
    }
    if (round >= MAX_ROUNDS) throw inProgress();
  }
}

function pendingRow(services: Services, clientId: string, target: BookingTarget, request: CreateBookingRequest, fingerprint: string): BookingEntity {
  const now = new Date();
  return {
    partitionKey: clientId,
    rowKey: request.bookingId,
    connectionId: target.owner.rowKey,
    spaceId: request.spaceId,
    status: 'pending',
    transactionId: transactionIdFor(clientId, request.bookingId),
    calendarId: target.owner.bookingCalendarId,
    fingerprint,
    subject: request.subject,
    start: new Date(request.startMs),
    end: new Date(request.endMs),
    timeZone: request.timeZone,
    ...seriesRowFields(request),
    hasAttendees: (request.attendees?.length ?? 0) > 0 || target.room !== undefined,
    leaseUntil: new Date(now.getTime() + leaseMs(services)),
    createdAt: now,
  };
}

/** An existing row for the bookingId: the answer, or undefined to go round again (the row went away). */
async function resume(
  services: Services,
  client: ClientEntity,
  request: CreateBookingRequest,
  fingerprint: string,
  found: Versioned<BookingEntity>,
): Promise<CreateBookingResult | undefined> {
  let current: Versioned<BookingEntity> | null = found;
  const waitUntil = Date.now() + MAX_WAIT_MS;
  for (;;) {
    const booking: BookingEntity = current.entity;
    if (booking.fingerprint !== fingerprint) {
      throw new AppError('booking_id_conflict', 'bookingId: a booking with this id exists with different details', { field: 'bookingId' });
    }
    if (booking.status === 'confirmed') return { created: false, booking };
    if (booking.status === 'cancelled') throw new AppError('booking_cancelled', 'bookingId: this booking was cancelled', { field: 'bookingId' });
    const leaseOver = !booking.leaseUntil || booking.leaseUntil.getTime() <= Date.now();
    if (booking.status !== 'pending' || leaseOver) return takeOver(services, client, request, current);
    if (Date.now() >= waitUntil) throw inProgress();
    await sleep(POLL_MS);
    current = await services.store.bookings.getBooking(booking.partitionKey, booking.rowKey);
    if (!current) return undefined;
  }
}

/** Claims a pending row whose attempt ended without an answer, and finishes the create. */
async function takeOver(services: Services, client: ClientEntity, request: CreateBookingRequest, found: Versioned<BookingEntity>): Promise<CreateBookingResult | undefined> {
  const target = await bookingTarget(services, found.entity.partitionKey, request);
  await assertWritesAllowed(services, client);
  let claimed: Versioned<BookingEntity>;
  try {
    claimed = await services.store.bookings.update(
      { ...found.entity, status: 'pending', leaseUntil: new Date(Date.now() + leaseMs(services)), updatedAt: new Date() },
      found.etag,
    );
  } catch (error) {
    // Someone else claimed or finished it first: look again.
    if (error instanceof ConcurrencyError || (error as AppError).status === 404) return undefined;
    throw error;
  }
  return attemptCreate(services, target, request, claimed, true);
}

/** The Graph part of a create, holding the row's lease; `reconcile`: look for the event before POSTing. */
async function attemptCreate(
  services: Services,
  target: BookingTarget,
  request: CreateBookingRequest,
  row: Versioned<BookingEntity>,
  reconcile: boolean,
): Promise<CreateBookingResult> {
  const clientId = row.entity.partitionKey;
  const calendarId = row.entity.calendarId;
  const timeouts = { timeoutMs: services.config.graphTimeoutMs };
  let postSent = false;
  let event: GraphEvent;
  try {
    const connection = target.owner;
    const { call } = await connectedGraph(services, connection);
    event = await call(async (graph) => {
      const found = reconcile
        ? await findEventByProperty(graph, calendarId, BOOKING_PROPERTY_ID, bookingPropertyValue(clientId, request.bookingId), timeouts)
        : undefined;
      if (found) return found;
      postSent = true;
      const defaultReminderMinutes = connection.defaultReminderMinutes ?? DEFAULT_REMINDER_MINUTES;
      // Before the POST: a calendar that allows no provider is a 422 and no event (the row is then deleted).
      const onlineMeetingProvider = request.isOnlineMeeting ? await meetingProviderFor(graph, calendarId, timeouts) : undefined;
      const body = bookingToEvent(request, { clientId, defaultReminderMinutes, onlineMeetingProvider });
      return createEvent(graph, calendarId, withRoomInvite(body, target.room), timeouts);
    });
  } catch (error) {
    // Before any POST only an earlier attempt (the reason for reconciling) can have created the event.
    await settleFailedAttempt(services, row, postSent ? isAmbiguous(error) : reconcile);
    throw error;
  }
  // `row` is the pending row as this attempt wrote or claimed it: the confirmation starts from its ETag.
  const saved = await services.store.bookings.mutate(clientId, request.bookingId, (current) => ({
    ...current,
    status: 'confirmed',
    eventId: event.id,
    calendarId,
    eventEtag: event['@odata.etag'] ?? current.eventEtag,
    webLink: event.webLink ?? current.webLink,
    onlineMeeting: meetingToKeep(event, current.onlineMeeting),
    leaseUntil: undefined,
    updatedAt: new Date(),
  }), { known: row });
  await watchBookingAhead(services, saved.entity);
  return { created: true, booking: saved.entity };
}

/**
 * After a failed attempt: when Graph may have created the event, release the lease so the next retry
 * reconciles at once; when it certainly did not, delete the row (unless someone else has claimed it since).
 */
async function settleFailedAttempt(services: Services, row: Versioned<BookingEntity>, ambiguous: boolean): Promise<void> {
  const { partitionKey, rowKey } = row.entity;
  try {
    if (ambiguous) {
      await services.store.bookings.update({ ...row.entity, leaseUntil: new Date(), updatedAt: new Date() }, row.etag);
    } else {
      await services.store.bookings.delete(partitionKey, rowKey, { etag: row.etag });
    }
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) console.warn(`booking ${rowKey}: could not settle a failed create: ${String(error)}`);
  }
}

/** A failure after which Graph may have created the event: no answer at all, or a 5xx. */
function isAmbiguous(error: unknown): boolean {
  // Our own problems (pause, reauth) carry no cause: nothing reached Graph.
  const cause = (error as AppError).options?.cause;
  if (cause === undefined) return false;
  return !isGraphAnswer(cause) || (graphStatus(cause) ?? 0) >= 500;
}

function inProgress(): AppError {
  return new AppError('booking_in_progress', 'bookingId: another request is creating this booking; retry shortly', {
    field: 'bookingId',
    headers: { 'Retry-After': '2' },
  });
}
