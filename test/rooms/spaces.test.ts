// Spaces mapped to room mailboxes of a consented tenant; bookings in the room's
// calendar exactly once; busy time kept fresh by app-only subscriptions on the room through the same
// subscription, delta, renewal and busy-cache code as connections; an Outlook-side meeting with the room
// -> space.busy_changed. Local host over real HTTP, Azurite, the simulator, real MSAL and Graph client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createTestClient, type TestClient } from '../support/connect-user.js';
import { api, newBookingId, sim, type SimEvent } from '../bookings/support.js';
import { startWebhookReceiver, type WebhookReceiver } from '../sync/support.js';
import { waitFor } from '../support/wait-for.js';
import { listConnectionSubscriptions } from '../../shared/sync/calendar-subscriptions.js';
import { renewExpiringSubscriptions } from '../../shared/sync/renew-subscriptions.js';
import { defaultSyncDeps } from '../../shared/sync/sync-deps.js';
import { spaceOwnerId } from '../../shared/spaces/space-owner.js';
import { consentTenant, createSimRoom, createSimTenant, createSimTenantUser, type SimTenant } from './support.js';

let app: AppHost;
let hooks: WebhookReceiver;
let client: TestClient;
let tenant: SimTenant;
let room: { id: string; userPrincipalName: string };

/** A UTC date a few days ahead: inside the busy cache's window (yesterday to 90 days ahead). */
const day = (daysAhead: number): string => new Date(Date.now() + daysAhead * 86_400_000).toISOString().slice(0, 10);
const D1 = day(3);
const D2 = day(4);
const D3 = day(5);
const ownerOf = (spaceId: string) => spaceOwnerId(client.client.clientId, spaceId);
const records = (spaceId: string) => listConnectionSubscriptions(app.services, client.client.clientId, ownerOf(spaceId));
const roomEvents = async (upn: string): Promise<SimEvent[]> => (await sim(app, 'GET', `/users/${encodeURIComponent(upn)}/calendars/default/events`)).value;
const simSubsOf = async (roomId: string): Promise<{ id: string; resource: string; expirationDateTime: string }[]> =>
  (await sim(app, 'GET', '/subscriptions')).value.filter((s: { resource: string }) => s.resource.includes(roomId));
const synced = (spaceId: string, calendarId: string) =>
  waitFor(async () => (await app.services.store.busy.getSyncState(ownerOf(spaceId), calendarId))?.entity.status === 'synced', { message: `the first sync of ${spaceId}` });

beforeAll(async () => {
  hooks = await startWebhookReceiver();
  // A simulator of this file's own: waiting for the consent to propagate moves its clock.
  app = await startAppHost({ ownSimulator: true });
  client = await createTestClient(app, { webhookUrl: hooks.url });
  tenant = await createSimTenant(app);
  room = await createSimRoom(app, tenant, 'reading-room');
  expect((await consentTenant(app, client, tenant)).searchParams.get('status')).toBe('consented');
}, 60_000);
afterAll(async () => {
  await app?.close();
  await hooks?.close();
});

