// The slot arithmetic of availability, on data already in memory: candidate slots on a grid, each checked
// against every participant's busy time (with buffers around it) and working hours, the notice and the
// horizon, and the groups' rules (`all` members free, or at least N). Optionally says why each candidate
// the window holds was not offered.
import { mergeIntervals, type Interval } from '../time/intervals.js';

export type UnavailableReason = 'busy' | 'buffer' | 'outside_working_hours' | 'notice' | 'horizon';

export interface SlotParticipant {
  /** Busy time, any order (merged here). */
  busy: readonly Interval[];
  /** When the participant works; undefined: at any time. */
  working?: readonly Interval[];
}

export interface SlotGroup {
  /** Indices into the participants. */
  members: readonly number[];
  /** How many members must be free; members.length for `all`. */
  minimum: number;
}

export interface SlotRules {
  window: Interval;
  durationMs: number;
  stepMs: number;
  /** The grid's origin: candidates start at anchor + k * stepMs. */
  anchor: number;
  bufferBeforeMs: number;
  bufferAfterMs: number;
  /** No slot starts before this (now + minimum notice). */
  earliest: number;
  /** No slot starts after this (now + horizon). */
  latest: number;
  /** At most this many slots (and as many unavailable candidates) are listed. */
  limit: number;
  explain: boolean;
}

export interface Slot extends Interval {
  /** Participants free in this slot (indices), given when some group needs fewer than all its members. */
  free?: number[];
}

export interface Unavailable extends Interval {
  reasons: { reason: UnavailableReason; participant?: number }[];
}

export interface SlotAnswer {
  slots: Slot[];
  truncated: boolean;
  unavailable?: Unavailable[];
}

/** The first index whose interval ends after `t` (intervals sorted and disjoint). */
function firstEndingAfter(intervals: readonly Interval[], t: number): number {
  let lo = 0;
  let hi = intervals.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (intervals[mid]!.end > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function overlaps(intervals: readonly Interval[], start: number, end: number): boolean {
  const i = intervals[firstEndingAfter(intervals, start)];
  return i !== undefined && i.start < end;
}

function contains(intervals: readonly Interval[], start: number, end: number): boolean {
  const i = intervals[firstEndingAfter(intervals, start)];
  return i !== undefined && i.start <= start && i.end >= end;
}

interface Prepared {
  busy: Interval[];
  buffered: Interval[];
  working?: Interval[];
}

export function findSlots(participants: readonly SlotParticipant[], groups: readonly SlotGroup[], rules: SlotRules): SlotAnswer {
  const prepared: Prepared[] = participants.map((p) => {
    const busy = mergeIntervals(p.busy);
    const buffered = rules.bufferBeforeMs || rules.bufferAfterMs ? mergeIntervals(busy.map((b) => ({ start: b.start - rules.bufferBeforeMs, end: b.end + rules.bufferAfterMs }))) : busy;
    return { busy, buffered, working: p.working && mergeIntervals(p.working) };
  });
  const tellWhoIsFree = groups.some((g) => g.minimum < g.members.length);
  const slots: Slot[] = [];
  const unavailable: Unavailable[] = [];
  let truncated = false;
  const { window, durationMs, stepMs } = rules;
  const first = rules.anchor + Math.ceil((window.start - rules.anchor) / stepMs) * stepMs;
  for (let start = first; start + durationMs <= window.end; start += stepMs) {
    const end = start + durationMs;
    const notice = start < rules.earliest;
    const horizon = start > rules.latest;
    if (!rules.explain && (notice || horizon)) continue;
    const free = prepared.map((p) => (!p.working || contains(p.working, start, end)) && !overlaps(p.buffered, start, end));
    const offered = !notice && !horizon && groups.every((g) => g.members.filter((m) => free[m]).length >= g.minimum);
    if (offered) {
      if (slots.length >= rules.limit) {
        truncated = true;
        if (!rules.explain) break;
        continue;
      }
      slots.push(tellWhoIsFree ? { start, end, free: free.flatMap((f, i) => (f ? [i] : [])) } : { start, end });
    } else if (rules.explain && unavailable.length < rules.limit) {
      const reasons: Unavailable['reasons'] = [];
      if (notice) reasons.push({ reason: 'notice' });
      if (horizon) reasons.push({ reason: 'horizon' });
      prepared.forEach((p, participant) => {
        if (free[participant]) return;
        if (p.working && !contains(p.working, start, end)) reasons.push({ reason: 'outside_working_hours', participant });
        if (overlaps(p.busy, start, end)) reasons.push({ reason: 'busy', participant });
        else if (overlaps(p.buffered, start, end)) reasons.push({ reason: 'buffer', participant });
      });
      unavailable.push({ start, end, reasons });
    }
  }
  return rules.explain ? { slots, truncated, unavailable } : { slots, truncated };
}
