// The busy summary: one row per calendar owner holding its whole busy cache compactly (per calendar its sync
// state and its events merged per showAs, as millisecond pairs), in one partition per client. Team
// availability reads 50 owners' summaries in 4 queries instead of one partition query each.
// Every change to an owner's busy partition is followed by refreshBusySummary(), which computes the summary
// from the partition's rows and writes it with the ETag it read first: a writer that lost a race computes
// again, so the last summary written reflects every change committed before it was computed.
import type { Store } from '../store/index.js';
import { isConcurrencyError, isConflictError, isNotFoundError } from '../store/errors.js';
import { busySummaryPartition, type BusySummaryEntity, type CalendarSyncEntity, type SummaryCalendar } from '../store/repositories/busy.js';
import { mergeIntervals, type Interval } from '../time/intervals.js';

/** Whose busy cache: the client (the summary's partition) and the owner id (the busy partition). */
export interface BusyOwner {
  /** clientId */
  partitionKey: string;
  /** connection id or space owner id */
  rowKey: string;
}

const REFRESH_ATTEMPTS = 8;

/** A sync state about to be written for a calendar whose rows are already in the partition. */
export type PendingSyncState = Pick<CalendarSyncEntity, 'calendarId' | 'syncedAt'> & Partial<Pick<CalendarSyncEntity, 'status' | 'windowStart' | 'windowEnd'>>;

/**
 * Recomputes the owner's summary from its busy partition. `pending`: the sync state a round is about to
 * write (after the summary, so a round stopped in between is repeated rather than leave a summary behind).
 */
export async function refreshBusySummary(store: Store, owner: BusyOwner, pending?: PendingSyncState): Promise<void> {
  const partitionKey = busySummaryPartition(owner.partitionKey);
  for (let attempt = 1; ; attempt += 1) {
    const current = await store.busy.summaries.get(partitionKey, owner.rowKey);
    const { states, events } = await store.busy.readPartition(owner.rowKey);
    try {
      if (states.length === 0 && events.length === 0) {
        if (current) await store.busy.summaries.delete(partitionKey, owner.rowKey, { etag: current.etag });
        return;
      }
      const summary = summarize(partitionKey, owner.rowKey, withPending(states, pending), events);
      if (current) await store.busy.summaries.update(summary, current.etag);
      else await store.busy.summaries.create(summary);
      return;
    } catch (error) {
      const lostRace = isConcurrencyError(error) || isConflictError(error) || isNotFoundError(error);
      if (!lostRace || attempt >= REFRESH_ATTEMPTS) throw error;
    }
  }
}

function withPending(states: readonly CalendarSyncEntity[], pending: PendingSyncState | undefined): SummarizedState[] {
  if (!pending) return [...states];
  if (states.some((s) => s.calendarId === pending.calendarId)) return states.map((s) => (s.calendarId === pending.calendarId ? { ...s, ...pending } : s));
  const { status, windowStart, windowEnd } = pending;
  return status && windowStart && windowEnd ? [...states, { ...pending, status, windowStart, windowEnd }] : [...states];
}

type SummarizedState = Pick<CalendarSyncEntity, 'calendarId' | 'status' | 'windowStart' | 'windowEnd' | 'syncedAt'>;

/** The summary row of an owner's partition rows (exported for tests). */
export function summarize(
  partitionKey: string,
  ownerId: string,
  states: readonly SummarizedState[],
  events: readonly { calendarId: string; start: Date; end: Date; showAs: string }[],
): BusySummaryEntity {
  const spans = new Map<string, Map<string, Interval[]>>();
  for (const e of events) {
    const byShowAs = spans.get(e.calendarId) ?? spans.set(e.calendarId, new Map()).get(e.calendarId)!;
    const list = byShowAs.get(e.showAs) ?? byShowAs.set(e.showAs, []).get(e.showAs)!;
    list.push({ start: e.start.getTime(), end: e.end.getTime() });
  }
  const calendars: Record<string, SummaryCalendar> = {};
  // Events of a calendar without a sync state are never read from the cache (no state: go live).
  for (const s of states) {
    const busy: Record<string, number[]> = {};
    for (const [showAs, list] of spans.get(s.calendarId) ?? []) busy[showAs] = mergeIntervals(list).flatMap((i) => [i.start, i.end]);
    calendars[s.calendarId] = { status: s.status, windowStart: s.windowStart.getTime(), windowEnd: s.windowEnd.getTime(), syncedAt: s.syncedAt.getTime(), busy };
  }
  const summary: BusySummaryEntity = { partitionKey, rowKey: ownerId, calendars, updatedAt: new Date() };
  // A row holds at most about 450,000 characters (shared/store/chunks.ts); beyond that readers use the partition.
  return JSON.stringify(calendars).length > MAX_SUMMARY_CHARS ? { partitionKey, rowKey: ownerId, tooLarge: true, updatedAt: summary.updatedAt } : summary;
}

const MAX_SUMMARY_CHARS = 400_000;

/** The summaries of these owners of a client, 14 to a query, keyed by owner id (absent: none written yet). */
export function readBusySummaries(store: Store, clientId: string, ownerIds: readonly string[]): Promise<Map<string, BusySummaryEntity>> {
  return store.busy.summaries.getMany(busySummaryPartition(clientId), ownerIds);
}

/**
 * The merged busy spans of the chosen calendars within [start, end), and the oldest sync time among them;
 * undefined when a calendar is not synced or not covered for the whole window (the caller reads live).
 */
export function busyFromSummary(
  summary: BusySummaryEntity,
  calendarIds: readonly string[],
  counted: readonly string[],
  start: number,
  end: number,
): { spans: Interval[]; asOf: Date } | undefined {
  if (summary.tooLarge || !summary.calendars) return undefined;
  let asOf = Infinity;
  const clipped: Interval[] = [];
  for (const calendarId of calendarIds) {
    const calendar = summary.calendars[calendarId];
    if (!calendar || calendar.status !== 'synced' || calendar.windowStart > start || calendar.windowEnd < end) return undefined;
    asOf = Math.min(asOf, calendar.syncedAt);
    for (const showAs of counted) {
      const flat = calendar.busy[showAs];
      if (!flat) continue;
      for (let i = 0; i < flat.length; i += 2) {
        const s = Math.max(flat[i]!, start);
        const e = Math.min(flat[i + 1]!, end);
        if (e > s) clipped.push({ start: s, end: e });
      }
    }
  }
  return { spans: mergeIntervals(clipped), asOf: calendarIds.length ? new Date(asOf) : new Date() };
}
