// Busy time as the booking system sees it: intervals merged across calendars, each carrying the strongest
// showAs of what it covers. Shared by the live read and the cache read, so both answer alike.
import { mergeIntervals, type Interval } from '../time/intervals.js';
import { toUtcIso } from '../time/zoned-time.js';

/** Which showAs values count as busy unless a connection says otherwise. Free and workingElsewhere do not. */
export const DEFAULT_BUSY_SHOW_AS: readonly string[] = ['busy', 'tentative', 'oof', 'unknown'];

const STRENGTH: Record<string, number> = { workingElsewhere: 1, tentative: 2, unknown: 3, busy: 4, oof: 5 };

export interface BusyItem {
  start: number;
  end: number;
  showAs: string;
}

export interface BusyInterval {
  start: string;
  end: string;
  showAs: string;
}

/** The counted items clipped to [windowStart, windowEnd), empty ones dropped. */
function countedItems(items: readonly BusyItem[], windowStart: number, windowEnd: number, counted: readonly string[]): BusyItem[] {
  return items
    .filter((i) => counted.includes(i.showAs))
    .map((i) => ({ ...i, start: Math.max(i.start, windowStart), end: Math.min(i.end, windowEnd) }))
    .filter((i) => i.end > i.start);
}

/** Like mergeBusy, as milliseconds and without showAs: what slot arithmetic needs. */
export function mergeBusySpans(items: readonly BusyItem[], windowStart: number, windowEnd: number, counted: readonly string[] = DEFAULT_BUSY_SHOW_AS): Interval[] {
  return mergeIntervals(countedItems(items, windowStart, windowEnd, counted));
}

/** Merges the counted items, clipped to [windowStart, windowEnd), into disjoint UTC intervals. */
export function mergeBusy(items: readonly BusyItem[], windowStart: number, windowEnd: number, counted: readonly string[] = DEFAULT_BUSY_SHOW_AS): BusyInterval[] {
  const relevant = countedItems(items, windowStart, windowEnd, counted);
  return mergeIntervals(relevant).map((span) => {
    let showAs = 'busy';
    let strength = -1;
    for (const i of relevant) {
      if (i.start < span.end && i.end > span.start && (STRENGTH[i.showAs] ?? 0) > strength) {
        strength = STRENGTH[i.showAs] ?? 0;
        showAs = i.showAs;
      }
    }
    return { start: toUtcIso(span.start), end: toUtcIso(span.end), showAs };
  });
}
