// shared/graph/batch.ts and the live calendarView read against a simulator of their own (so its request
// counters and limits are this file's alone): splitting at 20, per-item 429 retries after Retry-After,
// paging through nextLinks, and all-day events as Graph sends them.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runBatch, relativeGraphUrl } from '../../shared/graph/batch.js';
import { eventToBusyItem, readLiveBusy } from '../../shared/graph/calendar-view.js';
import { SEED_USERS, startGraphSim, type GraphSim } from '../simulator/graph/support.js';

let g: GraphSim;
const DIEGO = { userId: SEED_USERS.diego.id, scopes: ['User.Read', 'Calendars.ReadWrite'] };
const UPN = SEED_USERS.diego.userPrincipalName;
const calendarIds: string[] = [];

async function counters(): Promise<{ byEndpoint: Record<string, number>; byMailboxEndpoint: Record<string, Record<string, number>> }> {
  return (await g.control('GET', '/_sim/graph/counters')).body as never;
}

beforeAll(async () => {
  g = await startGraphSim();
  for (let i = 0; i < 25; i += 1) {
    const { body } = await g.control<{ id: string }>('POST', `/_sim/graph/users/${UPN}/calendars`, { name: `Room plan ${i}` });
    calendarIds.push(body.id);
  }
  // Three events in every calendar, an hour apart, on 2030-02-01.
  for (const [i, calendarId] of calendarIds.entries()) {
    for (let h = 0; h < 3; h += 1) {
      const hour = String(8 + h * 2).padStart(2, '0');
      await g.control('POST', `/_sim/graph/users/${UPN}/events`, {
        calendarId,
        subject: `c${i} e${h}`,
        start: { dateTime: `2030-02-01T${hour}:00:00`, timeZone: 'UTC' },
        end: { dateTime: `2030-02-01T${hour}:30:00`, timeZone: 'UTC' },
      });
    }
  }
});
afterAll(() => g.close());
afterEach(async () => {
  await g.control('DELETE', '/_sim/graph/faults');
  await g.control('PUT', '/_sim/graph/limits', {});
});

const window = { start: new Date('2030-02-01T00:00:00Z'), end: new Date('2030-02-02T00:00:00Z') };

describe('runBatch', () => {
  it('splits 25 items into batches of 20 and 5, and answers every item', async () => {
    await g.control('DELETE', '/_sim/graph/counters');
    const items = calendarIds.map((id, i) => ({ id: `i${i}`, method: 'GET' as const, url: `/me/calendars/${id}` }));
    const results = await runBatch(g.client(DIEGO), items);
    expect([...results.values()].map((r) => r.status)).toEqual(Array(25).fill(200));
    expect(results.get('i24')!.body).toMatchObject({ id: calendarIds[24] });
    expect((await counters()).byEndpoint['POST /$batch']).toBe(2);
  });

  it('sends items throttled inside the batch (429) again after their Retry-After', async () => {
    // Two concurrent requests per mailbox and slow calendar reads: of each four items Graph starts, two get 429.
    await g.control('PUT', '/_sim/graph/limits', { concurrency: 2 });
    await g.control('POST', '/_sim/graph/faults', { endpoint: 'GET /users/{user}/calendars/{calendarId}', latencyMs: 100 });
    await g.control('DELETE', '/_sim/graph/counters');
    const items = calendarIds.slice(0, 8).map((id, i) => ({ id: `t${i}`, method: 'GET' as const, url: `/me/calendars/${id}` }));
    const results = await runBatch(g.client(DIEGO), items, { maxItemRetries: 6 });
    expect([...results.values()].every((r) => r.status === 200)).toBe(true);
    expect([...results.values()].some((r) => r.attempts > 1)).toBe(true);
    expect((await counters()).byEndpoint['POST /$batch']).toBeGreaterThan(1);
  });

  it('gives the last answer when an item is still throttled after the retries', async () => {
    await g.control('POST', '/_sim/graph/faults', { endpoint: 'GET /users/{user}/calendars/{calendarId}', errorRate: 1, status: 429, retryAfterSeconds: 0 });
    const results = await runBatch(g.client(DIEGO), [{ id: 'x', method: 'GET', url: `/me/calendars/${calendarIds[0]}` }], { maxItemRetries: 2 });
    expect(results.get('x')).toMatchObject({ status: 429, attempts: 3 });
  });

  it('turns nextLinks into relative batch URLs', () => {
    expect(relativeGraphUrl('https://graph.microsoft.com/v1.0/me/calendars/abc/calendarView?$skiptoken=x')).toBe('/me/calendars/abc/calendarView?$skiptoken=x');
  });
});

describe('readLiveBusy', () => {
  it('reads 20 calendars with one $batch request, and follows nextLinks in further batches', async () => {
    const twenty = calendarIds.slice(0, 20);
    await g.control('DELETE', '/_sim/graph/counters');
    const items = await readLiveBusy(g.client(DIEGO), { calendarIds: twenty, ...window });
    expect(items).toHaveLength(60);
    expect((await counters()).byEndpoint['POST /$batch']).toBe(1);

    await g.control('DELETE', '/_sim/graph/counters');
    const paged = await readLiveBusy(g.client(DIEGO), { calendarIds: twenty, ...window, pageSize: 2 });
    expect(paged).toHaveLength(60);
    const c = await counters();
    expect(c.byEndpoint['POST /$batch']).toBe(2); // first pages, then the second page of every calendar
    expect(c.byMailboxEndpoint[UPN]!['GET /users/{user}/calendars/{calendarId}/calendarView']).toBe(40);
  });
});

describe('eventToBusyItem', () => {
  it('places a floating all-day event (UTC midnight to midnight) at midnight of its own zone', () => {
    const item = eventToBusyItem({
      isAllDay: true,
      showAs: 'oof',
      originalStartTimeZone: 'Pacific Standard Time',
      start: { dateTime: '2030-07-04T00:00:00.0000000', timeZone: 'UTC' },
      end: { dateTime: '2030-07-05T00:00:00.0000000', timeZone: 'UTC' },
    });
    expect(item).toEqual({ start: Date.parse('2030-07-04T07:00:00Z'), end: Date.parse('2030-07-05T07:00:00Z'), showAs: 'oof' });
  });

  it('keeps an all-day event that already comes as its real instants, and drops cancelled ones', () => {
    const real = { start: { dateTime: '2030-07-04T07:00:00.0000000', timeZone: 'UTC' }, end: { dateTime: '2030-07-05T07:00:00.0000000', timeZone: 'UTC' } };
    expect(eventToBusyItem({ isAllDay: true, originalStartTimeZone: 'Pacific Standard Time', ...real })).toEqual({
      start: Date.parse('2030-07-04T07:00:00Z'),
      end: Date.parse('2030-07-05T07:00:00Z'),
      showAs: 'busy',
    });
    expect(eventToBusyItem({ isCancelled: true, ...real })).toBeUndefined();
  });
});
