// Busy time of one connection over a window: from the busy cache when it can answer (every busy calendar
// synced and covering the window), otherwise live with one $batch of calendarView requests.
import * as z from 'zod';
import { connectedGraph } from '../bookings/connection-access.js';
import { readLiveBusy } from '../graph/calendar-view.js';
import type { Services } from '../services.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { readCachedBusy, readCachedItems, type BusyQuery, type CachedWindow } from '../sync/busy-cache.js';
import { busyFromSummary } from '../sync/busy-summary.js';
import type { BusySummaryEntity } from '../store/repositories/busy.js';
import { DEFAULT_BUSY_SHOW_AS, mergeBusy, mergeBusySpans, type BusyInterval } from '../sync/merge-busy.js';
import type { Interval } from '../time/intervals.js';
import { checkWindow, isoInstant, type TimeWindow } from './time-window.js';

// Not strict: a query parameter other than these two (a cache buster, say) is ignored.
export const busyQuery = z.object({ start: isoInstant, end: isoInstant }).superRefine(checkWindow);

export const busyResponse = z.object({
  intervals: z.array(z.object({ start: z.string(), end: z.string(), showAs: z.string() })).describe('merged, in UTC'),
  source: z.enum(['cache', 'live']),
  asOf: z.string().describe('the busy time is at least this fresh'),
});

export type BusyResponse = z.infer<typeof busyResponse>;

export interface BusyResult {
  intervals: BusyInterval[];
  source: 'cache' | 'live';
  asOf: Date;
}

/** `field` names the request field that chose this connection, for problems. */
export async function readBusy(services: Services, connection: ConnectionEntity, window: TimeWindow, field?: string): Promise<BusyResult> {
  return (await readBusyFromCache(services, connection, window)) ?? readBusyLive(services, connection, window, field);
}

/** From the busy cache (one Table query), or undefined when it cannot answer for every calendar and the whole window. */
export async function readBusyFromCache(services: Services, connection: ConnectionEntity, window: TimeWindow): Promise<BusyResult | undefined> {
  const query = cacheQuery(connection, window);
  const cached = query && (await readCachedBusy(services.store, query));
  return cached && { intervals: cached.intervals, source: 'cache', asOf: cached.asOf };
}

/** Like readBusyFromCache, as merged millisecond spans without showAs (for slot arithmetic); `read` as readCachedItems. */
export async function readBusySpansFromCache(services: Services, connection: ConnectionEntity, window: TimeWindow, read?: Promise<CachedWindow>): Promise<BusySpans | undefined> {
  const query = cacheQuery(connection, window);
  const cached = query && (await readCachedItems(services.store, query, read));
  return cached && { spans: mergeBusySpans(cached.items, window.start.getTime(), window.end.getTime(), query.countedShowAs), source: 'cache', asOf: cached.asOf };
}

/**
 * Like readBusySpansFromCache, from the owner's summary row (busy-summary.ts) already read; undefined when the
 * summary says the cache cannot answer (read live).
 */
export function busySpansFromSummary(connection: ConnectionEntity, window: TimeWindow, summary: BusySummaryEntity): BusySpans | undefined {
  const query = cacheQuery(connection, window);
  const found = query && busyFromSummary(summary, query.calendarIds, query.countedShowAs!, window.start.getTime(), window.end.getTime());
  return found && { spans: found.spans, source: 'cache', asOf: found.asOf };
}

export interface BusySpans {
  spans: Interval[];
  source: 'cache' | 'live';
  asOf: Date;
}

/** What the cache is asked for the connection; undefined when no busy calendars were chosen (read live). */
function cacheQuery(connection: ConnectionEntity, window: TimeWindow): BusyQuery | undefined {
  const chosen = connection.busyCalendarIds?.length ? connection.busyCalendarIds : undefined;
  return chosen && { connectionId: connection.rowKey, calendarIds: chosen, start: window.start, end: window.end, countedShowAs: countedShowAs(connection) };
}

/** Live: one $batch of calendarView requests to the connection's mailbox. */
export async function readBusyLive(services: Services, connection: ConnectionEntity, window: TimeWindow, field?: string): Promise<BusyResult> {
  const chosen = connection.busyCalendarIds?.length ? connection.busyCalendarIds : undefined;
  const asOf = new Date();
  const { call } = await connectedGraph(services, connection, field);
  const timeoutMs = services.config.graphTimeoutMs;
  const items = await call((graph) =>
    readLiveBusy(
      graph,
      // No choice made: the default calendar.
      { calendarIds: chosen ?? [undefined], start: window.start, end: window.end },
      { signal: () => AbortSignal.timeout(timeoutMs) },
    ),
  );
  return { intervals: mergeBusy(items, window.start.getTime(), window.end.getTime(), countedShowAs(connection)), source: 'live', asOf };
}

const countedShowAs = (connection: ConnectionEntity) => (connection.busyShowAs?.length ? connection.busyShowAs : DEFAULT_BUSY_SHOW_AS);

export function toBusyResponse(result: BusyResult): BusyResponse {
  return { intervals: result.intervals, source: result.source, asOf: result.asOf.toISOString() };
}
