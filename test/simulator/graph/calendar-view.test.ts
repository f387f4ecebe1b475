// calendarView and calendarView/delta through the real Graph client: recurrence expansion, paging with
// PageIterator, delta rounds (changes only, @removed), and 410 for an expired delta token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphError, PageIterator } from '@microsoft/microsoft-graph-client';
import { categorizeGraphError } from '../../../shared/graph/client.js';
import { type GraphSim, SEED_USERS, eventBody, startGraphSim } from './support.js';

let g: GraphSim;
beforeAll(async () => {
  g = await startGraphSim();
});
afterAll(() => g.close());

const ALEX = { userId: SEED_USERS.alex.id, scopes: ['Calendars.ReadWrite'] };
const DIEGO = { userId: SEED_USERS.diego.id, scopes: ['Calendars.ReadWrite'] };

describe('calendarView', () => {
  it('requires a window', async () => {
    const error = await g.client().api('/me/calendarView').get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect((error as GraphError).statusCode).toBe(400);
    expect((error as GraphError).code).toBe('ErrorInvalidParameter');
  });

  it('expands a weekly series into occurrences at the same wall-clock time across DST', async () => {
    const client = g.client(ALEX);
    const master = await client.api('/me/events').post(
      eventBody({
        subject: 'Standup',
        start: { dateTime: '2030-03-18T09:00:00', timeZone: 'America/New_York' },
        end: { dateTime: '2030-03-18T09:15:00', timeZone: 'America/New_York' },
        recurrence: {
          pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday', 'wednesday'] },
          range: { type: 'numbered', startDate: '2030-03-04', numberOfOccurrences: 6, recurrenceTimeZone: 'Eastern Standard Time' },
        },
      }),
    );
    expect(master.type).toBe('seriesMaster');
    const view = await client.api('/me/calendarView').query({ startDateTime: '2030-03-01T00:00:00Z', endDateTime: '2030-04-01T00:00:00Z' }).top(50).get();
    const starts = view.value.map((e: { start: { dateTime: string } }) => e.start.dateTime);
    // Mar 4, 6 (EST, UTC-5) and Mar 11, 13, 18, 20 (EDT, UTC-4 after Mar 10).
    expect(starts).toEqual([
      '2030-03-04T14:00:00.0000000',
      '2030-03-06T14:00:00.0000000',
      '2030-03-11T13:00:00.0000000',
      '2030-03-13T13:00:00.0000000',
      '2030-03-18T13:00:00.0000000',
      '2030-03-20T13:00:00.0000000',
    ]);
    expect(view.value.every((e: { type: string; seriesMasterId: string }) => e.type === 'occurrence' && e.seriesMasterId === master.id)).toBe(true);

    // Cancelling one occurrence removes it from the view.
    await client.api(`/me/events/${view.value[1].id}`).delete();
    const after = await client.api('/me/calendarView').query({ startDateTime: '2030-03-01T00:00:00Z', endDateTime: '2030-04-01T00:00:00Z' }).get();
    expect(after.value).toHaveLength(5);
  });

  it('pages with Prefer: odata.maxpagesize and PageIterator follows @odata.nextLink', async () => {
    const client = g.client(DIEGO);
    for (let i = 0; i < 7; i++)
      await client.api('/me/events').post(eventBody({ subject: `Slot ${i}`, start: { dateTime: `2030-06-0${i + 1}T10:00:00`, timeZone: 'UTC' }, end: { dateTime: `2030-06-0${i + 1}T11:00:00`, timeZone: 'UTC' } }));
    const first = await client
      .api('/me/calendarView')
      .header('Prefer', 'odata.maxpagesize=3')
      .query({ startDateTime: '2030-06-01T00:00:00', endDateTime: '2030-06-30T00:00:00' })
      .select('subject,start')
      .get();
    expect(first.value).toHaveLength(3);
    expect(first['@odata.nextLink']).toMatch(/^https:\/\/graph\.microsoft\.com\/v1\.0\/me\/calendarView\?/);
    expect(Object.keys(first.value[0]).sort()).toEqual(['@odata.etag', 'id', 'start', 'subject']);
    const subjects: string[] = [];
    const iterator = new PageIterator(client, first, (e: { subject: string }) => {
      subjects.push(e.subject);
      return true;
    });
    await iterator.iterate();
    expect(subjects).toEqual(['Slot 0', 'Slot 1', 'Slot 2', 'Slot 3', 'Slot 4', 'Slot 5', 'Slot 6']);
  });
});

