// A mailbox's working hours as Graph describes them (workingHours: days of the week, start and end time of
// day, and the time zone they apply in, which may be a named zone or a custom one with its own transition
// rules), and the instants they cover over a window.
// https://learn.microsoft.com/en-us/graph/api/resources/workinghours
// https://learn.microsoft.com/en-us/graph/api/resources/customtimezone
import * as z from 'zod';
import type { Interval } from './intervals.js';
import { ianaZoneFor } from './windows-zones.js';
import { instantOf, wallTimeAt } from './zoned-time.js';

export const DAYS_OF_WEEK = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];

// Graph writes days in lower case but accepts them capitalised (user-update-mailboxsettings' own example).
const dayOfWeek = z.string().transform((v, ctx) => {
  const day = v.toLowerCase();
  if ((DAYS_OF_WEEK as readonly string[]).includes(day)) return day as DayOfWeek;
  ctx.addIssue({ code: 'custom', message: `a day of the week (${DAYS_OF_WEEK.join(', ')})` });
  return z.NEVER;
});

/** Edm.TimeOfDay as Graph writes it ("08:00:00.0000000"); "08:00" is accepted too. */
const timeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,7})?)?$/, 'a time of day, e.g. 08:00 or 08:00:00.0000000')
  .describe('time of day, hh:mm or hh:mm:ss');

/** When a custom zone switches (standardTimeZoneOffset / daylightTimeZoneOffset). */
const zoneTransition = z.object({
  time: timeOfDay,
  /** The n-th such weekday of the month; 5 is the last. */
  dayOccurrence: z.number().int().min(1).max(5),
  dayOfWeek,
  month: z.number().int().min(0).max(12),
  year: z.number().int().min(0).optional(),
  /** Daylight only: added to the bias while daylight saving time is in force (minutes). */
  daylightBias: z.number().int().min(-720).max(720).optional(),
});

export const customTimeZone = z.object({
  '@odata.type': z.literal('#microsoft.graph.customTimeZone'),
  /** Minutes to add to local time to get UTC (Windows' convention: Pacific Standard Time is 480). */
  bias: z.number().int().min(-1440).max(1440),
  name: z.string().max(200).optional(),
  standardOffset: zoneTransition.optional(),
  daylightOffset: zoneTransition.optional(),
});

export const namedTimeZone = z
  .object({ '@odata.type': z.literal('#microsoft.graph.timeZoneBase').optional(), name: z.string().min(1).max(100) })
  .refine((tz) => ianaZoneFor(tz.name) !== undefined, { message: 'a Windows or IANA time zone name', path: ['name'] });

export const workingHoursSchema = z.object({
  daysOfWeek: z.array(dayOfWeek).max(7),
  startTime: timeOfDay,
  endTime: timeOfDay,
  timeZone: z.union([customTimeZone, namedTimeZone]),
});

export type WorkingHours = z.output<typeof workingHoursSchema>;
export type CustomTimeZone = z.output<typeof customTimeZone>;

const DAY_MS = 86_400_000;

function minutesOf(time: string): number {
  const [h, m, s] = time.split(':');
  return Number(h) * 60 + Number(m) + Math.floor(Number(s ?? 0)) / 60;
}

/** The instants in [window.start, window.end) inside the working hours, merged and sorted. */
export function workingIntervals(hours: WorkingHours, window: Interval): Interval[] {
  const days = new Set(hours.daysOfWeek);
  const start = minutesOf(hours.startTime);
  let end = minutesOf(hours.endTime);
  if (end <= start) end += 24 * 60; // ends after midnight
  const zone = zoneOf(hours.timeZone);
  const out: Interval[] = [];
  // Local dates from the day before the window to the day after: offsets are at most a day.
  const first = zone.localDate(window.start - DAY_MS);
  for (let date = first; date <= window.end + DAY_MS; date += DAY_MS) {
    if (!days.has(DAYS_OF_WEEK[new Date(date).getUTCDay()]!)) continue;
    const from = Math.max(window.start, zone.instant(date + start * 60_000));
    const to = Math.min(window.end, zone.instant(date + end * 60_000));
    if (to > from) out.push({ start: from, end: to });
  }
  return out;
}

/**
 * A zone as two conversions on "local milliseconds" (wall time written as if it were UTC): the local
 * midnight of an instant's date, and the instant of a local time.
 */
interface Zone {
  localDate(instant: number): number;
  instant(local: number): number;
}

function zoneOf(timeZone: WorkingHours['timeZone']): Zone {
  if ('bias' in timeZone) return customZone(timeZone);
  const iana = ianaZoneFor(timeZone.name) ?? 'UTC';
  return {
    localDate(instant) {
      const w = wallTimeAt(instant, iana);
      return Date.UTC(w.year, w.month - 1, w.day);
    },
    instant(local) {
      const d = new Date(local);
      return instantOf(
        { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() },
        iana,
      );
    },
  };
}

/**
 * A custom zone: UTC = local + bias, plus daylightBias while daylight saving time is in force, which runs
 * from the daylight transition to the standard one (local times; year 0 means every year).
 */
function customZone(tz: CustomTimeZone): Zone {
  const daylight = tz.daylightOffset;
  const standard = tz.standardOffset;
  const hasDst = Boolean(daylight && standard && daylight.month > 0 && standard.month > 0 && (daylight.daylightBias ?? 0) !== 0);
  const biasAt = (local: number): number => {
    if (!hasDst) return tz.bias;
    const year = new Date(local).getUTCFullYear();
    const on = transitionAt(daylight!, year);
    const off = transitionAt(standard!, year);
    const inDst = on < off ? local >= on && local < off : local >= on || local < off; // southern hemisphere
    return tz.bias + (inDst ? daylight!.daylightBias ?? 0 : 0);
  };
  return {
    localDate(instant) {
      // Two steps: the bias depends on the local date, which depends on the bias.
      const guess = instant - tz.bias * 60_000;
      const local = instant - biasAt(guess) * 60_000;
      return Math.floor(local / DAY_MS) * DAY_MS;
    },
    instant(local) {
      return local + biasAt(local) * 60_000;
    },
  };
}

/** Local milliseconds of the n-th (5: last) weekday of the transition's month at its time. */
function transitionAt(t: z.output<typeof zoneTransition>, year: number): number {
  const weekday = DAYS_OF_WEEK.indexOf(t.dayOfWeek);
  const firstOfMonth = Date.UTC(year, t.month - 1, 1);
  const firstWeekday = (weekday - new Date(firstOfMonth).getUTCDay() + 7) % 7;
  let day = 1 + firstWeekday + (t.dayOccurrence - 1) * 7;
  const daysInMonth = new Date(Date.UTC(year, t.month, 0)).getUTCDate();
  while (day > daysInMonth) day -= 7;
  return Date.UTC(year, t.month - 1, day) + minutesOf(t.time) * 60_000;
}
