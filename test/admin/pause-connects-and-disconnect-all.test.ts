// Deactivating the integration system-wide stops new connects too (a page for the person, the link left
// unused; a sign-in already at Microsoft connects nothing), and the operator's "disconnect every connection
// of a client" (admin API and CLI) runs page by page on the upkeep queue, leaving written events in Outlook.
// Tables of this file's own, so its pause never reaches other files.
import { odata } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeKey } from '../../shared/store/keys.js';
import { parseUpkeepMessage, startDisconnectClientScan } from '../../shared/upkeep/upkeep.js';
import { calendarEvents, withBookingRef } from '../bookings/support.js';
import { runAdminCli } from '../support/admin-cli.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, CookieJar, createSimUser, createTestClient, createUserLink, json, nextHop, TEST_RETURN_ORIGIN, type TestClient } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';
import { useOwnTables } from '../support/own-tables.js';
import { waitFor } from '../support/wait-for.js';

useOwnTables('pausecon');
let app: AppHost;

beforeAll(async () => {
  app = await startAppHost();
  await simControl(app.simulatorUrl, 'PUT', '/identity/auto-consent', { enabled: true });
});
afterAll(async () => {
  await app?.close();
});

const admin = (method: string, path: string, body?: unknown) =>
  fetch(`${app.url}/api/manage/${path}`, {
    method,
    headers: { Authorization: `Bearer ${app.adminKey}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const userLink = async (tc: TestClient, loginHint: string) => (await createUserLink(app, tc, loginHint)).url;

async function connectionsOf(clientId: string, status?: string): Promise<number> {
  let n = 0;
  const filter = status ? odata`PartitionKey eq ${escapeKey(clientId)} and status eq ${status}` : odata`PartitionKey eq ${escapeKey(clientId)}`;
  for await (const _ of app.services.store.connections.queryAll(filter)) n += 1;
  return n;
}

describe('a system-wide pause stops new connects', () => {
  it('shows the person a page and leaves the link unused; the same link completes after the resume', async () => {
    const tc = await createTestClient(app);
    const user = await createSimUser(app.simulatorUrl);
    const url = await userLink(tc, user.userPrincipalName);
    expect((await admin('POST', 'system/pause', { reason: 'maintenance', retryAfterSeconds: 90 })).status).toBe(200);
    try {
      const browser = new CookieJar();
      const opened = await nextHop(url, {}, browser);
      expect(opened.status).toBe(503);
      expect(opened.location).toBeUndefined();
      expect(opened.response.headers.get('content-type')).toContain('text/html');
      expect(opened.response.headers.get('retry-after')).toBe('90');
      const html = await opened.response.text();
      expect(html).toContain('Connecting calendars is paused');
      expect(html).toContain('integration_paused');
    } finally {
      expect((await admin('POST', 'system/resume')).status).toBe(200);
    }
    // The link was not used up by the paused attempt.
    const browser = new CookieJar();
    let next = url;
    for (let hop = 0; hop < 4 && !next.startsWith(TEST_RETURN_ORIGIN); hop += 1) next = (await nextHop(next, {}, browser)).location!;
    expect(new URL(next).searchParams.get('status')).toBe('connected');
    expect(await connectionsOf(tc.client.clientId)).toBe(1);
  });

  it('a sign-in already at Microsoft when the pause came connects nothing and says so', async () => {
    const tc = await createTestClient(app);
    const user = await createSimUser(app.simulatorUrl);
    const browser = new CookieJar();
    const authorize = (await nextHop(await userLink(tc, user.userPrincipalName), {}, browser)).location!;
    await admin('POST', 'system/pause');
    try {
      const callback = (await nextHop(authorize, {}, browser)).location!;
      expect(new URL(callback).pathname).toBe('/api/auth/callback');
      const refused = await nextHop(callback, {}, browser);
      expect(refused.status).toBe(503);
      const html = await refused.response.text();
      expect(html).toContain('Connecting calendars is paused');
      // The link back tells the booking system why.
      expect(html).toContain(`${TEST_RETURN_ORIGIN}/back?status=error&amp;error=integration_paused`);
    } finally {
      await admin('POST', 'system/resume');
    }
    expect(await connectionsOf(tc.client.clientId)).toBe(0);
  });
});

describe('disconnect every connection of a client', () => {
  it('disconnects them all through the queue, page by page, and leaves their events in Outlook', async () => {
    const tc = await createTestClient(app);
    const other = await connectUser(app);
    const users = [];
    for (let i = 0; i < 3; i += 1) users.push(await connectUser(app, { client: tc }));
    // A booking written before: its event must stay.
    const booked = await fetch(`${app.url}/api/bookings`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tc.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ bookingId: 'kept', connectionId: users[0]!.connection.id, subject: 'Stays', start: '2031-05-06T10:00:00', end: '2031-05-06T11:00:00', timeZone: 'UTC' }),
    });
    expect(booked.status).toBe(201);

    // Pages of one connection: the scan goes on through the queue from each page's continuation token.
    await startDisconnectClientScan(app.services, tc.client.clientId, { pageSize: 1 });
    await waitFor(async () => (await connectionsOf(tc.client.clientId, 'disconnected')) === 3, { message: 'all three connections disconnected' });
    expect(await connectionsOf(tc.client.clientId, 'active')).toBe(0);
    const row = (await app.services.store.connections.require(tc.client.clientId, users[1]!.connection.id)).entity;
    expect(row.tokenCache).toBeUndefined();
    // Another client's connection is untouched, and the event is still in the mailbox.
    expect((await app.services.store.connections.require(other.client.clientId, other.connection.id)).entity.status).toBe('active');
    expect(withBookingRef(await calendarEvents(app, users[0]!), tc.client.clientId, 'kept')).toHaveLength(1);
  });

  it('is one admin API call or CLI command, which works while paused and refuses an unknown client', async () => {
    const tc = await createTestClient(app);
    await connectUser(app, { client: tc });
    await admin('POST', 'system/pause');
    try {
      const answered = await admin('POST', `clients/${tc.client.clientId}/disconnect-all`);
      expect(answered.status).toBe(202);
      expect(await json(answered)).toMatchObject({ clientId: tc.client.clientId });
      await waitFor(async () => (await connectionsOf(tc.client.clientId, 'disconnected')) === 1, { message: 'the disconnect while paused' });
    } finally {
      await admin('POST', 'system/resume');
    }
    const second = await createTestClient(app);
    await connectUser(app, { client: second });
    const out = JSON.parse((await runAdminCli(app, ['clients', 'disconnect-all', second.client.clientId])).stdout);
    expect(out).toMatchObject({ clientId: second.client.clientId });
    await waitFor(async () => (await connectionsOf(second.client.clientId, 'disconnected')) === 1, { message: 'the CLI disconnect' });

    const unknown = await admin('POST', 'clients/nosuchclient0/disconnect-all');
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).code).toBe('not_found');
  });

  it('drops malformed queue messages', () => {
    expect(parseUpkeepMessage({ kind: 'disconnect-scan', clientId: '', at: new Date().toISOString() })).toBeUndefined();
    expect(parseUpkeepMessage({ kind: 'disconnect-scan', clientId: 'abc', at: 'soon' })).toBeUndefined();
    expect(parseUpkeepMessage({ kind: 'disconnect-scan', clientId: 'abc', at: new Date().toISOString(), pageSize: 0 })).toBeUndefined();
    expect(parseUpkeepMessage({ kind: 'disconnect', at: new Date().toISOString(), connections: [] })).toBeUndefined();
    expect(parseUpkeepMessage({ kind: 'disconnect-scan', clientId: 'abc', at: '2030-01-01T00:00:00Z' })).toEqual({ kind: 'disconnect-scan', clientId: 'abc', at: '2030-01-01T00:00:00Z' });
  });
});
