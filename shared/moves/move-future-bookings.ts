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

type MoveCounts = Pick<BookingMoveProgress, 'moved' | 'failed' | 'leftInOldCalendar' | 'failedBookingIds'>;

/** "Run a page of this move": the page itself, its cursor and counts live on the connection's move. */
export interface MoveMessage {
  kind: 'move-bookings';
  clientId: string;
  /** The receiving connection, which holds the move's progress. */
  connectionId: string;
  moveId: string;
  /** Set on the recheck a worker queues for itself: the pages done when that worker claimed the move. */
  recheckOfPage?: number;
}

export type MoveProgressOutcome =
  | { kind: 'moving'; moveId: string; page: number; more: boolean }
  | { kind: 'move-stale'; moveId: string }
  | { kind: 'move-busy'; moveId: string }
  | { kind: 'paused' };

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
    pagesDone: 0,
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

/**
 * One page of a move. The worker holds the move by a lease on the connection and queues a recheck for when
 * the lease runs out: if the worker dies (mid-page, or between recording a page and queuing the next), the
 * recheck finds the lease free and carries on from the recorded cursor and counts. Two workers on one page
 * (a lease run out under a slow Graph) are safe: each booking's steps are conditional, and only the first
 * to record the page moves the cursor. Throws what the queue should retry (throttling, 5xx, storage).
 */
export async function processMoveMessage(services: Services, message: MoveMessage): Promise<MoveProgressOutcome> {
  const { store } = services;
  if (await isSyncPaused(services)) {
    // Not dropped as a scan would be: the move has no timer to start it again.
    await enqueue(services.config.storage, MOVE_QUEUE, message, PAUSED_DELAY_SECONDS);
    return { kind: 'paused' };
  }
  const found = (await store.connections.getConnection(message.clientId, message.connectionId))?.entity;
  const current = found?.move;
  if (!found || !current || current.id !== message.moveId) return { kind: 'move-stale', moveId: message.moveId };
  if (current.state === 'done') {
    if (!current.notified) await notify(services, found, current);
    return { kind: 'move-stale', moveId: message.moveId };
  }
  const lease = leaseMs(services);
  let seen = current;
  const claimed = await updateMove(services, found, current, (m) => {
    seen = m;
    return m.state === 'running' && (!m.leaseUntil || Date.parse(m.leaseUntil) <= Date.now()) ? { ...m, leaseUntil: new Date(Date.now() + lease).toISOString() } : undefined;
  });
  if (!claimed) {
    // Held. A recheck of the page still being worked on (its worker's heartbeat moved the lease past the
    // recheck) looks again when the lease runs out; anything else leaves the move to the holder, whose
    // own recheck watches it.
    if (message.recheckOfPage !== undefined && seen.state === 'running' && seen.pagesDone === message.recheckOfPage && seen.leaseUntil) {
      const wait = Math.max(1, Math.ceil((Date.parse(seen.leaseUntil) - Date.now()) / 1000) + 5);
      await enqueue(services.config.storage, MOVE_QUEUE, message, wait);
    }
    return { kind: 'move-busy', moveId: message.moveId };
  }
  const recheck: MoveMessage = { kind: 'move-bookings', clientId: message.clientId, connectionId: message.connectionId, moveId: message.moveId, recheckOfPage: claimed.pagesDone };
  await enqueue(services.config.storage, MOVE_QUEUE, recheck, Math.ceil(lease / 1000) + 5);

  const to = found;
  const from = claimed.fromConnectionId === to.rowKey ? to : (await store.connections.getConnection(message.clientId, claimed.fromConnectionId))?.entity;
  const toGraph = to.status === 'active' ? await graphOf(services, to) : undefined;
  if (!from || !toGraph) {
    // Nothing can be moved any more (the receiving connection lost access, or the old one is gone).
    await record(services, to, claimed, claimed, undefined);
    return { kind: 'moving', moveId: claimed.id, page: 0, more: false };
  }
  const ends: MoveEnds = { move: claimed, from, fromGraph: from.status === 'active' ? await graphOf(services, from) : undefined, to, toGraph };
  const filter = bookingsOfMove(message.clientId, claimed);
  const total = claimed.total ?? (await countMatching(services, filter));

  const page = await store.bookings.query(filter, { pageSize: MOVE_PAGE_SIZE, continuationToken: claimed.cursor });
  const counts: MoveCounts = { moved: claimed.moved, failed: claimed.failed, leftInOldCalendar: claimed.leftInOldCalendar, failedBookingIds: [...claimed.failedBookingIds] };
  for (const row of page.items) {
    // One booking at a time: Outlook serves four concurrent requests per mailbox
    // (https://learn.microsoft.com/en-us/graph/throttling-limits).
    count(counts, row.entity.rowKey, await moveBookingEvent(services, ends, row));
    // Heartbeat: the page is still being worked on, so the recheck leaves it alone.
    await updateMove(services, to, claimed, (m) => (m.pagesDone === claimed.pagesDone && m.state === 'running' ? { ...m, leaseUntil: new Date(Date.now() + lease).toISOString() } : undefined));
  }
  const recorded = await record(services, to, claimed, { ...claimed, ...counts, total }, page.continuationToken);
  const nextPage: MoveMessage = { kind: 'move-bookings', clientId: message.clientId, connectionId: message.connectionId, moveId: message.moveId };
  if (recorded?.state === 'running') await enqueue(services.config.storage, MOVE_QUEUE, nextPage);
  return { kind: 'moving', moveId: claimed.id, page: page.items.length, more: Boolean(page.continuationToken) };
}

