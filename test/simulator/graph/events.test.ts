// Events CRUD through the real Graph client against the simulator: shapes, If-Match, transactionId,
// time zones, rooms, extended properties, permissions and Graph's 400 shapes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { categorizeGraphError } from '../../../shared/graph/client.js';
import { ADELE, APP_ONLY, type GraphSim, SEED_ROOMS, SEED_USERS, eventBody, startGraphSim } from './support.js';

let g: GraphSim;
beforeAll(async () => {
  g = await startGraphSim();
});
afterAll(() => g.close());

async function graphError(p: Promise<unknown>): Promise<GraphError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GraphError);
  return error as GraphError;
}

describe('users and calendars', () => {
  it('returns /me and a lazily created default calendar', async () => {
    const me = await g.client().api('/me').get();
    expect(me).toMatchObject({ id: SEED_USERS.adele.id, userPrincipalName: 'adele@contoso.test', mail: 'adele@contoso.test' });
    const calendars = await g.client().api('/me/calendars').get();
    expect(calendars.value).toHaveLength(1);
    expect(calendars.value[0]).toMatchObject({ name: 'Calendar', isDefaultCalendar: true, canEdit: true, owner: { address: 'adele@contoso.test' } });
  });

  it('creates secondary calendars through Graph and the control API', async () => {
    const created = await g.client().api('/me/calendars').post({ name: 'Bookings' });
    expect(created).toMatchObject({ name: 'Bookings', isDefaultCalendar: false });
    const viaControl = await g.control('POST', `/_sim/graph/users/${SEED_USERS.adele.userPrincipalName}/calendars`, { name: 'Side' });
    expect(viaControl.status).toBe(201);
    const list = await g.client().api(`/users/${SEED_USERS.adele.id}/calendars`).get();
    expect(list.value.map((c: { name: string }) => c.name)).toEqual(['Calendar', 'Bookings', 'Side']);
  });
});

