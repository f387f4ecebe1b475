import { describe, expect, it } from 'vitest';
import { formatWallTime, instantOf, isValidTimeZone, offsetAt, parseDateTime, toUtcIso, wallTimeAt } from '../../shared/time/zoned-time.js';

const wall = (s: string) => {
  const [d, t] = s.split('T') as [string, string];
  const [year, month, day] = d.split('-').map(Number) as [number, number, number];
  const [hour, minute] = t.split(':').map(Number) as [number, number];
  return { year, month, day, hour, minute, second: 0 };
};

describe('zoned time', () => {
  it('knows valid and invalid zones', () => {
    expect(isValidTimeZone('Europe/London')).toBe(true);
    expect(isValidTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });

  it.each([
    // Europe: last Sunday of March 01:00 UTC, last Sunday of October 01:00 UTC.
    ['Europe/London', '2025-03-29T09:00', '2025-03-29T09:00:00Z'],
    ['Europe/London', '2025-03-31T09:00', '2025-03-31T08:00:00Z'],
    ['Europe/Berlin', '2025-10-25T09:00', '2025-10-25T07:00:00Z'],
    ['Europe/Berlin', '2025-10-27T09:00', '2025-10-27T08:00:00Z'],
    // US: second Sunday of March, first Sunday of November, 02:00 local.
    ['America/New_York', '2025-03-08T09:00', '2025-03-08T14:00:00Z'],
    ['America/New_York', '2025-03-10T09:00', '2025-03-10T13:00:00Z'],
    ['America/Los_Angeles', '2025-11-01T09:00', '2025-11-01T16:00:00Z'],
    ['America/Los_Angeles', '2025-11-03T09:00', '2025-11-03T17:00:00Z'],
    // Half-hour and southern-hemisphere zones.
    ['Asia/Kolkata', '2025-06-01T09:00', '2025-06-01T03:30:00Z'],
    ['Australia/Sydney', '2025-01-15T09:00', '2025-01-14T22:00:00Z'],
  ])('%s %s is %s', (zone, local, utc) => {
    expect(toUtcIso(instantOf(wall(local), zone))).toBe(utc);
  });

  it('moves a time inside a spring-forward gap forward by the gap', () => {
    // 02:30 does not exist in New York on 2025-03-09; it becomes 03:30 EDT = 07:30Z.
    expect(toUtcIso(instantOf(wall('2025-03-09T02:30'), 'America/New_York'))).toBe('2025-03-09T07:30:00Z');
    // 01:30 does not exist in London on 2025-03-30; it becomes 02:30 BST = 01:30Z.
    expect(toUtcIso(instantOf(wall('2025-03-30T01:30'), 'Europe/London'))).toBe('2025-03-30T01:30:00Z');
  });

  it('takes the earlier instant of an ambiguous fall-back time', () => {
    // 01:30 happens twice in New York on 2025-11-02: first in EDT (05:30Z).
    expect(toUtcIso(instantOf(wall('2025-11-02T01:30'), 'America/New_York'))).toBe('2025-11-02T05:30:00Z');
    expect(toUtcIso(instantOf(wall('2025-10-26T01:30'), 'Europe/London'))).toBe('2025-10-26T00:30:00Z');
  });

  it('round-trips instants through wall time', () => {
    for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2026, 0, 1); t += 7 * 3_600_000 + 13 * 60_000) {
      for (const zone of ['Europe/London', 'America/New_York', 'Australia/Lord_Howe']) {
        const w = wallTimeAt(t, zone);
        const back = instantOf(w, zone);
        // Either the same instant, or (in an overlap) the earlier one that shows the same wall time.
        expect(formatWallTime(wallTimeAt(back, zone))).toBe(formatWallTime(w));
        expect(back).toBeLessThanOrEqual(t);
      }
    }
  });

  it('reports offsets', () => {
    expect(offsetAt(Date.UTC(2025, 6, 1), 'Europe/London')).toBe(3_600_000);
    expect(offsetAt(Date.UTC(2025, 0, 1), 'America/New_York')).toBe(-5 * 3_600_000);
  });

  it('parses instants and local times, rejecting impossible ones', () => {
    expect(parseDateTime('2025-06-01T09:00:00Z', 'Asia/Tokyo')).toBe(Date.UTC(2025, 5, 1, 9));
    expect(parseDateTime('2025-06-01T09:00:00+02:00', 'UTC')).toBe(Date.UTC(2025, 5, 1, 7));
    expect(parseDateTime('2025-06-01T09:00', 'Europe/Paris')).toBe(Date.UTC(2025, 5, 1, 7));
    expect(parseDateTime('2025-02-30T09:00', 'UTC')).toBeUndefined();
    expect(parseDateTime('2025-02-30T09:00:00Z', 'UTC')).toBeUndefined();
    expect(parseDateTime('tomorrow', 'UTC')).toBeUndefined();
    expect(parseDateTime('2025-06-01', 'UTC')).toBeUndefined();
  });
});

describe('Windows zone names for Graph', async () => {
  const { toGraphDateTime, windowsZoneFor, ianaZoneFor } = await import('../../shared/time/windows-zones.js');

  it('maps IANA zones whose Windows names differ', () => {
    expect(windowsZoneFor('Europe/London')).toBe('GMT Standard Time');
    expect(windowsZoneFor('Asia/Kolkata')).toBe('India Standard Time');
    expect(windowsZoneFor('Europe/Kyiv')).toBe('FLE Standard Time');
    expect(ianaZoneFor('Pacific Standard Time')).toBe('America/Los_Angeles');
    expect(ianaZoneFor('Europe/Paris')).toBe('Europe/Paris');
    expect(ianaZoneFor('Nowhere Standard Time')).toBeUndefined();
  });

  it('writes wall time in the zone, labelled with the Windows name, across DST', () => {
    expect(toGraphDateTime(Date.UTC(2025, 2, 29, 9), 'Europe/London')).toEqual({ dateTime: '2025-03-29T09:00:00', timeZone: 'GMT Standard Time' });
    expect(toGraphDateTime(Date.UTC(2025, 2, 31, 8), 'Europe/London')).toEqual({ dateTime: '2025-03-31T09:00:00', timeZone: 'GMT Standard Time' });
    expect(toGraphDateTime(Date.UTC(2025, 10, 3, 17), 'America/Los_Angeles')).toEqual({ dateTime: '2025-11-03T09:00:00', timeZone: 'Pacific Standard Time' });
  });
});
