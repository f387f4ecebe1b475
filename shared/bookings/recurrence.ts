// Series and all-day bookings: the booking system's recurrence (a subset of Graph's patternedRecurrence),
// its Graph form, and the rules Graph sets for all-day events.
// - patternedRecurrence, recurrencePattern, recurrenceRange:
//   https://learn.microsoft.com/en-us/graph/api/resources/patternedrecurrence,
//   https://learn.microsoft.com/en-us/graph/api/resources/recurrencepattern,
//   https://learn.microsoft.com/en-us/graph/api/resources/recurrencerange
// - range.startDate "must be the same value as the start property of the recurring event", so it is derived
//   from the booking's start, never asked for; recurrenceTimeZone is the booking's zone.
// - a series must end (endDate or numbered): a booking is something a booking system sold, and a `noEnd`
//   series would never be over, could never be moved or cancelled as a whole by date, and would keep
//   reserving time in Outlook after the booking system itself stopped knowing about it.
// - isAllDay: "start and end time must be set to midnight and be in the same time zone"
//   (https://learn.microsoft.com/en-us/graph/api/resources/event#properties).
import * as z from 'zod';
import { windowsZoneFor } from '../time/windows-zones.js';
import { parseDateTime, wallTimeAt } from '../time/zoned-time.js';
import type { OccurrenceRecord } from '../store/repositories/bookings.js';

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
const DAY_MS = 86_400_000;
/** Graph's numbered range and our own ceiling on how far a series may reach. */
export const MAX_OCCURRENCES = 999;
export const MAX_SERIES_DAYS = 2 * 366;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date, yyyy-mm-dd').refine((d) => dayNumber(d) !== undefined, 'not a calendar date');

export const bookingRecurrence = z
  .strictObject({
    pattern: z.strictObject({
      type: z.enum(['daily', 'weekly', 'absoluteMonthly', 'relativeMonthly']),
      interval: z.number().int().min(1).max(99).default(1),
      /** weekly: the days it repeats on; relativeMonthly: the day picked by `index`. */
      daysOfWeek: z.array(z.enum(DAYS)).min(1).max(7).optional(),
      /** absoluteMonthly: the day of the month. */
      dayOfMonth: z.number().int().min(1).max(31).optional(),
      /** relativeMonthly: which of the month's `daysOfWeek`. */
      index: z.enum(['first', 'second', 'third', 'fourth', 'last']).optional(),
      firstDayOfWeek: z.enum(DAYS).optional(),
    }),
    range: z.strictObject({
      type: z.enum(['endDate', 'numbered', 'noEnd']),
      /** endDate: the last day an occurrence may start on (in the booking's zone). */
      endDate: isoDate.optional(),
      numberOfOccurrences: z.number().int().min(1).max(MAX_OCCURRENCES).optional(),
    }),
  })
  .superRefine((r, ctx) => {
    const need = (ok: boolean, path: string[], message: string) => ok || ctx.addIssue({ code: 'custom', path, message });
    const p = r.pattern;
    need(!['weekly', 'relativeMonthly'].includes(p.type) || !!p.daysOfWeek, ['pattern', 'daysOfWeek'], `required for a ${p.type} pattern`);
    need(p.type !== 'absoluteMonthly' || p.dayOfMonth !== undefined, ['pattern', 'dayOfMonth'], 'required for an absoluteMonthly pattern');
    need(p.type === 'relativeMonthly' || p.index === undefined, ['pattern', 'index'], 'only for a relativeMonthly pattern');
    need(r.range.type !== 'noEnd', ['range', 'type'], 'a booking series must end: use endDate or numbered');
    need(r.range.type !== 'endDate' || r.range.endDate !== undefined, ['range', 'endDate'], 'required for an endDate range');
    need(r.range.type !== 'numbered' || r.range.numberOfOccurrences !== undefined, ['range', 'numberOfOccurrences'], 'required for a numbered range');
  });

export type BookingRecurrence = z.infer<typeof bookingRecurrence>;

/** A problem with the whole series or all-day booking: the field at fault and why. */
export interface SeriesIssue {
  path: (string | number)[];
  message: string;
}

