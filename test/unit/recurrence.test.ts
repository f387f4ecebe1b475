// The series rules of a booking, without I/O: Graph's patternedRecurrence built from the booking, the bound
// on when a series ends (never before its real last occurrence), and the checks on first day and all-day times.
import { describe, expect, it } from 'vitest';
import { allDayIssues, bookingRecurrence, parseBookingTime, seriesEndBound, seriesIssues, toGraphRecurrence } from '../../shared/bookings/recurrence.js';

const at = (iso: string) => Date.parse(iso);
const recurrence = (value: unknown) => bookingRecurrence.parse(value);

describe('series bookings', () => {
  it('writes the range from the first occurrence in the booking zone, with its Windows name', () => {
    const r = recurrence({ pattern: { type: 'weekly', daysOfWeek: ['monday'] }, range: { type: 'endDate', endDate: '2030-06-30' } });
    // 00:30 on Monday in Berlin is still Sunday in UTC: the start date is Berlin's.
    expect(toGraphRecurrence(r, at('2030-05-05T22:30:00Z'), 'Europe/Berlin')).toEqual({
      pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
      range: { type: 'endDate', startDate: '2030-05-06', endDate: '2030-06-30', recurrenceTimeZone: 'W. Europe Standard Time' },
    });
  });

  it('bounds the end of a numbered series at or after its real last occurrence', () => {
    // Day 31 exists in 7 months of 12: three occurrences from 31 January are 31 January, 31 March, 31 May.
    const monthly = recurrence({ pattern: { type: 'absoluteMonthly', dayOfMonth: 31 }, range: { type: 'numbered', numberOfOccurrences: 3 } });
    expect(seriesEndBound(monthly, at('2030-01-31T09:00:00Z'), at('2030-01-31T10:00:00Z'), 'UTC').getTime()).toBeGreaterThanOrEqual(at('2030-05-31T10:00:00Z'));
    // Mondays and Wednesdays, five occurrences from Monday 6 May: the fifth is Monday 20 May.
    const weekly = recurrence({ pattern: { type: 'weekly', daysOfWeek: ['monday', 'wednesday'] }, range: { type: 'numbered', numberOfOccurrences: 5 } });
    const bound = seriesEndBound(weekly, at('2030-05-06T09:00:00Z'), at('2030-05-06T10:00:00Z'), 'UTC').getTime();
    expect(bound).toBeGreaterThanOrEqual(at('2030-05-20T10:00:00Z'));
    expect(bound).toBeLessThan(at('2030-06-10T00:00:00Z'));
  });

  it('refuses an endless series, a first day off the pattern, an end before the start and one too far ahead', () => {
    expect(bookingRecurrence.safeParse({ pattern: { type: 'daily' }, range: { type: 'noEnd' } }).error?.issues[0]?.path).toEqual(['range', 'type']);
    const weekly = recurrence({ pattern: { type: 'weekly', daysOfWeek: ['monday'] }, range: { type: 'numbered', numberOfOccurrences: 2 } });
    expect(seriesIssues(weekly, at('2030-05-07T09:00:00Z'), 'UTC').map((i) => i.path)).toEqual([['start']]);
    expect(seriesIssues(weekly, at('2030-05-06T09:00:00Z'), 'UTC')).toEqual([]);
    const ended = recurrence({ pattern: { type: 'daily' }, range: { type: 'endDate', endDate: '2030-05-01' } });
    expect(seriesIssues(ended, at('2030-05-06T09:00:00Z'), 'UTC').map((i) => i.path)).toEqual([['recurrence', 'range', 'endDate']]);
    const far = recurrence({ pattern: { type: 'absoluteMonthly', dayOfMonth: 6 }, range: { type: 'numbered', numberOfOccurrences: 999 } });
    expect(seriesIssues(far, at('2030-05-06T09:00:00Z'), 'UTC').map((i) => i.path)).toEqual([['recurrence', 'range']]);
  });
});

describe('all-day bookings', () => {
  it('takes bare dates as midnight in the zone, and refuses any other time', () => {
    const start = parseBookingTime('2030-05-06', 'Europe/Berlin', true)!;
    expect(new Date(start).toISOString()).toBe('2030-05-05T22:00:00.000Z');
    expect(parseBookingTime('2030-05-06', 'Europe/Berlin', false)).toBeUndefined();
    expect(allDayIssues(start, start + 86_400_000, 'Europe/Berlin')).toEqual([]);
    expect(allDayIssues(start + 3_600_000, start + 86_400_000, 'Europe/Berlin').map((i) => i.path)).toEqual([['start']]);
  });
});