describe('events', () => {
  it('creates, reads, updates with If-Match and deletes an event', async () => {
    const client = g.client();
    const created = await client.api('/me/events').post(
      eventBody({ isReminderOn: true, reminderMinutesBeforeStart: 30, showAs: 'busy', categories: ['Booking'], isOnlineMeeting: true, onlineMeetingProvider: 'teamsForBusiness' }),
    );
    expect(created).toMatchObject({
      subject: 'Haircut',
      type: 'singleInstance',
      isReminderOn: true,
      reminderMinutesBeforeStart: 30,
      start: { dateTime: '2030-03-04T09:00:00.0000000', timeZone: 'UTC' },
      seriesMasterId: null,
    });
    expect(created.onlineMeeting.joinUrl).toMatch(/^https:\/\/teams\.microsoft\.com\//);
    expect(created['@odata.etag']).toBe(`W/"${created.changeKey}"`);

    const fetched = await client.api(`/me/events/${created.id}`).get();
    expect(fetched.iCalUId).toBe(created.iCalUId);

    const updated = await client.api(`/me/events/${created.id}`).header('If-Match', created['@odata.etag']).patch({ subject: 'Beard trim' });
    expect(updated.subject).toBe('Beard trim');
    expect(updated['@odata.etag']).not.toBe(created['@odata.etag']);

    const stale = await graphError(client.api(`/me/events/${created.id}`).header('If-Match', created['@odata.etag']).patch({ subject: 'x' }));
    expect(stale.statusCode).toBe(412);
    expect(categorizeGraphError(stale)).toBe('precondition_failed');

    await client.api(`/me/events/${created.id}`).delete();
    const gone = await graphError(client.api(`/me/events/${created.id}`).get());
    expect(gone.statusCode).toBe(404);
    expect(gone.code).toBe('ErrorItemNotFound');
    expect(categorizeGraphError(gone)).toBe('not_found');
  });

  it('returns the same event for a repeated transactionId', async () => {
    const client = g.client();
    const body = eventBody({ transactionId: 'd1b1c7a4-6a7e-4b0b-9d1e-000000000001', subject: 'Idempotent' });
    const first = await client.api('/me/events').post(body);
    const second = await client.api('/me/events').post(body);
    expect(second.id).toBe(first.id);
    expect(second.transactionId).toBe(body.transactionId);
    const list = await client.api('/me/events').filter(`transactionId eq '${String(body.transactionId)}'`).get();
    expect(list.value).toHaveLength(1);
  });

  it('accepts Windows zone names and answers in the Prefer zone', async () => {
    const client = g.client();
    const created = await client
      .api('/me/calendar/events')
      .header('Prefer', 'outlook.timezone="Pacific Standard Time"')
      .post(eventBody({ start: { dateTime: '2030-07-01T10:00:00', timeZone: 'W. Europe Standard Time' }, end: { dateTime: '2030-07-01T11:00:00', timeZone: 'Europe/Berlin' } }));
    // 10:00 CEST = 08:00Z = 01:00 PDT.
    expect(created.start).toEqual({ dateTime: '2030-07-01T01:00:00.0000000', timeZone: 'Pacific Standard Time' });
    expect(created.originalStartTimeZone).toBe('W. Europe Standard Time');
    const utc = await client.api(`/me/events/${created.id}`).get();
    expect(utc.end).toEqual({ dateTime: '2030-07-01T09:00:00.0000000', timeZone: 'UTC' });
  });

  it('books a free room attendee in the room calendar and declines a busy one, once the room has processed the request', async () => {
    const client = g.client();
    const room = { type: 'resource', emailAddress: { address: SEED_ROOMS.rainier.userPrincipalName, name: 'Rainier' } };
    const answer = async (id: string) => ((await client.api(`/me/events/${id}`).get()) as { attendees: { status: { response: string } }[] }).attendees[0]!.status.response;
    const first = await client.api('/me/events').post(eventBody({ subject: 'Planning', attendees: [room], start: { dateTime: '2030-05-01T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2030-05-01T11:00:00', timeZone: 'UTC' } }));
    // The Resource Booking Attendant has not answered yet.
    expect(first.attendees[0].status.response).toBe('none');
    await g.control('POST', '/_sim/clock/advance', { ms: g.sim.state.settings.roomResponseDelayMs });
    expect(await answer(first.id)).toBe('accepted');
    const roomEvents = await g.client(APP_ONLY).api(`/users/${SEED_ROOMS.rainier.id}/calendar/events`).get();
    expect(roomEvents.value.map((e: { subject: string }) => e.subject)).toContain('Planning');
    const clash = await client.api('/me/events').post(eventBody({ subject: 'Clash', attendees: [room], start: { dateTime: '2030-05-01T10:30:00', timeZone: 'UTC' }, end: { dateTime: '2030-05-01T11:30:00', timeZone: 'UTC' } }));
    expect(clash.attendees[0].status.response).toBe('none');
    await g.control('POST', '/_sim/clock/advance', { ms: g.sim.state.settings.roomResponseDelayMs });
    expect(await answer(clash.id)).toBe('declined');
    await client.api(`/me/events/${first.id}/cancel`).post({ Comment: 'Cancelled' });
    const after = await g.client(APP_ONLY).api(`/users/${SEED_ROOMS.rainier.id}/calendar/events`).get();
    expect(after.value.map((e: { subject: string }) => e.subject)).not.toContain('Planning');
  });

  it('finds events by extended property value and expands the property', async () => {
    const client = g.client();
    const propId = 'String {66f5a359-4659-4830-9070-00047ec6ac6e} Name BookingId';
    const created = await client.api('/me/events').post(eventBody({ singleValueExtendedProperties: [{ id: propId, value: 'bk-42' }] }));
    const found = await client
      .api('/me/events')
      .filter(`singleValueExtendedProperties/Any(ep: ep/id eq '${propId}' and ep/value eq 'bk-42')`)
      .expand(`singleValueExtendedProperties($filter=id eq '${propId}')`)
      .get();
    expect(found.value.map((e: { id: string }) => e.id)).toEqual([created.id]);
    expect(found.value[0].singleValueExtendedProperties).toEqual([{ id: propId, value: 'bk-42' }]);
  });
});

describe('errors and permissions', () => {
  it('answers bad requests with Graph 400 shapes', async () => {
    const unknown = await graphError(g.client().api('/me/events').post(eventBody({ colour: 'red' })));
    expect(unknown.statusCode).toBe(400);
    expect(unknown.code).toBe('RequestBodyRead');
    const badZone = await graphError(g.client().api('/me/events').post(eventBody({ start: { dateTime: '2030-01-01T10:00:00', timeZone: 'Mars/Olympus' } })));
    expect(badZone.code).toBe('TimeZoneNotSupportedException');

    const raw = await fetch(`${g.sim.url}/v1.0/me/events`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await g.token()}`, 'Content-Type': 'application/json', 'client-request-id': 'c0ffee' },
      body: '{not json',
    });
    expect(raw.status).toBe(400);
    const body = (await raw.json()) as { error: { code: string; message: string; innerError: Record<string, string> } };
    expect(body.error.code).toBe('BadRequest');
    expect(body.error.innerError['client-request-id']).toBe('c0ffee');
    expect(body.error.innerError['request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.error.innerError.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  it('rejects a missing token with 401 InvalidAuthenticationToken', async () => {
    const res = await fetch(`${g.sim.url}/v1.0/me/events`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('InvalidAuthenticationToken');
  });

  it('enforces scopes and the delegated own-mailbox rule', async () => {
    const readOnly = g.client({ userId: SEED_USERS.adele.id, scopes: ['Calendars.Read'] });
    const list = await readOnly.api('/me/events').get();
    expect(Array.isArray(list.value)).toBe(true);
    const write = await graphError(readOnly.api('/me/events').post(eventBody()));
    expect(write.statusCode).toBe(403);
    expect(write.code).toBe('ErrorAccessDenied');
    const other = await graphError(g.client(ADELE).api(`/users/${SEED_USERS.alex.id}/events`).get());
    expect(other.statusCode).toBe(403);
    expect(categorizeGraphError(other)).toBe('auth');
    const noRoles = await graphError(g.client({ roles: [] }).api(`/users/${SEED_USERS.alex.id}/events`).get());
    expect(noRoles.statusCode).toBe(403);
    const appMe = await graphError(g.client(APP_ONLY).api('/me/events').get());
    expect(appMe.statusCode).toBe(400);
  });
});
