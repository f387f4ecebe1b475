// One calendar's delta round, as the calendar-sync queue runs it:
//   lease (coalescing: a round that started after the notification arrived covers it; renewed by a
//   heartbeat, and a delayed recheck message runs the round again if this worker dies) -> settle ->
//   calendarView/delta from the stored link (full round when there is none, the cache is stale, or Graph
//   says the token is gone) -> booking changes and busy.changed -> busy cache written -> lease released.
// At-least-once safe: a message seen twice is covered by the first round, and a round replayed from the
// same delta link changes nothing (rows are keyed by event; booking reports are keyed by the booking row).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@microsoft/microsoft-graph-client';
import { DeltaResetError, runDeltaRound, type DeltaEvent, type DeltaRound } from '../graph/delta.js';
import type { BusyEventEntity } from '../store/repositories/busy.js';
import { busyChangedEvent, loadCalendarOwner, type CalendarOwner } from './calendar-owner.js';
import { applyCalendarChanges, forgetCalendar, replaceCalendarBusy, type CachedEvent, type SyncWindow } from './busy-cache.js';
import { BookingIndex, reportBookingEvent, reportRemovedBookingEvent } from './booking-changes.js';
import { reportOccurrenceEvent, reportRemovedOccurrence } from './series-changes.js';
import type { BookingEntity } from '../store/repositories/bookings.js';
import { busyChange } from './busy-change.js';
import { deltaEventToCached } from './delta-to-cache.js';
import { acquireSyncLease, LEASE_MS, releaseSyncLease, startLeaseHeartbeat, type LeaseHeartbeat } from './sync-lease.js';
import type { SyncDeps } from './sync-deps.js';
import { enqueue } from '../queues/queue-client.js';
import { requestFullSync } from './calendar-subscriptions.js';
import { CALENDAR_SYNC_QUEUE, type RecheckMessage } from './sync-messages.js';

/**
 * The cache covers yesterday to BUSY_CACHE_DAYS_AHEAD days ahead (90 by default), and further when a live
 * booking lies beyond that, so that every future booking is watched; the hourly resync sweep slides it
 * (resync-calendars.ts), and a booking placed beyond it asks for a full round that stretches it.
 */
export const WINDOW_PAST_DAYS = 1;
export const DEFAULT_WINDOW_DAYS_AHEAD = 90;
const DAY_MS = 86_400_000;

export function syncWindow(now = new Date(), daysAhead = DEFAULT_WINDOW_DAYS_AHEAD, reach?: Date): SyncWindow {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const end = Math.max(today + daysAhead * DAY_MS, reach ? (Math.floor(reach.getTime() / DAY_MS) + 1) * DAY_MS : 0);
  return { start: new Date(today - WINDOW_PAST_DAYS * DAY_MS), end: new Date(end) };
}

/** A recheck arrives this long after its round started: after the lease of a dead worker has run out. */
const RECHECK_DELAY_S = Math.ceil(LEASE_MS / 1000) + 10;

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
  const heartbeat = startLeaseHeartbeat(store, lease.lease);
  let roundStartedAt: Date | undefined;
  let full = request.full;
  try {
    // If this worker dies mid-round, the recheck runs the round again once the lease has run out.
    const recheck: RecheckMessage = { kind: 'recheck', ...request, receivedAt: request.receivedAt.toISOString() };
    await enqueue(deps.services.config.storage, CALENDAR_SYNC_QUEUE, recheck, RECHECK_DELAY_S);
    // Let the rest of a burst arrive: every notification received before the round starts is covered.
    if (!request.full && deps.settleMs > 0) await sleep(deps.settleMs);
    roundStartedAt = new Date();
    const state = (await store.busy.getSyncState(connection.rowKey, request.calendarId))?.entity;
    full ||= !state || state.status !== 'synced' || !state.deltaLink;
    const result = await runRound(deps, connection, request.calendarId, full ? undefined : state!.deltaLink, roundStartedAt, heartbeat);
    if (result.kind === 'synced') full = result.mode === 'full';
    return result;
  } catch (error) {
    roundStartedAt = undefined; // the round did not complete: it covers nothing
    throw error;
  } finally {
    await heartbeat.stop();
    await releaseSyncLease(store, lease.lease, roundStartedAt, full);
  }
}

