// The busy cache: per-event rows and per-calendar sync state (shared/store/repositories/busy.ts).
// Push sync writes it after each calendarView/delta round; busy reads use it only when every calendar asked
// for is synced and covers the window — otherwise the caller reads live. Every write here also writes the
// owner's summary row (busy-summary.ts): a round writes it before its sync state (a redelivered round repairs
// it), a stale mark before and after the state, a forget after removing the rows.
import type { Store } from '../store/index.js';
import { isNotFoundError } from '../store/errors.js';
import { busyEventRowKey, calendarSyncRowKey, type BusyEventEntity, type CalendarSyncEntity } from '../store/repositories/busy.js';
import { refreshBusySummary, type BusyOwner } from './busy-summary.js';
import { DEFAULT_BUSY_SHOW_AS, mergeBusy, type BusyInterval, type BusyItem } from './merge-busy.js';

/** An event as the cache keeps it: its row without the keys. */
export type CachedEvent = Pick<BusyEventEntity, 'eventId' | 'start' | 'end' | 'showAs' | 'isAllDay' | 'bookingRef' | 'changeKey'>;

export interface CachedBusy {
  intervals: BusyInterval[];
  /** The oldest sync time among the calendars read: the cache is at least this fresh. */
  asOf: Date;
}

export interface BusyQuery {
  connectionId: string;
  calendarIds: readonly string[];
  start: Date;
  end: Date;
  countedShowAs?: readonly string[];
}

/** Busy time from the cache, or undefined when the cache cannot answer for every calendar and the whole window. */
export async function readCachedBusy(store: Store, query: BusyQuery): Promise<CachedBusy | undefined> {
  const cached = await readCachedItems(store, query);
  return cached && { intervals: mergeBusy(cached.items, query.start.getTime(), query.end.getTime(), query.countedShowAs ?? DEFAULT_BUSY_SHOW_AS), asOf: cached.asOf };
}

/** The partition rows a cached busy read uses (BusyRepository.readWindow), which a caller may start early. */
export type CachedWindow = Awaited<ReturnType<Store['busy']['readWindow']>>;

/**
 * The cached events of the calendars asked for, unmerged, or undefined as readCachedBusy. `read`: the
 * partition rows of the query's owner and window, when the caller already asked for them.
 */
export async function readCachedItems(store: Store, query: BusyQuery, read?: Promise<CachedWindow>): Promise<{ items: BusyItem[]; asOf: Date } | undefined> {
  if (query.calendarIds.length === 0) return { items: [], asOf: new Date() };
  // One partition query for states and events: the events are wasted when a state says go live, which is rare.
  const window = await (read ?? store.busy.readWindow(query.connectionId, query.start, query.end));
  const states = new Map(window.states.map((s) => [s.calendarId, s]));
  let asOf: Date | undefined;
  for (const calendarId of query.calendarIds) {
    const state = states.get(calendarId);
    if (!state || !covers(state, query.start, query.end)) return undefined;
    if (!asOf || state.syncedAt < asOf) asOf = state.syncedAt;
  }
  const wanted = new Set(query.calendarIds);
  const items = window.events.filter((e) => wanted.has(e.calendarId)).map((e) => ({ start: e.start.getTime(), end: e.end.getTime(), showAs: e.showAs }));
  return { items, asOf: asOf! };
}

function covers(state: CalendarSyncEntity, start: Date, end: Date): boolean {
  return state.status === 'synced' && state.windowStart <= start && state.windowEnd >= end;
}

function toRow(connectionId: string, calendarId: string, e: CachedEvent, now: Date): BusyEventEntity {
  return {
    partitionKey: connectionId,
    rowKey: busyEventRowKey(calendarId, e.eventId),
    calendarId,
    eventId: e.eventId,
    start: e.start,
    end: e.end,
    showAs: e.showAs,
    isAllDay: e.isAllDay,
    bookingRef: e.bookingRef,
    changeKey: e.changeKey,
    updatedAt: now,
  };
}

export interface SyncWindow {
  start: Date;
  end: Date;
}

