import { describe, expect, it } from 'vitest';
import { mergeBusy } from '../../shared/sync/merge-busy.js';

const H = 3_600_000;
const day = Date.UTC(2026, 0, 5);

describe('merge busy', () => {
  it('merges across calendars, keeps the strongest showAs, drops free and clips', () => {
    const items = [
      { start: day, end: day + 2 * H, showAs: 'tentative' },
      { start: day + H, end: day + 3 * H, showAs: 'oof' },
      { start: day + 5 * H, end: day + 6 * H, showAs: 'free' },
      { start: day + 7 * H, end: day + 30 * H, showAs: 'busy' },
    ];
    expect(mergeBusy(items, day, day + 24 * H)).toEqual([
      { start: '2026-01-05T00:00:00Z', end: '2026-01-05T03:00:00Z', showAs: 'oof' },
      { start: '2026-01-05T07:00:00Z', end: '2026-01-06T00:00:00Z', showAs: 'busy' },
    ]);
    expect(mergeBusy(items, day, day + 24 * H, ['free'])).toEqual([{ start: '2026-01-05T05:00:00Z', end: '2026-01-05T06:00:00Z', showAs: 'free' }]);
  });
});