/** How long a page may run before a recheck takes it over: about a booking's Graph calls and some slack. */
function leaseMs(services: Services): number {
  return 2 * services.config.graphTimeoutMs + 10_000;
}

/**
 * Records a finished page, only if no other worker recorded this page first: the counts, the next cursor,
 * and `done` after the last page (then the webhook). Undefined when another worker was first.
 */
async function record(services: Services, to: ConnectionEntity, claimed: BookingMoveProgress, next: BookingMoveProgress, cursor: string | undefined): Promise<BookingMoveProgress | undefined> {
  const done = cursor === undefined;
  const saved = await updateMove(services, to, claimed, (m) =>
    m.state === 'running' && m.pagesDone === claimed.pagesDone
      ? {
          ...next,
          pagesDone: claimed.pagesDone + 1,
          cursor,
          leaseUntil: undefined,
          ...(done ? { state: 'done' as const, finishedAt: new Date().toISOString() } : {}),
        }
      : undefined,
  );
  if (saved?.state === 'done') await notify(services, to, saved);
  return saved;
}

/**
 * The bookings of a move: confirmed, in the old connection's old calendar, ending after the move began; and
 * those this move has already handled (so a page run again counts them again, from the same counts).
 */
function bookingsOfMove(clientId: string, move: BookingMoveProgress): string {
  const since = new Date(move.since);
  // A calendar switch moves the old booking calendar's bookings; an adoption all of the old connection's.
  const inCalendar = move.kind === 'calendar' ? odata` and calendarId eq ${move.fromCalendarId ?? ''}` : '';
  // A series is a future booking while any occurrence is ahead (seriesEnd), even if its first one is over.
  const pending = odata`connectionId eq ${move.fromConnectionId} and status eq ${'confirmed'} and (end gt ${since} or seriesEnd gt ${since})` + inCalendar;
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

/** Changes the connection's move while it is still this move and `change` agrees (undefined: it did not). */
async function updateMove(
  services: Services,
  to: ConnectionEntity,
  move: BookingMoveProgress,
  change: (m: BookingMoveProgress) => BookingMoveProgress | undefined,
): Promise<BookingMoveProgress | undefined> {
  let result: BookingMoveProgress | undefined;
  await services.store.connections.mutate(to.partitionKey, to.rowKey, (current) => {
    result = current.move?.id === move.id ? change(current.move) : undefined;
    return result ? { ...current, move: result } : current;
  });
  return result;
}

/** connection.bookings_moved (its id derived from the move: sent again after a crash, it is the same event), then a resync. */
async function notify(services: Services, to: ConnectionEntity, done: BookingMoveProgress): Promise<void> {
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
  await updateMove(services, to, done, (m) => ({ ...m, notified: true }));
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
