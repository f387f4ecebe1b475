// patternedRecurrence: validation and expansion into occurrence start instants. Dates are walked as day
// numbers in the series' time zone and each occurrence keeps the master's wall-clock start, so a weekly
// 09:00 meeting stays at 09:00 across daylight-saving changes, as in Outlook.
// https://learn.microsoft.com/en-us/graph/api/resources/patternedrecurrence,
// https://learn.microsoft.com/en-us/graph/api/resources/recurrencepattern, https://learn.microsoft.com/en-us/graph/api/resources/recurrencerange
import { badRequest } from './errors.js';
import { instantOf, requireZone, wallClock } from './timezones.js';

export interface Recurrence {
  pattern: {
    type: 'daily' | 'weekly' | 'absoluteMonthly' | 'relativeMonthly' | 'absoluteYearly' | 'relativeYearly';
    interval: number;
    daysOfWeek?: string[];
    dayOfMonth?: number;
    month?: number;
    firstDayOfWeek?: string;
    index?: string;
  };
  range: {
    type: 'endDate' | 'noEnd' | 'numbered';
    startDate: string;
    endDate?: string;
    numberOfOccurrences?: number;
    recurrenceTimeZone?: string;
  };
}

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const INDEXES = ['first', 'second', 'third', 'fourth', 'last'];
const DAY_MS = 86_400_000;
const MAX_OCCURRENCES = 5_000;

const invalid = (message: string) => badRequest(message, 'ErrorInvalidRequest');

/** Validates a request's recurrence and returns it in Graph's full shape (defaults filled in). */
export function parseRecurrence(input: unknown, startZoneName: string): Recurrence | undefined {
  if (input === null || input === undefined) return undefined;
  if (typeof input !== 'object') throw invalid('The recurrence property must be an object.');
  const { pattern, range } = input as { pattern?: Record<string, unknown>; range?: Record<string, unknown> };
  if (!pattern || !range) throw invalid('Recurrence must have a pattern and a range.');
  const type = pattern.type;
  if (!['daily', 'weekly', 'absoluteMonthly', 'relativeMonthly', 'absoluteYearly', 'relativeYearly'].includes(String(type)))
    throw invalid(`Recurrence pattern type '${String(type)}' is not valid.`);
  const interval = pattern.interval === undefined ? 1 : Number(pattern.interval);
  if (!Number.isInteger(interval) || interval < 1 || interval > 99) throw invalid('Recurrence pattern interval must be between 1 and 99.');
  const daysOfWeek = Array.isArray(pattern.daysOfWeek) ? pattern.daysOfWeek.map((d) => String(d).toLowerCase()) : [];
  if (daysOfWeek.some((d) => !DAYS.includes(d))) throw invalid('Recurrence pattern daysOfWeek has an invalid value.');
  if ((type === 'weekly' || type === 'relativeMonthly' || type === 'relativeYearly') && daysOfWeek.length === 0)
    throw invalid(`A ${String(type)} recurrence pattern requires daysOfWeek.`);
  const dayOfMonth = Number(pattern.dayOfMonth ?? 0);
  if ((type === 'absoluteMonthly' || type === 'absoluteYearly') && !(dayOfMonth >= 1 && dayOfMonth <= 31))
    throw invalid('Recurrence pattern dayOfMonth must be between 1 and 31.');
  const month = Number(pattern.month ?? 0);
  if ((type === 'absoluteYearly' || type === 'relativeYearly') && !(month >= 1 && month <= 12))
    throw invalid('Recurrence pattern month must be between 1 and 12.');
  const index = String(pattern.index ?? 'first').toLowerCase();
  if (!INDEXES.includes(index)) throw invalid('Recurrence pattern index has an invalid value.');
  const firstDayOfWeek = String(pattern.firstDayOfWeek ?? 'sunday').toLowerCase();
  if (!DAYS.includes(firstDayOfWeek)) throw invalid('Recurrence pattern firstDayOfWeek has an invalid value.');

  const rangeType = String(range.type);
  if (!['endDate', 'noEnd', 'numbered'].includes(rangeType)) throw invalid(`Recurrence range type '${rangeType}' is not valid.`);
  const startDate = String(range.startDate ?? '');
  if (parseDate(startDate) === undefined) throw invalid('Recurrence range startDate must be a date (yyyy-mm-dd).');
  const endDate = range.endDate === undefined || range.endDate === null ? undefined : String(range.endDate);
  if (rangeType === 'endDate' && (endDate === undefined || parseDate(endDate) === undefined))
    throw invalid('Recurrence range endDate must be a date (yyyy-mm-dd).');
  if (rangeType === 'endDate' && parseDate(endDate!)! < parseDate(startDate)!) throw invalid('Recurrence range endDate is before its startDate.');
  const numberOfOccurrences = Number(range.numberOfOccurrences ?? 0);
  if (rangeType === 'numbered' && !(Number.isInteger(numberOfOccurrences) && numberOfOccurrences >= 1 && numberOfOccurrences <= 999))
    throw invalid('Recurrence range numberOfOccurrences must be between 1 and 999.');
  const recurrenceTimeZone = typeof range.recurrenceTimeZone === 'string' && range.recurrenceTimeZone ? range.recurrenceTimeZone : startZoneName;
  requireZone(recurrenceTimeZone);

  return {
    pattern: {
      type: type as Recurrence['pattern']['type'],
      interval,
      month,
      dayOfMonth,
      daysOfWeek,
      firstDayOfWeek,
      index,
    },
    range: {
      type: rangeType as Recurrence['range']['type'],
      startDate,
      endDate: rangeType === 'endDate' ? endDate : '0001-01-01',
      numberOfOccurrences: rangeType === 'numbered' ? numberOfOccurrences : 0,
      recurrenceTimeZone,
    },
  };
}

