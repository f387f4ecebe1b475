// Moving a connection's future bookings to another calendar: when the booking calendar is switched
// (`PATCH /api/connections/{id}` with `moveFutureBookings`), or when a person's new connection adopts the
// bookings of their old one (`POST /api/connections/{id}/adopt-bookings`). The request only records the move
// on the receiving connection and queues its first message; the work runs on the connection-upkeep queue,
// one page of bookings per message, the next page's continuation and the counts so far travelling in the
// message (a message retried after a crash recounts its page from the same counts, so nothing is counted
// twice). Each booking moves exactly once (move-booking-event.ts). The last page marks the move done, sends
// `connection.bookings_moved` (its id derived from the move, so a repeat is the same event) and asks push
// sync for a round of both calendars.
import { randomUUID } from 'node:crypto';
import { odata } from '@azure/data-tables';
import type { Client } from '@microsoft/microsoft-graph-client';
import { isSyncPaused } from '../admin/pause.js';
import { ConnectionNotActiveError, getAccessToken, getGraphClientForConnection, NeedsReauthError } from '../auth/connection-tokens.js';
import { AppError } from '../errors/app-error.js';
import { describeError } from '../logging.js';
import { enqueue } from '../queues/queue-client.js';
import type { Services } from '../services.js';
import { escapeKey } from '../store/keys.js';
import type { BookingMoveProgress, ConnectionEntity } from '../store/repositories/connections.js';
import { listConnectionSubscriptions, requestFullSync } from '../sync/calendar-subscriptions.js';
import { emitWebhookEvent, stableEventId } from '../webhooks/emit.js';
import { moveBookingEvent, type MoveEnds, type MoveOutcome } from './move-booking-event.js';

/** A running move this old is taken for dead (its messages went to the poison queue): a new one may start. */
const STALE_MOVE_MS = 24 * 3600_000;
/** The queue the move runs on (shared with the other resumable background work). */
export const MOVE_QUEUE = 'connection-upkeep';
/** Bookings per message: each is about five Graph calls to one or two mailboxes, so a page ends in seconds. */
export const MOVE_PAGE_SIZE = 10;
/** How long a message waits while the system is paused before it looks again. */
const PAUSED_DELAY_SECONDS = 60;
/** Failed booking ids kept on the connection (the webhook and GET show these; the rest are only counted). */
const MAX_FAILED_IDS = 100;

interface MoveCounts {
  moved: number;
  failed: number;
  leftInOldCalendar: number;
  failedBookingIds: string[];
}

export interface MoveMessage {
  kind: 'move-bookings';
  clientId: string;
  /** The receiving connection, which holds the move's progress. */
  connectionId: string;
  moveId: string;
  continuationToken?: string;
  /** Counts of the pages before this one. */
  counts?: MoveCounts;
}

export type MoveProgressOutcome = { kind: 'moving'; moveId: string; page: number; more: boolean } | { kind: 'move-stale'; moveId: string } | { kind: 'paused' };

/**
 * Records a move on `to` and queues it. 409 booking_move_in_progress while another move into `to` runs
 * (a second move could not know where the first one's bookings are).
 */
export async function startBookingMove(
  services: Services,
  to: ConnectionEntity,
  from: Pick<ConnectionEntity, 'rowKey' | 'bookingCalendarId'>,
  toCalendarId: string,
  kind: BookingMoveProgress['kind'],
): Promise<ConnectionEntity> {
  const now = new Date();
  const move: BookingMoveProgress = {
    id: randomUUID(),
    state: 'running',
    kind,
    fromConnectionId: from.rowKey,
    fromCalendarId: from.bookingCalendarId,
    toCalendarId,
    since: now.toISOString(),
    moved: 0,
    failed: 0,
    leftInOldCalendar: 0,
    failedBookingIds: [],
    startedAt: now.toISOString(),
  };
  const saved = await services.store.connections.mutate(to.partitionKey, to.rowKey, (current) => {
    assertNoMoveRunning(current);
    return { ...current, move, updatedAt: now };
  });
  const message: MoveMessage = { kind: 'move-bookings', clientId: to.partitionKey, connectionId: to.rowKey, moveId: move.id };
  await enqueue(services.config.storage, MOVE_QUEUE, message);
  return saved.entity;
}

