import { describe, expect, it } from 'vitest';
import { workingHoursSchema, workingIntervals } from '../../shared/time/working-hours.js';

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
const hoursOf = (value: unknown) => workingHoursSchema.parse(value);
const span = (from: string, to: string) => ({ start: Date.parse(from), end: Date.parse(to) });
const spans = (intervals: { start: number; end: number }[]) => intervals.map((i) => `${iso(i.start)}/${iso(i.end).slice(11)}`);

// A custom zone like Graph's own example: UTC+10, and UTC+11 from the first Sunday of October to the first
// Sunday of April (southern hemisphere: daylight time spans the new year).
const sydneyLike = {
  '@odata.type': '#microsoft.graph.customTimeZone',
  bias: -600,
  name: 'Customized Time Zone',
  standardOffset: { time: '03:00:00.0000000', dayOccurrence: 1, dayOfWeek: 'sunday', month: 4, year: 0 },
  daylightOffset: { daylightBias: -60, time: '02:00:00.0000000', dayOccurrence: 1, dayOfWeek: 'sunday', month: 10, year: 0 },
};

describe('workingIntervals', () => {
  it('follows a named zone across its daylight saving change (Windows name)', () => {
    const hours = hoursOf({ daysOfWeek: ['friday', 'monday'], startTime: '09:00:00.0000000', endTime: '17:00:00.0000000', timeZone: { name: 'W. Europe Standard Time' } });
    // Europe's clocks go forward on Sunday 2031-03-30.
    expect(spans(workingIntervals(hours, span('2031-03-28T00:00Z', '2031-04-01T00:00Z')))).toEqual(['2031-03-28T08:00/16:00', '2031-03-31T07:00/15:00']);
  });

  it('keeps a southern custom zone in daylight time over the new year', () => {
    const hours = hoursOf({ daysOfWeek: ['monday'], startTime: '09:00', endTime: '10:00', timeZone: sydneyLike });
    expect(spans(workingIntervals(hours, span('2031-01-05T00:00Z', '2031-01-07T00:00Z')))).toEqual(['2031-01-05T22:00/23:00']);
    expect(spans(workingIntervals(hours, span('2031-07-06T00:00Z', '2031-07-08T00:00Z')))).toEqual(['2031-07-06T23:00/00:00']);
  });

  it('runs hours that end after midnight into the next day, clipped to the window', () => {
    const hours = hoursOf({ daysOfWeek: ['tuesday'], startTime: '22:00', endTime: '06:00', timeZone: { name: 'UTC' } });
    expect(spans(workingIntervals(hours, span('2031-01-07T00:00Z', '2031-01-08T05:00Z')))).toEqual(['2031-01-07T22:00/05:00']);
  });

  it('refuses a day or zone Graph would not give', () => {
    expect(workingHoursSchema.safeParse({ daysOfWeek: ['funday'], startTime: '09:00', endTime: '17:00', timeZone: { name: 'UTC' } }).success).toBe(false);
    expect(workingHoursSchema.safeParse({ daysOfWeek: ['monday'], startTime: '09:00', endTime: '17:00', timeZone: { name: 'Atlantis Time' } }).success).toBe(false);
  });
});