describe('POST /api/spaces', () => {
  it('maps a space to a room of the consented tenant, subscribes app-only to the room and syncs it', async () => {
    const res = await api(app, client.apiKey, 'POST', 'spaces', { spaceId: 'reading-room', roomEmail: room.userPrincipalName.toUpperCase() });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ spaceId: 'reading-room', roomEmail: room.userPrincipalName, tenantId: tenant.id, bookingMode: 'room_calendar' });
    expect(res.body.calendarId).toEqual(expect.any(String));
    await waitFor(async () => (await records('reading-room')).length === 1, { message: 'the room subscription' });
    const [record] = await records('reading-room');
    // The room's default calendar, on the documented mailbox resource ("/users/{id}/events").
    expect(record!.resource).toBe(`/users/${room.id}/events`);
    expect(record!.calendarId).toBe(res.body.calendarId);
    expect((await simSubsOf(room.id)).map((s) => s.id)).toEqual([record!.subscriptionId]);
    await synced('reading-room', res.body.calendarId);

    const again = await api(app, client.apiKey, 'POST', 'spaces', { spaceId: 'reading-room', roomEmail: room.userPrincipalName });
    expect(again.status).toBe(200); // the same mapping again: idempotent
    const read = await api(app, client.apiKey, 'GET', 'spaces/reading-room');
    expect(read.status).toBe(200);
    expect(read.body.subscriptions).toMatchObject({ status: 'healthy', count: 1 });
    const list = await api(app, client.apiKey, 'GET', 'spaces');
    expect(list.body.value.map((s: { spaceId: string }) => s.spaceId)).toContain('reading-room');
  });

  it('refuses an unknown room, a user mailbox, a tenant without consent and bad fields, storing nothing', async () => {
    const user = await createSimTenantUser(app, tenant, 'pat');
    const cases: [Record<string, unknown>, number, string, string][] = [
      [{ spaceId: 'ghost', roomEmail: `nobody@${tenant.domain}` }, 422, 'room_not_found', 'roomEmail'],
      [{ spaceId: 'ghost', roomEmail: user.userPrincipalName }, 422, 'not_a_room', 'roomEmail'],
      [{ spaceId: 'ghost', roomEmail: room.userPrincipalName, tenantId: '11111111-2222-4333-8444-555555555555' }, 409, 'tenant_consent_required', 'tenantId'],
      [{ spaceId: 'ghost', roomEmail: 'not-an-email' }, 400, 'invalid_field', 'roomEmail'],
      [{ spaceId: 'bad/id', roomEmail: room.userPrincipalName }, 400, 'invalid_field', 'spaceId'],
      [{ spaceId: 'ghost', roomEmail: room.userPrincipalName, bookingMode: 'teleport' }, 400, 'invalid_field', 'bookingMode'],
      [{ spaceId: 'ghost', roomEmail: room.userPrincipalName, extra: 1 }, 400, 'invalid_field', 'extra'],
    ];
    for (const [body, status, code, field] of cases) {
      const res = await api(app, client.apiKey, 'POST', 'spaces', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body).toMatchObject({ code, field });
    }
    expect((await api(app, client.apiKey, 'GET', 'spaces/ghost')).status).toBe(404);

    // A booking system whose customer's administrator never consented.
    const stranger = await createTestClient(app);
    const refused = await api(app, stranger.apiKey, 'POST', 'spaces', { spaceId: 'reading-room', roomEmail: room.userPrincipalName });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'tenant_consent_required', field: 'tenantId' });
    // Another client's space id is not found.
    expect((await api(app, stranger.apiKey, 'GET', 'spaces/reading-room')).status).toBe(404);
    expect((await api(app, stranger.apiKey, 'GET', 'spaces')).body.value).toEqual([]);
  });

  it('refuses another room under an existing space id', async () => {
    const other = await createSimRoom(app, tenant, 'annex');
    const res = await api(app, client.apiKey, 'POST', 'spaces', { spaceId: 'reading-room', roomEmail: other.userPrincipalName });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'space_exists', field: 'spaceId' });
  });
});