/** A full sync of one calendar: the cache becomes exactly `events`, and the calendar is marked synced. */
export async function replaceCalendarBusy(
  store: Store,
  owner: BusyOwner,
  calendarId: string,
  window: SyncWindow,
  events: readonly CachedEvent[],
  deltaLink: string | undefined,
  now = new Date(),
): Promise<void> {
  const connectionId = owner.rowKey;
  const keep = new Set(events.map((e) => e.eventId));
  const existing = await store.busy.listCalendarEvents(connectionId, calendarId);
  const deletes = existing.filter((e) => !keep.has(e.eventId)).map((e) => ({ calendarId, eventId: e.eventId }));
  await store.busy.writeEvents(
    connectionId,
    events.map((e) => toRow(connectionId, calendarId, e, now)),
    deletes,
  );
  const state = { calendarId, windowStart: window.start, windowEnd: window.end, status: 'synced' as const, syncedAt: now };
  // The summary before the state, as in a delta round: a round stopped in between is repeated.
  await refreshBusySummary(store, owner, state);
  await store.busy.saveSyncState({ partitionKey: connectionId, rowKey: calendarSyncRowKey(calendarId), deltaLink, ...state });
}

/**
 * An incremental delta round: changed events upserted, removed ones deleted, the new delta link kept.
 * False when the calendar has no sync state (left): forgotten by a disconnect, or no longer a busy calendar,
 * possibly while this call wrote, so the rows just written are the caller's to forget again.
 */
export async function applyCalendarChanges(
  store: Store,
  owner: BusyOwner,
  calendarId: string,
  changed: readonly CachedEvent[],
  removedEventIds: readonly string[],
  deltaLink: string | undefined,
  now = new Date(),
): Promise<boolean> {
  const connectionId = owner.rowKey;
  await store.busy.writeEvents(
    connectionId,
    changed.map((e) => toRow(connectionId, calendarId, e, now)),
    removedEventIds.map((eventId) => ({ calendarId, eventId })),
  );
  // The summary before the delta link: a crash in between repeats the round, which writes the summary again.
  await refreshBusySummary(store, owner, { calendarId, syncedAt: now });
  const state = await store.busy.getSyncState(connectionId, calendarId);
  if (!state) return false; // no full sync yet, or forgotten: there is no state to advance
  try {
    await store.busy.syncStates.mutate(connectionId, calendarSyncRowKey(calendarId), (current) => ({ ...current, deltaLink, syncedAt: now }));
    return true;
  } catch (error) {
    ignoreForgotten(error);
    return false;
  }
}

/** The calendar was forgotten (disconnect, no longer a busy calendar) while this call ran: nothing to advance. */
function ignoreForgotten(error: unknown): void {
  if (!isNotFoundError(error)) throw error;
}

/** A notification may have been missed (lifecycle `missed`, a dropped subscription): stop trusting the cache. */
export async function markCalendarStale(store: Store, owner: BusyOwner, calendarId: string): Promise<void> {
  const state = await store.busy.getSyncState(owner.rowKey, calendarId);
  if (!state) return;
  if (state.entity.status !== 'stale') {
    // The summary first (a call stopped after it leaves readers going live, never trusting a stale cache)...
    await refreshBusySummary(store, owner, { calendarId, syncedAt: state.entity.syncedAt, status: 'stale' });
    await store.busy.syncStates.mutate(owner.rowKey, calendarSyncRowKey(calendarId), (current) => ({ ...current, status: 'stale' })).catch(ignoreForgotten);
  }
  // ...and again from the partition, also when already stale: a summary a concurrent round wrote between the
  // two writes above, from the state before them, is replaced.
  await refreshBusySummary(store, owner);
}

/** Forgets a calendar entirely (no longer a busy calendar, or the connection is gone). */
export async function forgetCalendar(store: Store, owner: BusyOwner, calendarId: string): Promise<void> {
  const rows = await store.busy.listCalendarEvents(owner.rowKey, calendarId);
  await store.busy.writeEvents(owner.rowKey, [], rows.map((r) => ({ calendarId, eventId: r.eventId })));
  await store.busy.deleteSyncState(owner.rowKey, calendarId);
  await refreshBusySummary(store, owner);
}
