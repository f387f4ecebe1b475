// A person whose mailbox Graph cannot serve (on an Exchange Server of a hybrid organisation: Graph answers
// 404 MailboxNotEnabledForRESTAPI for every mailbox request, while the user object is served). End to end
// over real HTTP: the local host, the simulator's identity platform and Graph, Azurite.
import { randomBytes } from 'node:crypto';
import { odata } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/server.js';
import { SEED_ON_PREMISES_USER } from '../../dev/simulator/seed.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createTestClient, nextHop, TEST_RETURN_ORIGIN, type TestClient, json } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';
import { waitFor } from '../support/wait-for.js';
import { startWebhookReceiver, type WebhookReceiver } from '../sync/support.js';
import { api, bookingBody } from '../bookings/support.js';

let simulator: RunningSimulator;
let app: AppHost;
let receiver: WebhookReceiver;
let tc: TestClient;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
  receiver = await startWebhookReceiver();
  app = await startAppHost({ simulatorUrl: simulator.url });
  tc = await createTestClient(app, { webhookUrl: receiver.url });
  await simControl(simulator.url, 'PUT', '/identity/auto-consent', { enabled: true });
}, 90_000);

afterAll(async () => {
  await app?.close();
  await receiver?.close();
  await simulator?.close();
});

describe('a mailbox Microsoft Graph cannot serve', () => {
  it('the simulator answers as Graph does: the user object, but 404 MailboxNotEnabledForRESTAPI for the calendar', async () => {
    const token = (await json(await simControl(simulator.url, 'POST', '/tokens', { tenant: 'contoso.test', user: SEED_ON_PREMISES_USER.userPrincipalName, scopes: ['User.Read', 'Calendars.ReadWrite'] }))) as { access_token: string };
    const get = (path: string) => fetch(`${simulator.url}/v1.0${path}`, { headers: { Authorization: `Bearer ${token.access_token}` } });
    expect((await get('/me')).status).toBe(200);
    const calendars = await get('/me/calendars');
    expect(calendars.status).toBe(404);
    expect((await json(calendars)).error).toMatchObject({ code: 'MailboxNotEnabledForRESTAPI', message: 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.' });
  });

  it('connect ends on a page saying why, a link back with error=mailbox_not_supported, a connection.failed webhook, and nothing stored', { timeout: 60_000 }, async () => {
    const externalUserId = `staff-${randomBytes(3).toString('hex')}`;
    const link = await fetch(`${app.url}/api/connect-links`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tc.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ externalUserId, returnUrl: `${TEST_RETURN_ORIGIN}/back`, loginHint: SEED_ON_PREMISES_USER.userPrincipalName }),
    });
    expect(link.status).toBe(201);
    let url = ((await json(link)) as { url: string }).url;
    let step = await nextHop(url);
    for (let hop = 0; hop < 5 && step.location && !step.location.startsWith(TEST_RETURN_ORIGIN); hop += 1) {
      url = step.location;
      step = await nextHop(url);
    }
    expect(new URL(url).pathname).toBe('/api/auth/callback');
    expect(step.status).toBe(409);
    const html = await step.response.text();
    expect(html).toContain('Exchange server');
    expect(html).toContain('<code>mailbox_not_supported</code>');
    expect(html).not.toContain('start again');
    const back = /<a href="([^"]+)">Go back to the application<\/a>/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    const backUrl = new URL(back!);
    expect(backUrl.origin + backUrl.pathname).toBe(`${TEST_RETURN_ORIGIN}/back`);
    expect(Object.fromEntries(backUrl.searchParams)).toMatchObject({ status: 'error', error: 'mailbox_not_supported' });

    const failed = await waitFor(async () => receiver.events.find((e) => e.type === 'connection.failed' && e.data.externalUserId === externalUserId), {
      message: 'connection.failed',
      timeout: 30_000,
    });
    expect(failed.data).toEqual({ externalUserId, reason: 'mailbox_not_supported', userPrincipalName: SEED_ON_PREMISES_USER.userPrincipalName });
    let stored = 0;
    for await (const _ of app.services.store.connections.queryAll(odata`PartitionKey eq ${tc.client.clientId} and externalUserId eq ${externalUserId}`)) stored += 1;
    expect(stored).toBe(0);
  });

  it('a connection whose mailbox moved on-premises answers 409 mailbox_not_supported, not a generic Graph failure', { timeout: 60_000 }, async () => {
    const user = await connectUser(app, { client: tc });
    const earlier = bookingBody(user, { start: '2030-05-07T09:00:00', end: '2030-05-07T09:30:00' });
    expect((await api(app, user.apiKey, 'POST', 'bookings', earlier)).status).toBe(201);
    await simControl(simulator.url, 'PATCH', `/users/${encodeURIComponent(user.userPrincipalName)}`, { mailboxLocation: 'onPremises' });
    const body = bookingBody(user);
    const res = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe('mailbox_not_supported');
    // Graph certainly wrote nothing: no booking row is left behind.
    expect(await app.services.store.bookings.getBooking(tc.client.clientId, String(body.bookingId))).toBeNull();

    // A booking made before the move is not taken for deleted in Outlook: reads, changes and cancels say why they fail.
    for (const [method, change] of [['GET', undefined], ['PATCH', { subject: 'Moved?' }], ['DELETE', undefined]] as const) {
      const answer = await api(app, user.apiKey, method, `bookings/${earlier.bookingId}`, change);
      expect(answer.status, `${method} ${JSON.stringify(answer.body)}`).toBe(409);
      expect(answer.body.code).toBe('mailbox_not_supported');
    }
    expect((await app.services.store.bookings.require(tc.client.clientId, String(earlier.bookingId))).entity.status).toBe('confirmed');
  });
});