function parseDate(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(ms) ? undefined : ms / DAY_MS;
}

const weekday = (day: number) => (((day + 4) % 7) + 7) % 7;
const ymd = (day: number) => {
  const d = new Date(day * DAY_MS);
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate() };
};
const dayOf = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / DAY_MS;
const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** The day of `dayName` picked by `index` (first..fourth, last) in a month, or undefined. */
function relativeDay(y: number, m: number, days: string[], index: string): number[] {
  const matches: number[] = [];
  for (let d = 1; d <= daysInMonth(y, m); d++) if (days.includes(DAYS[weekday(dayOf(y, m, d))]!)) matches.push(dayOf(y, m, d));
  if (index === 'last') return matches.length ? [matches[matches.length - 1]!] : [];
  const i = INDEXES.indexOf(index);
  return matches[i] === undefined ? [] : [matches[i]!];
}

/** Occurrence dates (day numbers) in order, lazily, from the range start. */
function* occurrenceDays(r: Recurrence): Generator<number> {
  const { pattern } = r;
  const start = parseDate(r.range.startDate)!;
  const s = ymd(start);
  const days = pattern.daysOfWeek ?? [];
  switch (pattern.type) {
    case 'daily':
      for (let d = start; ; d += pattern.interval) yield d;
    case 'weekly': {
      const first = DAYS.indexOf(pattern.firstDayOfWeek ?? 'sunday');
      const weekStart = start - ((weekday(start) - first + 7) % 7);
      for (let w = weekStart; ; w += 7 * pattern.interval)
        for (let i = 0; i < 7; i++) if (w + i >= start && days.includes(DAYS[weekday(w + i)]!)) yield w + i;
    }
    case 'absoluteMonthly':
      for (let k = 0; ; k += pattern.interval) {
        const y = s.y + Math.floor((s.m - 1 + k) / 12);
        const m = ((s.m - 1 + k) % 12) + 1;
        if (pattern.dayOfMonth! <= daysInMonth(y, m) && dayOf(y, m, pattern.dayOfMonth!) >= start) yield dayOf(y, m, pattern.dayOfMonth!);
      }
    case 'relativeMonthly':
      for (let k = 0; ; k += pattern.interval) {
        const y = s.y + Math.floor((s.m - 1 + k) / 12);
        const m = ((s.m - 1 + k) % 12) + 1;
        for (const d of relativeDay(y, m, days, pattern.index ?? 'first')) if (d >= start) yield d;
      }
    case 'absoluteYearly':
      for (let y = s.y; ; y += pattern.interval)
        if (pattern.dayOfMonth! <= daysInMonth(y, pattern.month!) && dayOf(y, pattern.month!, pattern.dayOfMonth!) >= start)
          yield dayOf(y, pattern.month!, pattern.dayOfMonth!);
    case 'relativeYearly':
      for (let y = s.y; ; y += pattern.interval)
        for (const d of relativeDay(y, pattern.month!, days, pattern.index ?? 'first')) if (d >= start) yield d;
  }
}

/**
 * Start instants of the occurrences whose [start, start + duration) overlaps [from, to), keeping the
 * master's wall-clock start time in the recurrence time zone.
 */
export function expandOccurrences(r: Recurrence, masterStartMs: number, durationMs: number, from: number, to: number): number[] {
  const zone = requireZone(r.range.recurrenceTimeZone ?? 'UTC');
  const time = wallClock(masterStartMs, zone);
  const endDay = r.range.type === 'endDate' ? parseDate(r.range.endDate!)! : Infinity;
  const limit = r.range.type === 'numbered' ? r.range.numberOfOccurrences! : MAX_OCCURRENCES;
  const result: number[] = [];
  let count = 0;
  for (const day of occurrenceDays(r)) {
    if (day > endDay || count >= limit) break;
    count++;
    const { y, m, d } = ymd(day);
    const start = instantOf({ year: y, month: m, day: d, hour: time.hour, minute: time.minute, second: time.second, ms: 0 }, zone);
    if (start >= to) break;
    if (start + Math.max(durationMs, 1) > from) result.push(start);
  }
  return result;
}