describe('bookings of a space', () => {
  it('20 concurrent identical POSTs make exactly one event in the room calendar', async () => {
    const body = { bookingId: newBookingId('room'), spaceId: 'reading-room', subject: 'Study group', start: `${D1}T10:00:00`, end: `${D1}T11:00:00`, timeZone: 'UTC' };
    const results = await Promise.all(Array.from({ length: 20 }, () => api(app, client.apiKey, 'POST', 'bookings', body)));
    expect(results.map((r) => r.status).sort()).toEqual([...Array(19).fill(200), 201]);
    expect(new Set(results.map((r) => r.body.eventId)).size).toBe(1);
    expect(results[0]!.body).toMatchObject({ spaceId: 'reading-room', status: 'confirmed' });
    expect(results[0]!.body.connectionId).toBeUndefined();
    const events = (await roomEvents(room.userPrincipalName)).filter((e) => e.subject === 'Study group');
    expect(events).toHaveLength(1);
    expect(events[0]!.id).toBe(results[0]!.body.eventId);

    // Read back through the booking API (app-only, the room's calendar), then the room is busy then.
    const read = await api(app, client.apiKey, 'GET', `bookings/${body.bookingId}`);
    expect(read.status).toBe(200);
    expect(read.body.event).toMatchObject({ id: events[0]!.id, start: `${D1}T10:00:00Z` });
    const busy = await waitFor(async () => {
      const r = await api(app, client.apiKey, 'GET', `spaces/reading-room/busy?start=${D1}T00:00:00Z&end=${D1}T23:59:00Z`);
      return r.body.source === 'cache' && r.body.intervals.length > 0 ? r : undefined;
    }, { message: 'the booking in the busy cache' });
    expect(busy.body.intervals).toEqual([{ start: `${D1}T10:00:00Z`, end: `${D1}T11:00:00Z`, showAs: 'busy' }]);
  });

  it('refuses a space booking that names a connection, and an unknown space, with the field', async () => {
    const base = { bookingId: newBookingId('room'), subject: 'x', start: `${D1}T12:00:00`, end: `${D1}T13:00:00`, timeZone: 'UTC' };
    const both = await api(app, client.apiKey, 'POST', 'bookings', { ...base, spaceId: 'reading-room', connectionId: 'c-1' });
    expect(both.status).toBe(400);
    expect(both.body.field).toBe('connectionId');
    const unknown = await api(app, client.apiKey, 'POST', 'bookings', { ...base, spaceId: 'no-such-space' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'space_not_found', field: 'spaceId' });
    const neither = await api(app, client.apiKey, 'POST', 'bookings', base);
    expect(neither.status).toBe(400);
    expect(neither.body.field).toBe('connectionId');
    expect((await api(app, client.apiKey, 'GET', `bookings/${base.bookingId}`)).status).toBe(404);
  });

  it('invites the room as a resource attendee of the organiser event when the space says so', async () => {
    const hall = await createSimRoom(app, tenant, 'hall');
    const organiser = await createSimTenantUser(app, tenant, 'olga');
    const connected = await connectUser(app, { client, userPrincipalName: organiser.userPrincipalName });
    const created = await api(app, client.apiKey, 'POST', 'spaces', { spaceId: 'hall', roomEmail: hall.userPrincipalName, bookingMode: 'invite_room' });
    expect(created.status).toBe(201);
    const body = { bookingId: newBookingId('hall'), spaceId: 'hall', subject: 'Town hall', start: `${D2}T15:00:00Z`, end: `${D2}T16:00:00Z`, timeZone: 'UTC' };
    const missing = await api(app, client.apiKey, 'POST', 'bookings', body);
    expect(missing.status).toBe(400);
    expect(missing.body.field).toBe('connectionId');
    const res = await api(app, client.apiKey, 'POST', 'bookings', { ...body, connectionId: connected.connection.id });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ spaceId: 'hall', connectionId: connected.connection.id });
    const mine = (await roomEvents(organiser.userPrincipalName)).find((e) => e.subject === 'Town hall')!;
    expect(mine.attendees).toEqual([expect.objectContaining({ emailAddress: expect.objectContaining({ address: hall.userPrincipalName }), type: 'resource' })]);
    // The room's booking attendant processes the request a little later, then the booking shows its answer.
    const roomCopy = await waitFor(async () => {
      const copies = (await roomEvents(hall.userPrincipalName)).filter((e) => e.subject === 'Town hall');
      return copies.length ? copies : undefined;
    }, { message: 'the room booking the meeting' });
    expect(roomCopy).toHaveLength(1);
    const answered = await waitFor(async () => {
      const view = await api(app, client.apiKey, 'GET', `bookings/${body.bookingId}`);
      return view.body.event?.attendees?.[0]?.response === 'accepted' ? view.body : undefined;
    }, { message: 'the room accepting' });
    expect(answered.event.attendees).toEqual([expect.objectContaining({ email: hall.userPrincipalName, type: 'resource', response: 'accepted' })]);

    // Replacing the attendees keeps the room invited.
    const patched = await api(app, client.apiKey, 'PATCH', `bookings/${body.bookingId}`, { attendees: [{ email: 'guest@example.com' }] });
    expect(patched.status).toBe(200);
    const after = (await roomEvents(organiser.userPrincipalName)).find((e) => e.subject === 'Town hall')!;
    expect(after.attendees!.map((a) => a.emailAddress.address).sort()).toEqual(['guest@example.com', hall.userPrincipalName].sort());
  });
});

