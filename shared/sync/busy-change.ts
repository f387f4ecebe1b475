// Whether a round changed the connection's merged busy time (across all its busy calendars), and where:
// the span touched by the round is merged before and after, and compared. Free events moving, or a
// meeting moving inside another busy block, change nothing the booking system can see.
import type { BusyEventEntity } from '../store/repositories/busy.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import type { CachedEvent } from './busy-cache.js';
import { DEFAULT_BUSY_SHOW_AS, mergeBusy, type BusyInterval, type BusyItem } from './merge-busy.js';
import type { SyncDeps } from './sync-deps.js';

export interface BusyChange {
  start: string;
  end: string;
  busy: BusyInterval[];
}

export async function busyChange(
  deps: SyncDeps,
  connection: ConnectionEntity,
  calendarId: string,
  existing: Map<string, BusyEventEntity>,
  upserts: readonly CachedEvent[],
  removedRows: readonly BusyEventEntity[],
): Promise<BusyChange | undefined> {
  const touched: { start: number; end: number }[] = [];
  for (const u of upserts) {
    const before = existing.get(u.eventId);
    if (before && before.start.getTime() === u.start.getTime() && before.end.getTime() === u.end.getTime() && before.showAs === u.showAs) continue;
    touched.push({ start: u.start.getTime(), end: u.end.getTime() });
    if (before) touched.push({ start: before.start.getTime(), end: before.end.getTime() });
  }
  for (const r of removedRows) touched.push({ start: r.start.getTime(), end: r.end.getTime() });
  if (touched.length === 0) return undefined;
  const start = Math.min(...touched.map((t) => t.start));
  const end = Math.max(...touched.map((t) => t.end));
  if (end <= start) return undefined;

  const calendars = new Set(connection.busyCalendarIds ?? []);
  const rows = (await deps.services.store.busy.listEventsOverlapping(connection.rowKey, new Date(start), new Date(end))).filter((r) =>
    calendars.has(r.calendarId),
  );
  const item = (r: { start: Date; end: Date; showAs: string }): BusyItem => ({ start: r.start.getTime(), end: r.end.getTime(), showAs: r.showAs });
  const gone = new Set([...removedRows.map((r) => r.eventId), ...upserts.map((u) => u.eventId)]);
  const beforeItems = rows.map(item);
  const afterItems = [...rows.filter((r) => r.calendarId !== calendarId || !gone.has(r.eventId)).map(item), ...upserts.map(item)];
  const counted = connection.busyShowAs ?? DEFAULT_BUSY_SHOW_AS;
  const before = mergeBusy(beforeItems, start, end, counted);
  const after = mergeBusy(afterItems, start, end, counted);
  if (JSON.stringify(before) === JSON.stringify(after)) return undefined;
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString(), busy: after };
}