/** 409 when a move into the connection is still running. */
export function assertNoMoveRunning(connection: ConnectionEntity): void {
  const move = connection.move;
  if (move?.state === 'running' && Date.now() - Date.parse(move.startedAt) < STALE_MOVE_MS) throw moveInProgress(move);
}

function moveInProgress(move: BookingMoveProgress): AppError {
  return new AppError('booking_move_in_progress', 'A move of future bookings into this connection is still running; wait for connection.bookings_moved.', {
    headers: { 'Retry-After': '10' },
    extra: { moveId: move.id },
  });
}

export function isMoveMessage(item: unknown): item is MoveMessage {
  const m = item as Partial<MoveMessage> | null;
  return typeof m === 'object' && m !== null && m.kind === 'move-bookings' && typeof m.clientId === 'string' && typeof m.connectionId === 'string' && typeof m.moveId === 'string';
}

/** One page of a move. Throws what the queue should retry (throttling, 5xx, storage). */
export async function processMoveMessage(services: Services, message: MoveMessage): Promise<MoveProgressOutcome> {
  const { store } = services;
  if (await isSyncPaused(services)) {
    // Not dropped as a scan would be: the move has no timer to start it again.
    await enqueue(services.config.storage, MOVE_QUEUE, message, PAUSED_DELAY_SECONDS);
    return { kind: 'paused' };
  }
  const to = (await store.connections.getConnection(message.clientId, message.connectionId))?.entity;
  const move = to?.move;
  if (!to || !move || move.id !== message.moveId || move.state !== 'running') return { kind: 'move-stale', moveId: message.moveId };
  const from = move.fromConnectionId === to.rowKey ? to : (await store.connections.getConnection(message.clientId, move.fromConnectionId))?.entity;
  const counts: MoveCounts = message.counts ?? { moved: 0, failed: 0, leftInOldCalendar: 0, failedBookingIds: [] };

  const toGraph = to.status === 'active' ? await graphOf(services, to) : undefined;
  if (!from || !toGraph) {
    // Nothing can be moved any more (the receiving connection lost access, or the old one is deleted).
    await finish(services, to, move, counts);
    return { kind: 'moving', moveId: move.id, page: 0, more: false };
  }
  const ends: MoveEnds = { move, from, fromGraph: from.status === 'active' ? await graphOf(services, from) : undefined, to, toGraph };
  const filter = bookingsOfMove(message.clientId, move);
  if (move.total === undefined) await recordTotal(services, to, move, await countMatching(services, filter));

  const page = await store.bookings.query(filter, { pageSize: MOVE_PAGE_SIZE, continuationToken: message.continuationToken });
  const next: MoveCounts = { ...counts, failedBookingIds: [...counts.failedBookingIds] };
  for (const row of page.items) {
    // One booking at a time: Outlook serves four concurrent requests per mailbox
    // (https://learn.microsoft.com/en-us/graph/throttling-limits).
    count(next, row.entity.rowKey, await moveBookingEvent(services, ends, row));
  }
  if (page.continuationToken) {
    await recordCounts(services, to, move, next);
    const following: MoveMessage = { ...message, continuationToken: page.continuationToken, counts: next };
    await enqueue(services.config.storage, MOVE_QUEUE, following);
  } else {
    await finish(services, to, move, next);
  }
  return { kind: 'moving', moveId: move.id, page: page.items.length, more: Boolean(page.continuationToken) };
}

/**
 * The bookings of a move: confirmed, in the old connection's old calendar, ending after the move began; and
 * those this move has already handled (so a page run again counts them again, from the same counts).
 */
function bookingsOfMove(clientId: string, move: BookingMoveProgress): string {
  const since = new Date(move.since);
  // A calendar switch moves the old booking calendar's bookings; an adoption all of the old connection's.
  const inCalendar = move.kind === 'calendar' ? odata` and calendarId eq ${move.fromCalendarId ?? ''}` : '';
  const pending = odata`connectionId eq ${move.fromConnectionId} and status eq ${'confirmed'} and end gt ${since}` + inCalendar;
  return `${odata`PartitionKey eq ${escapeKey(clientId)}`} and ((${pending}) or (${odata`moveId eq ${move.id}`}))`;
}