/** The date (yyyy-mm-dd) of an instant on the wall clock of `timeZone`. */
export function dateIn(instantMs: number, timeZone: string): string {
  const w = wallTimeAt(instantMs, timeZone);
  return `${String(w.year).padStart(4, '0')}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

function dayNumber(date: string): number | undefined {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const ms = Date.UTC(y, m - 1, d);
  const back = new Date(ms);
  return back.getUTCFullYear() === y && back.getUTCMonth() === m - 1 && back.getUTCDate() === d ? ms / DAY_MS : undefined;
}

/**
 * Checks a series against its first occurrence: the start falls on a day of the pattern (Outlook would
 * otherwise move the first occurrence to the next such day, and the booking's start would be wrong), the
 * range ends on or after it, and the series reaches at most MAX_SERIES_DAYS ahead.
 */
export function seriesIssues(r: BookingRecurrence, startMs: number, timeZone: string): SeriesIssue[] {
  if (!isComplete(r)) return []; // the recurrence's own check has named what is missing
  const issues: SeriesIssue[] = [];
  const startDate = dateIn(startMs, timeZone);
  const startDay = dayNumber(startDate)!;
  const weekday = DAYS[(((startDay + 4) % 7) + 7) % 7]!;
  if (r.pattern.type === 'weekly' && !r.pattern.daysOfWeek!.includes(weekday))
    issues.push({ path: ['start'], message: `the first occurrence must fall on one of pattern.daysOfWeek (it is a ${weekday})` });
  if (r.pattern.type === 'absoluteMonthly' && Number(startDate.slice(8)) !== r.pattern.dayOfMonth)
    issues.push({ path: ['start'], message: 'the first occurrence must fall on pattern.dayOfMonth' });
  if (r.range.type === 'endDate' && r.range.endDate && dayNumber(r.range.endDate)! < startDay)
    issues.push({ path: ['recurrence', 'range', 'endDate'], message: 'the series ends before its first occurrence' });
  if (lastStartDay(r, startDay) - startDay > MAX_SERIES_DAYS)
    issues.push({ path: ['recurrence', 'range'], message: `a series may reach at most ${MAX_SERIES_DAYS} days ahead` });
  return issues;
}

/** Every field its pattern and range type needs is there. */
function isComplete(r: BookingRecurrence): boolean {
  const p = r.pattern;
  if (['weekly', 'relativeMonthly'].includes(p.type) && !p.daysOfWeek) return false;
  if (p.type === 'absoluteMonthly' && p.dayOfMonth === undefined) return false;
  if (r.range.type === 'endDate') return r.range.endDate !== undefined;
  return r.range.type === 'numbered' && r.range.numberOfOccurrences !== undefined;
}

/**
 * The latest day an occurrence can start on (a bound, never earlier than the real last occurrence): the
 * endDate, or for a numbered range the day the pattern's slowest reading of N occurrences reaches.
 */
function lastStartDay(r: BookingRecurrence, startDay: number): number {
  if (r.range.type === 'endDate') return dayNumber(r.range.endDate!)!;
  const n = r.range.numberOfOccurrences ?? 1;
  const i = r.pattern.interval;
  switch (r.pattern.type) {
    case 'daily':
      return startDay + (n - 1) * i;
    case 'weekly':
      return startDay + Math.ceil(n / r.pattern.daysOfWeek!.length) * 7 * i;
    default:
      // A month has at most 31 days; an absoluteMonthly day 31 skips the shorter months (at most 5 of 12).
      return startDay + Math.ceil(n * (r.pattern.dayOfMonth && r.pattern.dayOfMonth > 28 ? 12 / 7 : 1)) * i * 31;
  }
}

/** When the series' last occurrence ends at the latest (the first occurrence's length after its last start day). */
export function seriesEndBound(r: BookingRecurrence, startMs: number, endMs: number, timeZone: string): Date {
  const startDay = dayNumber(dateIn(startMs, timeZone))!;
  return new Date(startMs + (lastStartDay(r, startDay) - startDay + 1) * DAY_MS + (endMs - startMs));
}

/** The recurrence as Graph's patternedRecurrence for a series whose first occurrence starts at `startMs`. */
export function toGraphRecurrence(r: BookingRecurrence, startMs: number, timeZone: string): Record<string, unknown> {
  const p = r.pattern;
  return {
    pattern: {
      type: p.type,
      interval: p.interval,
      ...(p.daysOfWeek ? { daysOfWeek: p.daysOfWeek } : {}),
      ...(p.dayOfMonth !== undefined ? { dayOfMonth: p.dayOfMonth } : {}),
      ...(p.index ? { index: p.index } : {}),
      ...(p.firstDayOfWeek ? { firstDayOfWeek: p.firstDayOfWeek } : {}),
    },
    range: {
      type: r.range.type,
      startDate: dateIn(startMs, timeZone),
      ...(r.range.type === 'endDate' ? { endDate: r.range.endDate } : {}),
      ...(r.range.type === 'numbered' ? { numberOfOccurrences: r.range.numberOfOccurrences } : {}),
      recurrenceTimeZone: windowsZoneFor(timeZone) ?? 'UTC',
    },
  };
}

/** A booking time: an ISO 8601 date-time, or for an all-day booking also a bare date (its midnight). */
export function parseBookingTime(value: string, timeZone: string, isAllDay: boolean | undefined): number | undefined {
  return parseDateTime(isAllDay && /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00` : value, timeZone);
}

