// Busy-interval arithmetic over half-open [start, end) millisecond ranges.

export interface Interval {
  start: number;
  end: number;
}

/** Sorts and merges overlapping or touching intervals; drops empty ones. */
export function mergeIntervals<T extends Interval>(intervals: readonly T[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: Interval[] = [];
  for (const { start, end } of sorted) {
    const last = merged[merged.length - 1];
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else merged.push({ start, end });
  }
  return merged;
}

/** Clips intervals to a window, dropping those outside it. */
export function clipIntervals<T extends Interval>(intervals: readonly T[], window: Interval): T[] {
  const out: T[] = [];
  for (const i of intervals) {
    const start = Math.max(i.start, window.start);
    const end = Math.min(i.end, window.end);
    if (end > start) out.push({ ...i, start, end });
  }
  return out;
}

/** The gaps of `window` not covered by `busy` (busy need not be merged). */
export function freeIntervals(busy: readonly Interval[], window: Interval): Interval[] {
  const free: Interval[] = [];
  let cursor = window.start;
  for (const b of mergeIntervals(clipIntervals(busy, window))) {
    if (b.start > cursor) free.push({ start: cursor, end: b.start });
    cursor = Math.max(cursor, b.end);
  }
  if (cursor < window.end) free.push({ start: cursor, end: window.end });
  return free;
}

/**
 * Slots of `durationMs` that fit in every free interval, starting on a `stepMs` grid anchored at the window
 * start. Free time is the intersection of everyone's free time, so it is computed from the union of busy time.
 */
export function commonSlots(busyByParticipant: readonly (readonly Interval[])[], window: Interval, durationMs: number, stepMs: number): Interval[] {
  const free = freeIntervals(busyByParticipant.flat(), window);
  const slots: Interval[] = [];
  for (const f of free) {
    const firstStep = Math.ceil((f.start - window.start) / stepMs);
    for (let start = window.start + firstStep * stepMs; start + durationMs <= f.end; start += stepMs) {
      slots.push({ start, end: start + durationMs });
    }
  }
  return slots;
}