async function countMatching(services: Services, filter: string): Promise<number> {
  let n = 0;
  for await (const row of services.store.bookings.queryAll(filter)) if (row) n += 1;
  return n;
}

function count(counts: MoveCounts, bookingId: string, outcome: MoveOutcome): void {
  if (outcome === 'moved') counts.moved += 1;
  else if (outcome === 'left') {
    counts.moved += 1;
    counts.leftInOldCalendar += 1;
  } else if (outcome === 'failed') {
    counts.failed += 1;
    if (counts.failedBookingIds.length < MAX_FAILED_IDS) counts.failedBookingIds.push(bookingId);
  }
}

/** A Graph client whose token is known to work now; undefined when the connection has lost access. */
async function graphOf(services: Services, connection: ConnectionEntity): Promise<Client | undefined> {
  try {
    await getAccessToken(connection, {}, services);
  } catch (error) {
    // Marking the connection needs_reauth (and telling the booking system) is the token layer's job.
    if (error instanceof NeedsReauthError || error instanceof ConnectionNotActiveError) return undefined;
    throw error;
  }
  return getGraphClientForConnection(connection, services);
}

/** Changes the connection's move only while it is still this move. */
async function updateMove(services: Services, to: ConnectionEntity, move: BookingMoveProgress, change: (m: BookingMoveProgress) => BookingMoveProgress): Promise<BookingMoveProgress | undefined> {
  let result: BookingMoveProgress | undefined;
  await services.store.connections.mutate(to.partitionKey, to.rowKey, (current) => {
    if (current.move?.id !== move.id) return current;
    result = change(current.move);
    return { ...current, move: result };
  });
  return result;
}

function recordTotal(services: Services, to: ConnectionEntity, move: BookingMoveProgress, total: number) {
  return updateMove(services, to, move, (m) => ({ ...m, total }));
}

function recordCounts(services: Services, to: ConnectionEntity, move: BookingMoveProgress, counts: MoveCounts) {
  return updateMove(services, to, move, (m) => ({ ...m, ...counts }));
}

async function finish(services: Services, to: ConnectionEntity, move: BookingMoveProgress, counts: MoveCounts): Promise<void> {
  const done = await updateMove(services, to, move, (m) => (m.state === 'done' ? m : { ...m, ...counts, state: 'done', finishedAt: new Date().toISOString() }));
  if (!done) return;
  // Tell the booking system before anything else: a crash after this repeats the same event id.
  await emitWebhookEvent(
    services.config.storage,
    to.partitionKey,
    'connection.bookings_moved',
    {
      connectionId: to.rowKey,
      moveId: done.id,
      kind: done.kind,
      fromConnectionId: done.fromConnectionId,
      fromCalendarId: done.fromCalendarId ?? null,
      toCalendarId: done.toCalendarId,
      total: done.total ?? done.moved + done.failed,
      moved: done.moved,
      failed: done.failed,
      leftInOldCalendar: done.leftInOldCalendar,
      failedBookingIds: done.failedBookingIds,
    },
    stableEventId('connection.bookings_moved', to.partitionKey, done.id),
  );
  await resyncBoth(services, to, done).catch((error: unknown) => console.warn(`move ${done.id}: no resync requested: ${describeError(error)}`));
}

/**
 * Push sync sees the creates and deletes through its notifications; a full round of both calendars (where
 * they are watched) makes sure the busy cache of each ends as Outlook is, also for calendars whose
 * notifications ride on the mailbox subscription.
 */
async function resyncBoth(services: Services, to: ConnectionEntity, move: BookingMoveProgress): Promise<void> {
  const ends = [
    { connection: { partitionKey: to.partitionKey, rowKey: move.fromConnectionId }, calendarId: move.fromCalendarId },
    { connection: to, calendarId: move.toCalendarId },
  ];
  for (const { connection, calendarId } of ends) {
    if (!calendarId) continue;
    const watched = (await listConnectionSubscriptions(services, connection.partitionKey, connection.rowKey)).some((s) => s.calendarId === calendarId);
    if (watched) await requestFullSync(services, connection, calendarId);
  }
}
