// Point 5 and its bad inputs: the connection API, scoped to the calling client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionNotActiveError, getAccessToken } from '../../shared/auth/connection-tokens.js';
import { definitions } from '../../functions/definitions.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createTestClient, type ConnectedUser, type TestClient , json } from '../support/connect-user.js';

let app: AppHost;
let alice: ConnectedUser;
let other: TestClient;

beforeAll(async () => {
  // No calendar-sync trigger: push sync would create the subscriptions the first test says are absent,
  // racing the read (the queue is drained as fast as the host polls it).
  app = await startAppHost({ definitions: definitions.filter((d) => d.name !== 'syncCalendars') });
  alice = await connectUser(app, { externalUserId: 'alice' });
  other = await createTestClient(app, { name: 'Other booking system' });
});
afterAll(async () => {
  await app?.close();
});

function api(path: string, init: { method?: string; body?: unknown; key?: string | null; raw?: string } = {}): Promise<Response> {
  const key = init.key === undefined ? alice.apiKey : init.key;
  const hasBody = init.body !== undefined || init.raw !== undefined;
  return fetch(`${app.url}/api/${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...(hasBody ? { 'Content-Type': 'application/json' } : {}) },
    body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
  });
}

async function calendars(id: string): Promise<{ id: string; name: string; canEdit: boolean; isDefault: boolean; owner: { address?: string } }[]> {
  const res = await api(`connections/${id}/calendars`);
  expect(res.status).toBe(200);
  return (await json(res)).value;
}

describe('connection API', () => {
  it('GET /connections/{id} shows status, account, calendars, token refresh and subscription health; never tokens', async () => {
    const res = await api(`connections/${alice.connection.id}`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({
      id: alice.connection.id,
      externalUserId: 'alice',
      status: 'active',
      account: { upn: alice.userPrincipalName },
      subscriptions: { status: 'none', count: 0 },
    });
    expect(Date.parse(body.lastTokenRefreshAt)).not.toBeNaN();
    // No push sync here (no subscriptions, no cache): busy reads go to Graph.
    expect(body.pushSync).toEqual(body.busyCalendarIds.map((calendarId: string) => ({ calendarId, live: false, subscription: 'none', cache: 'none' })));
    expect(body.pushSync.length).toBeGreaterThan(0);
    expect(JSON.stringify(body)).not.toMatch(/tokenCache|cb1\.|eyJ/);
  });

  it('GET /connections?externalUserId= lists the client’s connections of that user, and needs the parameter', async () => {
    const res = await api('connections?externalUserId=alice');
    expect((await json(res)).value.map((c: { id: string }) => c.id)).toEqual([alice.connection.id]);
    expect((await json(await api('connections?externalUserId=nobody'))).value).toEqual([]);
    const missing = await api('connections');
    expect(missing.status).toBe(400);
    expect((await json(missing)).field).toBe('externalUserId');
    // Another client sees none of them.
    expect((await json(await api('connections?externalUserId=alice', { key: other.apiKey }))).value).toEqual([]);
  });

  it('GET /connections/{id}/calendars reads the live list from Graph', async () => {
    const list = await calendars(alice.connection.id);
    expect(list.length).toBeGreaterThanOrEqual(1);
    const def = list.find((c) => c.isDefault)!;
    expect(def).toMatchObject({ canEdit: true, owner: { address: alice.userPrincipalName } });
    expect(def.name).toBeTruthy();
  });

  it('PATCH validates against the live list and saves', async () => {
    const list = await calendars(alice.connection.id);
    const res = await api(`connections/${alice.connection.id}`, {
      method: 'PATCH',
      body: { bookingCalendarId: list[0]!.id, busyCalendarIds: [list[0]!.id], defaultReminderMinutes: 30 },
    });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ bookingCalendarId: list[0]!.id, busyCalendarIds: [list[0]!.id], defaultReminderMinutes: 30 });
    const reread = await json(await api(`connections/${alice.connection.id}`));
    expect(reread.defaultReminderMinutes).toBe(30);
  });

  it.each([
    [{ bookingCalendarId: 'not-a-calendar' }, 'bookingCalendarId'],
    [{ busyCalendarIds: ['nope'] }, 'busyCalendarIds.0'],
    [{ defaultReminderMinutes: -5 }, 'defaultReminderMinutes'],
    [{ defaultReminderMinutes: 1.5 }, 'defaultReminderMinutes'],
    [{ defaultReminderMinutes: 999_999 }, 'defaultReminderMinutes'],
    [{ status: 'active' }, undefined],
  ])('PATCH refuses %j with 400 naming the field, changing nothing', async (body, field) => {
    const before = await app.services.store.connections.getConnection(alice.client.clientId, alice.connection.id);
    const res = await api(`connections/${alice.connection.id}`, { method: 'PATCH', body });
    expect(res.status).toBe(400);
    if (field) expect((await json(res)).field).toBe(field);
    const after = await app.services.store.connections.getConnection(alice.client.clientId, alice.connection.id);
    expect(after?.etag).toBe(before?.etag);
  });

  it('PATCH refuses a malformed or oversized body', async () => {
    expect((await api(`connections/${alice.connection.id}`, { method: 'PATCH', raw: '{' })).status).toBe(400);
    expect((await api(`connections/${alice.connection.id}`, { method: 'PATCH', raw: JSON.stringify({ busyCalendarIds: ['x'.repeat(40_000)] }) })).status).toBe(413);
  });

  it('answers 404 for another client’s connection id, on every route, and changes nothing', async () => {
    const id = alice.connection.id;
    const before = await app.services.store.connections.getConnection(alice.client.clientId, id);
    for (const [method, path, body] of [
      ['GET', `connections/${id}`],
      ['GET', `connections/${id}/calendars`],
      ['PATCH', `connections/${id}`, { defaultReminderMinutes: 5 }],
      ['DELETE', `connections/${id}`],
    ] as const) {
      const res = await api(path, { method, body, key: other.apiKey });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await json(res), `${method} ${path}`).toMatchObject({ code: 'connection_not_found', field: 'id' });
    }
    const malformed = await api('connections/not-a-uuid');
    expect(malformed.status).toBe(404);
    expect((await json(malformed)).code).toBe('connection_not_found');
    const after = await app.services.store.connections.getConnection(alice.client.clientId, id);
    expect(after?.etag).toBe(before?.etag);
  });

  it('answers 401 without a valid API key', async () => {
    expect((await api(`connections/${alice.connection.id}`, { key: null })).status).toBe(401);
    expect((await api(`connections/${alice.connection.id}`, { key: 'cb_live_nope' })).status).toBe(401);
  });

  it("DELETE disconnects: runs the services' clean-up reaction, wipes the tokens, status disconnected", async () => {
    const bob = await connectUser(app, { client: { client: alice.client, apiKey: alice.apiKey, signingSecret: alice.signingSecret }, externalUserId: 'bob' });
    const seen: string[] = [];
    // The host's handlers use these very services: the clean-up they run is observed, then run as composed.
    const reactions = app.services.connectionReactions;
    app.services.connectionReactions = {
      ...reactions,
      beforeDisconnect: async (connection, services) => {
        seen.push(connection.rowKey);
        await reactions.beforeDisconnect(connection, services);
      },
    };
    try {
      const res = await api(`connections/${bob.connection.id}`, { method: 'DELETE' });
      expect(res.status).toBe(200);
      expect((await json(res)).status).toBe('disconnected');
    } finally {
      app.services.connectionReactions = reactions;
    }
    expect(seen).toEqual([bob.connection.id]);
    const row = await app.services.store.connections.getConnection(alice.client.clientId, bob.connection.id);
    expect(row?.entity.status).toBe('disconnected');
    expect(row?.entity.tokenCache).toBeUndefined();
    await expect(getAccessToken(row!.entity, {}, app.services)).rejects.toBeInstanceOf(ConnectionNotActiveError);
    expect((await api(`connections/${bob.connection.id}/calendars`)).status).toBe(409);
  });
});