describe('calendarView/delta', () => {
  async function round(url: string, client = g.client(ALEX)): Promise<{ items: Record<string, unknown>[]; deltaLink: string; pages: number }> {
    let page = await client.api(url).header('Prefer', 'odata.maxpagesize=2').get();
    const items = [...page.value];
    let pages = 1;
    while (page['@odata.nextLink']) {
      page = await client.api(page['@odata.nextLink']).get();
      items.push(...page.value);
      pages++;
    }
    return { items, deltaLink: page['@odata.deltaLink'], pages };
  }

  it('pages the initial round, then returns only changes and removals', async () => {
    const cal = await g.client(ALEX).api('/me/calendars').post({ name: 'Delta' });
    const base = `/me/calendars/${cal.id}/calendarView/delta?startDateTime=2031-01-01T00:00:00Z&endDateTime=2031-02-01T00:00:00Z`;
    const ids: string[] = [];
    for (let d = 10; d < 15; d++) {
      const e = await g.client(ALEX).api(`/me/calendars/${cal.id}/events`).post(eventBody({ subject: `D${d}`, start: { dateTime: `2031-01-${d}T08:00:00`, timeZone: 'UTC' }, end: { dateTime: `2031-01-${d}T09:00:00`, timeZone: 'UTC' } }));
      ids.push(e.id);
    }
    const initial = await round(base);
    expect(initial.items).toHaveLength(5);
    expect(initial.pages).toBe(3);
    expect(initial.deltaLink).toMatch(/^https:\/\/graph\.microsoft\.com\/v1\.0\/me\/calendars\/.+\/calendarView\/delta\?\$deltatoken=/);

    const quiet = await round(initial.deltaLink);
    expect(quiet.items).toEqual([]);

    // One change through Graph, one deletion "in Outlook" (control API).
    await g.client(ALEX).api(`/me/events/${ids[0]}`).patch({ subject: 'Moved' });
    const del = await g.control('DELETE', `/_sim/graph/users/${SEED_USERS.alex.id}/events/${ids[1]}`);
    expect(del.status).toBe(204);
    const changes = await round(quiet.deltaLink);
    expect(changes.items).toHaveLength(2);
    expect(changes.items.find((i) => i.id === ids[0])).toMatchObject({ subject: 'Moved' });
    expect(changes.items.find((i) => i.id === ids[1])).toEqual({ '@odata.type': '#microsoft.graph.event', id: ids[1], '@removed': { reason: 'deleted' } });

    // An expired token gets 410 SyncStateNotFound.
    expect((await g.control('POST', '/_sim/graph/delta/expire')).status).toBe(200);
    const error = await g.client(ALEX).api(changes.deltaLink).get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect((error as GraphError).statusCode).toBe(410);
    expect((error as GraphError).code).toBe('SyncStateNotFound');
    expect(categorizeGraphError(error)).toBe('gone');
  });

  it('reports occurrences of a series in the window', async () => {
    const cal = await g.client(ALEX).api('/me/calendars').post({ name: 'Series' });
    await g.client(ALEX).api(`/me/calendars/${cal.id}/events`).post(
      eventBody({
        start: { dateTime: '2031-03-03T08:00:00', timeZone: 'UTC' },
        end: { dateTime: '2031-03-03T08:30:00', timeZone: 'UTC' },
        recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'endDate', startDate: '2031-03-03', endDate: '2031-03-07' } },
      }),
    );
    const r = await round(`/me/calendars/${cal.id}/calendarView/delta?startDateTime=2031-03-01T00:00:00Z&endDateTime=2031-03-06T00:00:00Z`);
    expect(r.items.map((i) => i.type)).toEqual(['occurrence', 'occurrence', 'occurrence']);
  });
});
