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
import { busyFromSummary, readBusySummaries, summarize } from '../../shared/sync/busy-summary.js';
import { DEFAULT_BUSY_SHOW_AS } from '../../shared/sync/merge-busy.js';

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
    const owner = { partitionKey: 'client-busy-cache', rowKey: conn };
    expect(await readCachedBusy(store, { connectionId: conn, calendarIds: ['cal/1'], start: at(0), end: at(24) })).toBeUndefined();
    await replaceCalendarBusy(store, owner, 'cal/1', window, [ev('e1', 9, 10), ev('e2', 11, 12, 'free')], 'https://graph.microsoft.com/v1.0/delta?$deltatoken=1');
    const busy = await readCachedBusy(store, { connectionId: conn, calendarIds: ['cal/1'], start: at(0), end: at(24) });
    expect(busy?.intervals).toEqual([{ start: '2026-01-05T09:00:00Z', end: '2026-01-05T10:00:00Z', showAs: 'busy' }]);
    // A second calendar without a sync, or a window beyond the synced one: not answerable from the cache.
    expect(await readCachedBusy(store, { connectionId: conn, calendarIds: ['cal/1', 'cal2'], start: at(0), end: at(24) })).toBeUndefined();
    expect(await readCachedBusy(store, { connectionId: conn, calendarIds: ['cal/1'], start: at(0), end: at(24 * 40) })).toBeUndefined();
    expect((await store.busy.getSyncState(conn, 'cal/1'))?.entity.deltaLink).toContain('deltatoken=1');
  });

  it('applies incremental changes and replays idempotently', async () => {
    const conn = 'conn-b';
    const owner = { partitionKey: 'client-busy-cache', rowKey: conn };
    await replaceCalendarBusy(store, owner, 'c', window, [ev('e1', 9, 10), ev('e2', 13, 14)], 'd1');
    for (let i = 0; i < 2; i++) {
      // moved e1, deleted e2, added e3: applied twice, same result (at-least-once delivery)
      expect(await applyCalendarChanges(store, owner, 'c', [ev('e1', 15, 16), ev('e3', 17, 18, 'tentative')], ['e2', 'never-seen'], 'd2')).toBe(true);
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
    const owner = { partitionKey: 'client-busy-cache', rowKey: conn };
    await replaceCalendarBusy(store, owner, 'c', window, [ev('e1', 1, 2), ev('e2', 3, 4)], 'd1');
    await replaceCalendarBusy(store, owner, 'c', window, [ev('e2', 3, 4)], 'd2');
    const rows = await store.busy.listCalendarEvents(conn, 'c');
    expect(rows.map((r) => r.eventId)).toEqual(['e2']);
  });

  it('writes more than one transaction of rows', async () => {
    const conn = 'conn-d';
    const owner = { partitionKey: 'client-busy-cache', rowKey: conn };
    const many = Array.from({ length: 230 }, (_, i) => ev(`e${i}`, i % 20, (i % 20) + 1));
    await replaceCalendarBusy(store, owner, 'c', window, many, 'd');
    expect((await store.busy.listCalendarEvents(conn, 'c')).length).toBe(230);
    await replaceCalendarBusy(store, owner, 'c', window, many.slice(0, 10), 'd');
    expect((await store.busy.listCalendarEvents(conn, 'c')).length).toBe(10);
  });

  it('stops answering when stale, and forgets a calendar', async () => {
    const conn = 'conn-e';
    const owner = { partitionKey: 'client-busy-cache', rowKey: conn };
    await replaceCalendarBusy(store, owner, 'c', window, [ev('e1', 9, 10)], 'd');
    await markCalendarStale(store, owner, 'c');
    expect(await readCachedBusy(store, { connectionId: conn, calendarIds: ['c'], start: at(0), end: at(24) })).toBeUndefined();
    await forgetCalendar(store, owner, 'c');
    expect(await store.busy.listCalendarEvents(conn, 'c')).toEqual([]);
    expect(await store.busy.getSyncState(conn, 'c')).toBeNull();
  });

  it('a calendar forgotten while a delta round or a stale mark runs (a disconnect) is left forgotten, not an error', async () => {
    const conn = 'conn-forgotten';
    const owner = { partitionKey: 'client-busy-cache', rowKey: conn };
    // The disconnect lands right after the call has read the calendar's sync state.
    const racing = new Proxy(store, {
      get: (target, prop) =>
        prop !== 'busy'
          ? Reflect.get(target, prop)
          : new Proxy(target.busy, {
              get: (busy, name) =>
                name === 'getSyncState'
                  ? async (connectionId: string, calendarId: string) => {
                      const state = await busy.getSyncState(connectionId, calendarId);
                      await forgetCalendar(target, owner, calendarId);
                      return state;
                    }
                  : (Reflect.get(busy, name) as unknown) instanceof Function
                    ? (Reflect.get(busy, name) as (...a: unknown[]) => unknown).bind(busy)
                    : Reflect.get(busy, name),
            }),
    });
    await replaceCalendarBusy(store, owner, 'c', window, [ev('e1', 9, 10)], 'd1');
    await expect(applyCalendarChanges(racing, owner, 'c', [ev('e2', 11, 12)], [], 'd2')).resolves.toBe(false);
    expect(await store.busy.getSyncState(conn, 'c')).toBeNull();

    await replaceCalendarBusy(store, owner, 'c', window, [ev('e1', 9, 10)], 'd1');
    await expect(markCalendarStale(racing, owner, 'c')).resolves.toBeUndefined();
    expect(await store.busy.getSyncState(conn, 'c')).toBeNull();
    expect(await readCachedBusy(store, { connectionId: conn, calendarIds: ['c'], start: at(0), end: at(24) })).toBeUndefined();
  });

  describe('summary row (what team availability reads)', () => {
    const client = 'client-summary';
    /** The summary's answer and the partition's, as [start, end] ms pairs, for the same query. */
    const both = async (conn: string, calendarIds: string[], start = at(0), end = at(24)) => {
      const summary = (await readBusySummaries(store, client, [conn])).get(conn);
      const fromSummary = summary && busyFromSummary(summary, calendarIds, DEFAULT_BUSY_SHOW_AS, start.getTime(), end.getTime());
      const fromPartition = await readCachedBusy(store, { connectionId: conn, calendarIds, start, end });
      return {
        summary: fromSummary && { spans: fromSummary.spans.map((s) => [s.start, s.end]), asOf: fromSummary.asOf.getTime() },
        partition: fromPartition && { spans: fromPartition.intervals.map((i) => [Date.parse(i.start), Date.parse(i.end)]), asOf: fromPartition.asOf.getTime() },
      };
    };

    it('follows every write to the partition: full sync, delta rounds, stale, forget', async () => {
      const owner = { partitionKey: client, rowKey: 'conn-s1' };
      await replaceCalendarBusy(store, owner, 'a', window, [ev('e1', 9, 10), ev('e2', 9.5, 11, 'tentative'), ev('e3', 12, 13, 'free')], 'd1', at(-1));
      await replaceCalendarBusy(store, owner, 'b', window, [ev('f1', 10.5, 12)], 'd1', at(-2));
      let seen = await both(owner.rowKey, ['a', 'b']);
      expect(seen.summary).toEqual({ spans: [[at(9).getTime(), at(12).getTime()]], asOf: at(-2).getTime() });
      expect(seen.summary).toEqual(seen.partition);

      await applyCalendarChanges(store, owner, 'a', [ev('e1', 14, 15)], ['e2'], 'd2', at(1));
      seen = await both(owner.rowKey, ['a']);
      expect(seen.summary).toEqual({ spans: [[at(14).getTime(), at(15).getTime()]], asOf: at(1).getTime() });
      expect(seen.summary).toEqual(seen.partition);
      // Beyond the synced window: neither answers.
      expect(await both(owner.rowKey, ['a'], at(0), at(24 * 40))).toEqual({ summary: undefined, partition: undefined });

      await markCalendarStale(store, owner, 'b');
      expect(await both(owner.rowKey, ['a', 'b'])).toEqual({ summary: undefined, partition: undefined });
      expect((await both(owner.rowKey, ['a'])).summary?.spans).toEqual([[at(14).getTime(), at(15).getTime()]]);

      await forgetCalendar(store, owner, 'a');
      await forgetCalendar(store, owner, 'b');
      expect((await readBusySummaries(store, client, [owner.rowKey])).has(owner.rowKey)).toBe(false);
    });

    it('keeps every calendar when rounds of two calendars write at once', async () => {
      const owner = { partitionKey: client, rowKey: 'conn-s2' };
      const calendars = ['c1', 'c2', 'c3', 'c4'];
      await Promise.all(calendars.map((c, i) => replaceCalendarBusy(store, owner, c, window, [ev(`${c}-e`, i * 2, i * 2 + 1)], 'd')));
      const summary = (await readBusySummaries(store, client, [owner.rowKey])).get(owner.rowKey)!;
      expect(Object.keys(summary.calendars!).sort()).toEqual(calendars);
      expect((await both(owner.rowKey, calendars)).summary?.spans).toEqual(calendars.map((_, i) => [at(i * 2).getTime(), at(i * 2 + 1).getTime()]));
    });

    it('sends readers to the partition when the summary would not fit a row', () => {
      // 15,000 separate events: more than a row holds.
      const events = Array.from({ length: 15_000 }, (_, i) => ({ calendarId: 'c', start: at(i / 10), end: at(i / 10 + 0.05), showAs: 'busy' }));
      const state = { calendarId: 'c', status: 'synced' as const, windowStart: at(-24), windowEnd: at(24 * 3000), syncedAt: at(0) };
      const summary = summarize('p', 'conn-s3', [state], events);
      expect(summary.tooLarge).toBe(true);
      expect(busyFromSummary(summary, ['c'], DEFAULT_BUSY_SHOW_AS, at(0).getTime(), at(24).getTime())).toBeUndefined();
      // A few hundred fit and answer.
      const small = summarize('p', 'conn-s3', [state], events.slice(0, 300));
      expect(busyFromSummary(small, ['c'], DEFAULT_BUSY_SHOW_AS, at(0).getTime(), at(1).getTime())?.spans.length).toBe(10);
    });
  });
});