describe('the room booked in Outlook', () => {
  it('a meeting with the room as a resource attendee -> space.busy_changed with the new busy intervals', async () => {
    const booker = await createSimTenantUser(app, tenant, 'mo');
    const before = hooks.events.length;
    await sim(app, 'POST', `/users/${encodeURIComponent(booker.userPrincipalName)}/events`, {
      subject: 'Board meeting',
      start: { dateTime: `${D3}T08:00:00`, timeZone: 'UTC' },
      end: { dateTime: `${D3}T09:30:00`, timeZone: 'UTC' },
      attendees: [{ emailAddress: { address: room.userPrincipalName, name: 'Reading room' }, type: 'resource' }],
    });
    const event = await waitFor(
      async () => hooks.events.slice(before).find((e) => e.type === 'space.busy_changed' && (e.data.busy as { start: string }[]).some((b) => b.start === `${D3}T08:00:00Z`)),
      { message: 'space.busy_changed' },
    );
    expect(event.data).toMatchObject({ spaceId: 'reading-room', roomEmail: room.userPrincipalName });
    expect(event.data.busy).toEqual([{ start: `${D3}T08:00:00Z`, end: `${D3}T09:30:00Z`, showAs: 'busy' }]);
    const busy = await api(app, client.apiKey, 'GET', `spaces/reading-room/busy?start=${D3}T00:00:00Z&end=${D3}T23:59:00Z`);
    expect(busy.body).toMatchObject({ source: 'cache', intervals: [{ start: `${D3}T08:00:00Z`, end: `${D3}T09:30:00Z` }] });
  });
});

describe('renewal and removal', () => {
  it('the shared renewal timer renews the room subscription app-only (PATCH in $batch)', async () => {
    const [before] = await records('reading-room');
    await app.services.store.subscriptions.mutateSubscription(before!.subscriptionId, (c) => ({ ...c, expiresAt: new Date(Date.now() + 3600_000) }));
    const report = await renewExpiringSubscriptions(defaultSyncDeps(app.services));
    expect(report.renewed).toBeGreaterThanOrEqual(1);
    const [after] = await records('reading-room');
    expect(after!.subscriptionId).toBe(before!.subscriptionId);
    expect(after!.expiresAt.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    const inGraph = (await simSubsOf(room.id)).find((s) => s.id === before!.subscriptionId)!;
    expect(Math.abs(Date.parse(inGraph.expirationDateTime) - after!.expiresAt.getTime())).toBeLessThan(1000);
  });

  it('DELETE removes the space, its room subscriptions and its busy cache; written events stay', async () => {
    const calendarId = (await api(app, client.apiKey, 'GET', 'spaces/reading-room')).body.calendarId;
    const res = await api(app, client.apiKey, 'DELETE', 'spaces/reading-room');
    expect(res.status).toBe(200);
    expect(await records('reading-room')).toEqual([]);
    expect(await simSubsOf(room.id)).toEqual([]);
    expect(await app.services.store.busy.getSyncState(ownerOf('reading-room'), calendarId)).toBeNull();
    expect(await app.services.store.busy.listCalendarEvents(ownerOf('reading-room'), calendarId)).toEqual([]);
    expect((await api(app, client.apiKey, 'GET', 'spaces/reading-room')).status).toBe(404);
    expect((await api(app, client.apiKey, 'DELETE', 'spaces/reading-room')).status).toBe(404);
    expect((await roomEvents(room.userPrincipalName)).some((e) => e.subject === 'Study group')).toBe(true);
  });
});