/** Graph's all-day rule: both ends at midnight in the booking's zone, so the booking spans whole days. */
export function allDayIssues(startMs: number, endMs: number, timeZone: string): SeriesIssue[] {
  const atMidnight = (ms: number) => {
    const w = wallTimeAt(ms, timeZone);
    return w.hour === 0 && w.minute === 0 && w.second === 0 && ms % 1000 === 0;
  };
  const issues: SeriesIssue[] = [];
  if (!atMidnight(startMs)) issues.push({ path: ['start'], message: 'an all-day booking starts at midnight in timeZone (or give a date)' });
  if (!atMidnight(endMs)) issues.push({ path: ['end'], message: 'an all-day booking ends at midnight in timeZone (or give a date)' });
  return issues;
}

interface SeriesRequest {
  startMs: number;
  endMs: number;
  timeZone: string;
  isAllDay?: boolean;
  recurrence?: BookingRecurrence;
}

/** The Graph event properties that make a booking all-day or a series (none for a plain booking). */
export function seriesEventFields(booking: SeriesRequest): Record<string, unknown> {
  return {
    ...(booking.isAllDay ? { isAllDay: true } : {}),
    ...(booking.recurrence ? { recurrence: toGraphRecurrence(booking.recurrence, booking.startMs, booking.timeZone) } : {}),
  };
}

/** What the booking row keeps of a series or all-day booking. */
export function seriesRowFields(booking: SeriesRequest): { isAllDay?: boolean; recurrence?: BookingRecurrence; seriesEnd?: Date } {
  return {
    ...(booking.isAllDay ? { isAllDay: true } : {}),
    ...(booking.recurrence
      ? { recurrence: booking.recurrence, seriesEnd: seriesEndBound(booking.recurrence, booking.startMs, booking.endMs, booking.timeZone) }
      : {}),
  };
}

interface NewTimes {
  startMs?: number;
  endMs?: number;
  timeZone?: string;
}

/**
 * Moving a whole series: range.startDate must follow the new first start, so the recurrence is sent again
 * with it. Outlook drops a series' exceptions when the series moves.
 */
export function seriesTimeFields(booking: { recurrence?: BookingRecurrence; isAllDay?: boolean }, times: NewTimes): Record<string, unknown> {
  if (!booking.recurrence || times.startMs === undefined || !times.timeZone) return {};
  return { recurrence: toGraphRecurrence(booking.recurrence, times.startMs, times.timeZone), ...(booking.isAllDay ? { isAllDay: true } : {}) };
}

/** The series fields of a booking row after its whole series moved: a new end bound, no exceptions left. */
export function seriesRowAfterMove(
  current: { recurrence?: BookingRecurrence; seriesEnd?: Date; occurrences?: unknown[] },
  times: NewTimes,
): { seriesEnd?: Date; occurrences?: undefined } {
  if (!current.recurrence || times.startMs === undefined || times.endMs === undefined || !times.timeZone) return {};
  return { seriesEnd: seriesEndBound(current.recurrence, times.startMs, times.endMs, times.timeZone), occurrences: undefined };
}

/** The booking's occurrence records with `record` in place of any earlier one for its date. */
export function withOccurrenceRecord<T extends { occurrences?: OccurrenceRecord[]; updatedAt?: Date }>(current: T, record: OccurrenceRecord): T {
  const others = (current.occurrences ?? []).filter((o) => o.date !== record.date);
  return { ...current, occurrences: [...others, record].sort((a, b) => a.date.localeCompare(b.date)), updatedAt: new Date() };
}