async function runRound(
  deps: SyncDeps,
  connection: CalendarOwner,
  calendarId: string,
  deltaLink: string | undefined,
  now: Date,
  lease: LeaseHeartbeat,
): Promise<Extract<SyncOutcome, { kind: 'synced' | 'skipped' }>> {
  const graph = deps.graphFor(connection);
  const { store } = deps.services;
  const bookings = new BookingIndex(deps, connection);
  const fullWindow = async () => {
    const live = (await bookings.inCalendar(calendarId)).filter((b) => b.end && b.end.getTime() > now.getTime());
    const reach = live.reduce<Date | undefined>((max, b) => (!max || b.end! > max ? b.end : max), undefined);
    return syncWindow(now, deps.services.config.busyCacheDaysAhead, reach);
  };
  let round: DeltaRound;
  let mode: 'full' | 'delta' = deltaLink ? 'delta' : 'full';
  let window = deltaLink ? undefined : await fullWindow();
  let extraRequests = 0;
  try {
    round = await runDeltaRound(graph, calendarId, deltaLink ? { deltaLink } : { window: window! });
  } catch (error) {
    // 410 / syncStateNotFound -> "restart with a full synchronization" (https://learn.microsoft.com/en-us/graph/delta-query-overview).
    if (!(error instanceof DeltaResetError) || !deltaLink) throw error;
    extraRequests = 1;
    mode = 'full';
    window = await fullWindow();
    round = await runDeltaRound(graph, calendarId, { window });
  }
  const state = (await store.busy.getSyncState(connection.rowKey, calendarId))?.entity;
  const windowEnd = window ? window.end : state?.windowEnd;
  const existing = new Map((await store.busy.listCalendarEvents(connection.rowKey, calendarId)).map((r) => [r.eventId, r]));

  const upserts: CachedEvent[] = [];
  const removed = new Set<string>(round.removed);
  // Delta items carry no extended properties ($expand is not supported on delta:
  // https://learn.microsoft.com/en-us/graph/delta-query-events), so a booking's event is known by its
  // transactionId, its event id, or the cache row.
  const bookingEvents: { ref: string; event: DeltaEvent }[] = [];
  // Occurrences and exceptions of series bookings (calendarView expands a series; its master never shows).
  const occurrenceEvents: { series: BookingEntity; event: DeltaEvent }[] = [];
  for (const event of round.changed) {
    const previous = existing.get(event.id);
    const series = await bookings.series(event.seriesMasterId);
    const ref = series
      ? `${series.partitionKey}/${series.rowKey}`
      : event.transactionId || previous?.bookingRef
        ? await bookings.refFor(event.id, event.transactionId, previous?.bookingRef)
        : undefined;
    const next = event.isCancelled ? undefined : deltaEventToCached(event, ref);
    if (next) upserts.push(next);
    else removed.add(event.id);
    if (series) occurrenceEvents.push({ series, event });
    else if (ref) bookingEvents.push({ ref, event });
  }
  if (mode === 'full') {
    const seen = new Set(round.changed.map((e) => e.id));
    for (const id of existing.keys()) if (!seen.has(id)) removed.add(id);
  }
  const removedBookings = new Map<string, string>();
  for (const id of removed) {
    if (bookingEvents.some((c) => c.event.id === id)) continue;
    const ref = await bookings.refFor(id, undefined, existing.get(id)?.bookingRef);
    if (ref) removedBookings.set(id, ref);
  }
  if (mode === 'full') {
    // A full round is the catch-all: a live booking whose event it did not see was deleted or moved away.
    const seen = new Set(round.changed.map((e) => e.id));
    for (const id of occurrenceEvents.map((o) => o.series.eventId!)) seen.add(id); // a series seen through its occurrences
    for (const b of await bookings.inCalendar(calendarId)) {
      if (b.eventId && b.status === 'confirmed' && !seen.has(b.eventId) && !removedBookings.has(b.eventId) && b.end && b.end.getTime() > now.getTime())
        removedBookings.set(b.eventId, `${b.partitionKey}/${b.rowKey}`);
    }
  }
  const removedRows = [...removed].map((id) => existing.get(id)).filter((r): r is BusyEventEntity => r !== undefined);

  // Tell the booking system before the cache moves on: a crash in between repeats a report, never loses one.
  const liveEnds: (Date | undefined)[] = [];
  for (const { ref, event } of bookingEvents) liveEnds.push(await reportBookingEvent(deps, connection, calendarId, ref, event));
  for (const { series, event } of occurrenceEvents) await reportOccurrenceEvent(deps, connection, calendarId, series, event);
  const seriesGone = new Set<string>();
  for (const [eventId, ref] of [...removedBookings]) {
    const series = await bookings.seriesByRef(ref);
    let target = eventId;
    if (series && series.eventId !== eventId) {
      // One occurrence left the view; when the whole series went, the series itself is reported deleted (once).
      const outcome = await reportRemovedOccurrence(deps, connection, calendarId, series, eventId, existing.get(eventId)?.start, graph as Client);
      if (outcome !== 'series_gone' || removedBookings.has(series.eventId!) || seriesGone.has(series.eventId!)) continue;
      seriesGone.add(series.eventId!);
      target = series.eventId!;
    }
    liveEnds.push(await reportRemovedBookingEvent(deps, connection, calendarId, ref, target, graph as Client));
  }
  if (state) {
    const change = await busyChange(deps, connection, calendarId, existing, upserts, removedRows);
    if (change) {
      const event = busyChangedEvent(connection, calendarId, change);
      await deps.emit(connection.partitionKey, event.type, event.data);
    }
  }

  lease.assertHeld(); // a round that lost its lease leaves the cache to the round that took it
  // A disconnect (or the calendar leaving the busy set) forgets the cache; one that lands while this round
  // writes may run before a write, which brings rows (and, in a full round, the state) back: forget them again.
  // A delta round sees it as its vanished sync state; a full round writes the state itself, so it asks the owner.
  let kept: boolean;
  if (mode === 'full') {
    await replaceCalendarBusy(store, connection, calendarId, window!, upserts, round.deltaLink, now);
    kept = await stillBusyCalendar(deps, connection, calendarId);
  } else {
    kept = await applyCalendarChanges(store, connection, calendarId, upserts, [...removed], round.deltaLink, now);
  }
  if (!kept) {
    await forgetCalendar(store, connection, calendarId);
    return { kind: 'skipped', reason: 'connection_not_active' };
  }
  // A booking moved in Outlook beyond the cached window: a full round stretches the window to reach it.
  if (windowEnd && liveEnds.some((end) => end && end.getTime() > windowEnd.getTime())) await requestFullSync(deps.services, connection, calendarId);
  return { kind: 'synced', mode, changed: upserts.length, removed: removed.size, graphRequests: round.requests + extraRequests };
}

/** The owner, read again, is still active and still keeps the calendar busy. */
async function stillBusyCalendar(deps: SyncDeps, connection: CalendarOwner, calendarId: string): Promise<boolean> {
  const owner = await loadCalendarOwner(deps.services, connection.partitionKey, connection.rowKey);
  return owner?.status === 'active' && (owner.busyCalendarIds ?? []).includes(calendarId);
}
