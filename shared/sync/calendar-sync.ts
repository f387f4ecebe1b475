// One calendar's delta round, as the calendar-sync queue runs it (issue 6 point 3):
//   lease (coalescing: a round that started after the notification arrived covers it) -> settle ->
//   calendarView/delta from the stored link (full round when there is none, the cache is stale, or Graph
//   says the token is gone) -> booking changes and busy.changed -> busy cache written -> lease released.
// At-least-once safe: a message seen twice is covered by the first round, and a round replayed from the
// same delta link changes nothing (rows are keyed by event; booking reports are keyed by event etag).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@microsoft/microsoft-graph-client';
import { DeltaResetError, runDeltaRound, type DeltaEvent, type DeltaRound } from '../graph/delta.js';
import type { BusyEventEntity } from '../store/repositories/busy.js';
import { busyChangedEvent, loadCalendarOwner, type CalendarOwner } from './calendar-owner.js';
import { applyCalendarChanges, replaceCalendarBusy, type CachedEvent, type SyncWindow } from './busy-cache.js';
import { BookingIndex, reportChangedBookingEvent, reportDeletedBookingEvent } from './booking-changes.js';
import { busyChange } from './busy-change.js';
import { deltaEventToCached } from './delta-to-cache.js';
import { acquireSyncLease, releaseSyncLease } from './sync-lease.js';
import type { SyncDeps } from './sync-deps.js';

/** The cache covers yesterday to 90 days ahead; the daily resync timer slides it (resync-calendars.ts). */
export const WINDOW_PAST_DAYS = 1;
export const WINDOW_FUTURE_DAYS = 90;
const DAY_MS = 86_400_000;

export function syncWindow(now = new Date()): SyncWindow {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return { start: new Date(today - WINDOW_PAST_DAYS * DAY_MS), end: new Date(today + WINDOW_FUTURE_DAYS * DAY_MS) };
}

export interface SyncRequest {
  clientId: string;
  connectionId: string;
  calendarId: string;
  /** When the notification (or resync request) was accepted. */
  receivedAt: Date;
  /** A full round is wanted (resync, missed notifications, new subscription). */
  full: boolean;
}

export type SyncOutcome =
  | { kind: 'synced'; mode: 'full' | 'delta'; changed: number; removed: number; graphRequests: number }
  | { kind: 'covered' }
  | { kind: 'busy'; retryInMs: number }
  | { kind: 'skipped'; reason: string };

/** Runs (or coalesces) one calendar's round. `busy` means another worker holds the lease: retry later. */
export async function syncCalendar(deps: SyncDeps, request: SyncRequest): Promise<SyncOutcome> {
  const { store } = deps.services;
  const connection = await loadCalendarOwner(deps.services, request.clientId, request.connectionId);
  if (!connection || connection.status !== 'active') return { kind: 'skipped', reason: 'connection_not_active' };
  if (!(connection.busyCalendarIds ?? []).includes(request.calendarId)) return { kind: 'skipped', reason: 'not_a_busy_calendar' };

  const lease = await acquireSyncLease(store, connection.rowKey, request.calendarId, request.receivedAt, request.full);
  if (lease.kind !== 'acquired') return lease;
  let roundStartedAt: Date | undefined;
  let full = request.full;
  try {
    // Let the rest of a burst arrive: every notification received before the round starts is covered.
    if (!request.full && deps.settleMs > 0) await sleep(deps.settleMs);
    roundStartedAt = new Date();
    const state = (await store.busy.getSyncState(connection.rowKey, request.calendarId))?.entity;
    full ||= !state || state.status !== 'synced' || !state.deltaLink;
    const result = await runRound(deps, connection, request.calendarId, full ? undefined : state!.deltaLink, roundStartedAt);
    full = result.mode === 'full';
    return result;
  } catch (error) {
    roundStartedAt = undefined; // the round did not complete: it covers nothing
    throw error;
  } finally {
    await releaseSyncLease(store, lease.lease, roundStartedAt, full);
  }
}

async function runRound(
  deps: SyncDeps,
  connection: CalendarOwner,
  calendarId: string,
  deltaLink: string | undefined,
  now: Date,
): Promise<Extract<SyncOutcome, { kind: 'synced' }>> {
  const graph = deps.graphFor(connection);
  const window = syncWindow(now);
  let round: DeltaRound;
  let mode: 'full' | 'delta' = deltaLink ? 'delta' : 'full';
  let extraRequests = 0;
  try {
    round = await runDeltaRound(graph, calendarId, deltaLink ? { deltaLink } : { window });
  } catch (error) {
    // graph.md §5: 410 / syncStateNotFound -> "restart with a full synchronization".
    if (!(error instanceof DeltaResetError) || !deltaLink) throw error;
    extraRequests = 1;
    mode = 'full';
    round = await runDeltaRound(graph, calendarId, { window });
  }
  const { store } = deps.services;
  const hadState = (await store.busy.getSyncState(connection.rowKey, calendarId)) !== null;
  const existing = new Map((await store.busy.listCalendarEvents(connection.rowKey, calendarId)).map((r) => [r.eventId, r]));
  const bookings = new BookingIndex(deps, connection);

  const upserts: CachedEvent[] = [];
  const removed = new Set<string>(round.removed);
  const bookingChanges: { ref: string; event: DeltaEvent; previous?: BusyEventEntity; next?: CachedEvent }[] = [];
  for (const event of round.changed) {
    const previous = existing.get(event.id);
    const ref = await bookings.refFor(event, previous);
    const next = event.isCancelled ? undefined : deltaEventToCached(event, ref);
    if (next) upserts.push(next);
    else removed.add(event.id);
    if (ref) bookingChanges.push({ ref, event, previous, next });
  }
  if (mode === 'full') {
    const seen = new Set(round.changed.map((e) => e.id));
    for (const id of existing.keys()) if (!seen.has(id)) removed.add(id);
  }
  const removedRows = [...removed].map((id) => existing.get(id)).filter((r): r is BusyEventEntity => r !== undefined);

  // Tell the booking system before the cache moves on: a crash in between repeats a report, never loses one.
  for (const change of bookingChanges) await reportChangedBookingEvent(deps, connection, calendarId, change);
  for (const row of removedRows) {
    if (row.bookingRef && !bookingChanges.some((c) => c.event.id === row.eventId))
      await reportDeletedBookingEvent(deps, connection, calendarId, row.bookingRef, row.eventId, false, graph as Client, row);
  }
  if (hadState) {
    const change = await busyChange(deps, connection, calendarId, existing, upserts, removedRows);
    if (change) {
      const event = busyChangedEvent(connection, calendarId, change);
      await deps.emit(connection.partitionKey, event.type, event.data);
    }
  }

  if (mode === 'full') await replaceCalendarBusy(store, connection.rowKey, calendarId, window, upserts, round.deltaLink, now);
  else await applyCalendarChanges(store, connection.rowKey, calendarId, upserts, [...removed], round.deltaLink, now);
  return { kind: 'synced', mode, changed: upserts.length, removed: removed.size, graphRequests: round.requests + extraRequests };
}
