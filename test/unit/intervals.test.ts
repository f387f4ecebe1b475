import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { clipIntervals, commonSlots, freeIntervals, mergeIntervals, type Interval } from '../../shared/time/intervals.js';

const iv = (start: number, end: number): Interval => ({ start, end });

describe('intervals', () => {
  it('merges overlapping and touching intervals', () => {
    expect(mergeIntervals([iv(5, 7), iv(1, 3), iv(3, 4), iv(6, 9), iv(10, 10)])).toEqual([iv(1, 4), iv(5, 9)]);
  });

  it('clips to a window', () => {
    expect(clipIntervals([iv(0, 5), iv(8, 20), iv(30, 40)], iv(2, 10))).toEqual([iv(2, 5), iv(8, 10)]);
  });

  it('finds free time', () => {
    expect(freeIntervals([iv(2, 4), iv(3, 5), iv(8, 9)], iv(0, 10))).toEqual([iv(0, 2), iv(5, 8), iv(9, 10)]);
    expect(freeIntervals([], iv(0, 10))).toEqual([iv(0, 10)]);
    expect(freeIntervals([iv(-5, 50)], iv(0, 10))).toEqual([]);
  });

  it('finds common slots on a grid', () => {
    const a = [iv(0, 30)];
    const b = [iv(60, 90)];
    expect(commonSlots([a, b], iv(0, 120), 30, 15)).toEqual([iv(30, 60), iv(90, 120)]);
    expect(commonSlots([a, b], iv(0, 120), 45, 15)).toEqual([]);
  });

  it('merged intervals are disjoint, sorted and cover the same points', () => {
    const arb = fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 50 })).map(([s, d]) => iv(s, s + d)), {
      maxLength: 30,
    });
    fc.assert(
      fc.property(arb, (input) => {
        const merged = mergeIntervals(input);
        for (let i = 1; i < merged.length; i++) expect(merged[i]!.start).toBeGreaterThan(merged[i - 1]!.end);
        for (let p = 0; p < 260; p++) {
          const inInput = input.some((x) => p >= x.start && p < x.end);
          const inMerged = merged.some((x) => p >= x.start && p < x.end);
          expect(inMerged).toBe(inInput);
        }
      }),
    );
  });
});
