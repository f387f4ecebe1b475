import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { getConfig } from '../../shared/config.js';
import { createStore, type Store } from '../../shared/store/index.js';
import {
  applyCalendarChanges,
  forgetCalendar,
  markCalendarStale,
  readCachedBusy,
  replaceCalendarBusy,
  type CachedEvent,
} from '../../shared/sync/busy-cache.js';

const H = 3_600_000;
const day = Date.UTC(2026, 0, 5);
const at = (h: number) => new Date(day + h * H);
const ev = (eventId: string, startH: number, endH: number, showAs = 'busy', extra: Partial<CachedEvent> = {}): CachedEvent => ({
  eventId,
  start: at(startH),
  end: at(endH),
  showAs,
  ...extra,
});
const window = { start: at(-24), end: at(24 * 30) };

let store: Store;
beforeAll(() => {
  store = createStore(getConfig().storage, { tablePrefix: `t${randomBytes(4).toString('hex')}` });
});

describe('busy cache', () => {
  it('answers only for synced calendars that cover the window', async () => {
    const conn = 'conn-a';
    expect(await readCachedBusy(store, { connectionId: conn, calendarIds: ['cal/1'], start: at(0), end: at(24) })).toBeUndefined();
    await replaceCalendarBusy(store, conn, 'cal/1', window, [ev('e1', 9, 10), ev('e2', 11, 12, 'free')], 'https://graph.microsoft.com/v1.0/delta?$deltatoken=1');
    const busy = await readCachedBusy(store, { connectionId: conn, calendarIds: ['cal/1'], start: at(0), end: at(24) });
    expect(busy?.intervals).toEqual([{ start: '2026-01-05T09:00:00Z', end: '2026-01-05T10:00:00Z', showAs: 'busy' }]);
    // A second calendar without a sync, or a window beyond the synced one: not answerable from the cache.
    expect(await readCachedBusy(store, { connectionId: conn, calendarIds: ['cal/1', 'cal2'], start: at(0), end: at(24) })).toBeUndefined();
    expect(await readCachedBusy(store, { connectionId: conn, calendarIds: ['cal/1'], start: at(0), end: at(24 * 40) })).toBeUndefined();
    expect((await store.busy.getSyncState(conn, 'cal/1'))?.entity.deltaLink).toContain('deltatoken=1');
  });

  it('applies incremental changes and replays idempotently', async () => {
    const conn = 'conn-b';
    await replaceCalendarBusy(store, conn, 'c', window, [ev('e1', 9, 10), ev('e2', 13, 14)], 'd1');
    for (let i = 0; i < 2; i++) {
      // moved e1, deleted e2, added e3: applied twice, same result (at-least-once delivery)
      await applyCalendarChanges(store, conn, 'c', [ev('e1', 15, 16), ev('e3', 17, 18, 'tentative')], ['e2', 'never-seen'], 'd2');
    }
    const busy = await readCachedBusy(store, { connectionId: conn, calendarIds: ['c'], start: at(0), end: at(24) });
    expect(busy?.intervals).toEqual([
      { start: '2026-01-05T15:00:00Z', end: '2026-01-05T16:00:00Z', showAs: 'busy' },
      { start: '2026-01-05T17:00:00Z', end: '2026-01-05T18:00:00Z', showAs: 'tentative' },
    ]);
    expect((await store.busy.getSyncState(conn, 'c'))?.entity.deltaLink).toBe('d2');
  });

  it('a full resync removes events that disappeared', async () => {
    const conn = 'conn-c';
    await replaceCalendarBusy(store, conn, 'c', window, [ev('e1', 1, 2), ev('e2', 3, 4)], 'd1');
    await replaceCalendarBusy(store, conn, 'c', window, [ev('e2', 3, 4)], 'd2');
    const rows = await store.busy.listCalendarEvents(conn, 'c');
    expect(rows.map((r) => r.eventId)).toEqual(['e2']);
  });

  it('writes more than one transaction of rows', async () => {
    const conn = 'conn-d';
    const many = Array.from({ length: 230 }, (_, i) => ev(`e${i}`, i % 20, (i % 20) + 1));
    await replaceCalendarBusy(store, conn, 'c', window, many, 'd');
    expect((await store.busy.listCalendarEvents(conn, 'c')).length).toBe(230);
    await replaceCalendarBusy(store, conn, 'c', window, many.slice(0, 10), 'd');
    expect((await store.busy.listCalendarEvents(conn, 'c')).length).toBe(10);
  });

  it('stops answering when stale, and forgets a calendar', async () => {
    const conn = 'conn-e';
    await replaceCalendarBusy(store, conn, 'c', window, [ev('e1', 9, 10)], 'd');
    await markCalendarStale(store, conn, 'c');
    expect(await readCachedBusy(store, { connectionId: conn, calendarIds: ['c'], start: at(0), end: at(24) })).toBeUndefined();
    await forgetCalendar(store, conn, 'c');
    expect(await store.busy.listCalendarEvents(conn, 'c')).toEqual([]);
    expect(await store.busy.getSyncState(conn, 'c')).toBeNull();
  });
});
