// Microsoft's own documented requests, replayed against the simulator as the reference pages write them
// (only names and addresses changed to the simulated tenant's), with the answers the pages promise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphError } from '@microsoft/microsoft-graph-client';
import { ADELE, APP_ONLY, type GraphSim, SEED_ROOMS, SEED_USERS, eventBody, startGraphSim } from './support.js';

let g: GraphSim;
beforeAll(async () => {
  g = await startGraphSim();
});
afterAll(() => g.close());

const graphError = (p: Promise<unknown>) => p.then(() => expect.fail('expected a Graph error'), (e: unknown) => e as GraphError);

describe('documented requests', () => {
  it('getSchedule, as https://learn.microsoft.com/en-us/graph/api/calendar-getschedule#request-1 writes it', async () => {
    // The page's body verbatim (PascalCase Schedules/StartTime/EndTime), addresses of this tenant.
    const body = {
      Schedules: [SEED_USERS.adele.userPrincipalName, SEED_USERS.megan.userPrincipalName],
      StartTime: { dateTime: '2019-03-15T09:00:00', timeZone: 'Pacific Standard Time' },
      EndTime: { dateTime: '2019-03-15T18:00:00', timeZone: 'Pacific Standard Time' },
      availabilityViewInterval: 60,
    };
    const res = await g.client(ADELE).api('/me/calendar/getSchedule').header('Prefer', 'outlook.timezone="Pacific Standard Time"').post(body);
    expect(res.value).toHaveLength(2);
    expect(res.value[0]).toMatchObject({ scheduleId: SEED_USERS.adele.userPrincipalName, availabilityView: '000000000' });
  });

  describe('event create, as https://learn.microsoft.com/en-us/graph/api/user-post-events writes it', () => {
    const pst = { Prefer: 'outlook.timezone="Pacific Standard Time"' };

    it('request 1: a meeting with one attendee, answered in the Prefer time zone', async () => {
      const body = {
        subject: "Let's go for lunch",
        body: { contentType: 'HTML', content: 'Does late morning work for you?' },
        start: { dateTime: '2017-04-15T12:00:00', timeZone: 'Pacific Standard Time' },
        end: { dateTime: '2017-04-15T14:00:00', timeZone: 'Pacific Standard Time' },
        location: { displayName: "Harry's Bar" },
        attendees: [{ emailAddress: { address: 'samanthab@contoso.onmicrosoft.com', name: 'Samantha Booth' }, type: 'required' }],
      };
      const created = await g.client(ADELE).api('/me/events').headers(pst).post(body);
      expect(created).toMatchObject({
        subject: "Let's go for lunch",
        start: { dateTime: '2017-04-15T12:00:00.0000000', timeZone: 'Pacific Standard Time' },
        end: { dateTime: '2017-04-15T14:00:00.0000000', timeZone: 'Pacific Standard Time' },
        location: { displayName: "Harry's Bar" },
        showAs: 'busy',
        type: 'singleInstance',
        isOrganizer: true,
      });
      expect(created.attendees).toEqual([expect.objectContaining({ type: 'required', emailAddress: { address: 'samanthab@contoso.onmicrosoft.com', name: 'Samantha Booth' } })]);
      expect(created['@odata.etag']).toMatch(/^W\/"/);
    });

    it('request 2: several locations, with an address and coordinates', async () => {
      const body = {
        subject: 'Plan summer company picnic',
        body: { contentType: 'HTML', content: "Let's kick-start this event planning!" },
        start: { dateTime: '2017-08-30T11:00:00', timeZone: 'Pacific Standard Time' },
        end: { dateTime: '2017-08-30T12:00:00', timeZone: 'Pacific Standard Time' },
        attendees: [
          { emailAddress: { address: 'DanaS@contoso.onmicrosoft.com', name: 'Dana Swope' }, type: 'Required' },
          { emailAddress: { address: 'AlexW@contoso.onmicrosoft.com', name: 'Alex Wilber' }, type: 'Required' },
        ],
        location: { displayName: 'Conf Room 3; Fourth Coffee; Home Office', locationType: 'Default' },
        locations: [
          { displayName: 'Conf Room 3' },
          {
            displayName: 'Fourth Coffee',
            address: { street: '4567 Main St', city: 'Redmond', state: 'WA', countryOrRegion: 'US', postalCode: '32008' },
            coordinates: { latitude: 47.672, longitude: -102.103 },
          },
          { displayName: 'Home Office' },
        ],
      };
      const created = await g.client(ADELE).api('/me/events').headers(pst).post(body);
      expect(created.start).toEqual({ dateTime: '2017-08-30T11:00:00.0000000', timeZone: 'Pacific Standard Time' });
      // Enum members are read case-insensitively and answered in Graph's spelling, as the page's response shows.
      expect(created.location).toMatchObject({ displayName: 'Conf Room 3; Fourth Coffee; Home Office', locationType: 'default' });
      expect(created.locations[1]).toMatchObject({ displayName: 'Fourth Coffee', address: { city: 'Redmond' }, coordinates: { latitude: 47.672 } });
      expect(created.attendees.map((a: { type: string }) => a.type)).toEqual(['required', 'required']);
      // Not a member in any spelling: refused as Graph refuses it.
      const wrong = await graphError(g.client(ADELE).api('/me/events').post({ ...body, attendees: [{ emailAddress: { address: 'x@contoso.com' }, type: 'Mandatory' }] }));
      expect(wrong.statusCode).toBe(400);
    });

    it('request 3: a weekly series through the end of the year', async () => {
      const body = {
        subject: "Let's go for lunch",
        body: { contentType: 'HTML', content: 'Does noon time work for you?' },
        start: { dateTime: '2017-09-04T12:00:00', timeZone: 'Pacific Standard Time' },
        end: { dateTime: '2017-09-04T14:00:00', timeZone: 'Pacific Standard Time' },
        recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['Monday'] }, range: { type: 'endDate', startDate: '2017-09-04', endDate: '2017-12-31' } },
        location: { displayName: "Harry's Bar" },
        attendees: [{ emailAddress: { address: 'AdeleV@contoso.onmicrosoft.com', name: 'Adele Vance' }, type: 'required' }],
      };
      const created = await g.client(ADELE).api('/me/events').post(body);
      expect(created.type).toBe('seriesMaster');
      expect(created.recurrence.range).toMatchObject({ type: 'endDate', startDate: '2017-09-04', endDate: '2017-12-31' });
      // Every Monday from 4 September to 25 December 2017: 17 occurrences, each at 12:00 Pacific.
      const view = await g.client(ADELE).api('/me/calendarView').headers(pst).query({ startDateTime: '2017-09-01T00:00:00Z', endDateTime: '2018-01-01T00:00:00Z' }).top(50).get();
      const occurrences = (view.value as { seriesMasterId?: string; start: { dateTime: string } }[]).filter((e) => e.seriesMasterId === created.id);
      expect(occurrences).toHaveLength(17);
      for (const o of occurrences) expect(o.start.dateTime).toMatch(/T12:00:00/);
    });
  });

  it('calendarView delta, as https://learn.microsoft.com/en-us/graph/api/event-delta#request-1 writes it', async () => {
    await g.client(ADELE).api('/me/events').post(eventBody({ subject: 'Delta me', start: { dateTime: '2016-12-02T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2016-12-02T11:00:00', timeZone: 'UTC' } }));
    // The page writes the window parameters in lower case.
    const page = await g.client(ADELE).api('/me/calendarView/delta?startdatetime=2016-12-01T00:00:00Z&enddatetime=2016-12-30T00:00:00Z').header('Prefer', 'odata.maxpagesize=2').get();
    expect(page.value.length).toBeGreaterThanOrEqual(1);
    // The page's response: every item carries its @odata.type.
    for (const item of page.value) expect(item['@odata.type']).toBe('#microsoft.graph.event');
    expect(page['@odata.deltaLink'] ?? page['@odata.nextLink']).toMatch(/^https:\/\/graph\.microsoft\.com\/v1\.0\//);
  });

  it('subscriptions: the documented event resource is accepted, a calendar of it is refused (https://learn.microsoft.com/en-us/graph/outlook-change-notifications-overview)', async () => {
    const calendar = await g.client(ADELE).api('/me/calendars').post({ name: `Undocumented ${Date.now()}` });
    const error = await graphError(
      g.client(ADELE).api('/subscriptions').post({
        changeType: 'created,updated,deleted',
        notificationUrl: 'https://webhook.example/api/notify',
        resource: `/me/calendars/${calendar.id}/events`,
        expirationDateTime: new Date(g.sim.state.clock.now() + 3600_000).toISOString(),
        clientState: 'secretClientValue',
      }),
    );
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('ExtensionError');
    expect(error.message).toMatch(/parameter 'Resource' is not supported/);
  });

  it('a stale If-Match gets 412 ErrorIrresolvableConflict (https://learn.microsoft.com/en-us/graph/errors)', async () => {
    const created = await g.client(ADELE).api('/me/events').post(eventBody({ subject: 'Etag' }));
    await g.client(ADELE).api(`/me/events/${created.id}`).patch({ subject: 'Changed' });
    const stale = await graphError(g.client(ADELE).api(`/me/events/${created.id}`).header('If-Match', created['@odata.etag']).patch({ subject: 'Stale' }));
    expect(stale.statusCode).toBe(412);
    expect(stale.code).toBe('ErrorIrresolvableConflict');
  });

  it('Prefer: IdType="ImmutableId" keeps an id across a move (https://learn.microsoft.com/en-us/graph/outlook-immutable-id)', async () => {
    const immutable = { Prefer: 'IdType="ImmutableId"' };
    const target = await g.client(ADELE).api('/me/calendars').post({ name: `Target ${Date.now()}` });
    // The app's client asks for immutable ids on every request; the control API answers regular ones unless asked.
    const created = await g.client(ADELE).api('/me/events').headers(immutable).post(eventBody({ subject: `Moves ${Date.now()}` }));
    const listed = await g.control<{ value: { id: string; subject: string }[] }>('GET', `/_sim/graph/users/${SEED_USERS.adele.id}/calendars/default/events`);
    const regular = listed.body.value.find((e) => e.subject === created.subject)!;
    expect(regular.id).not.toBe(created.id);

    const moved = await g.control<{ id: string }>('POST', `/_sim/graph/users/${SEED_USERS.adele.id}/events/${regular.id}/move`, { calendarId: target.id });
    expect(moved.status).toBe(200);
    expect(moved.body.id).not.toBe(regular.id);
    // The old regular id names nothing any more; the immutable one still names the event.
    expect((await graphError(g.client(ADELE).api(`/me/events/${regular.id}`).get())).statusCode).toBe(404);
    const again = await g.client(ADELE).api(`/me/events/${created.id}`).headers(immutable).get();
    expect(again.id).toBe(created.id);
  });

  it('/users/{id | userPrincipalName} only: a room is found by its address with $filter (https://learn.microsoft.com/en-us/graph/api/user-list)', async () => {
    const room = SEED_ROOMS.rainier;
    const mail = (await g.client(APP_ONLY).api(`/users/${room.id}`).get()).mail as string;
    expect(mail).not.toBe(room.userPrincipalName);
    expect((await graphError(g.client(APP_ONLY).api(`/users/${mail}`).get())).statusCode).toBe(404);
    const found = await g.client(APP_ONLY).api('/users').filter(`mail eq '${mail}'`).select('id,mail').get();
    expect(found.value.map((u: { id: string }) => u.id)).toEqual([room.id]);
  });
});
