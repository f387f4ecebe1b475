// Security cases as integration tests, over real HTTP against the local host, Azurite and the simulator:
// OAuth state replay and tampering, PKCE verifier mismatch, open redirects through returnUrl, a forged
// Graph notification, one client reaching for another's data, the validationToken echo, and the security
// headers of every HTML page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createSimUser, createTestClient, nextHop, TEST_RETURN_ORIGIN, type ConnectedUser, type TestClient } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';
import { api, bookingBody, mailboxCounters, sim } from '../bookings/support.js';
import { listConnectionSubscriptions } from '../../shared/sync/calendar-subscriptions.js';
import { holdsThroughout, waitFor } from '../support/wait-for.js';
import { fillRoute, httpRoutes, missingSecurityHeaders, routeKind } from './support.js';

let app: AppHost;
let alice: ConnectedUser; // client A's user
let mallory: TestClient; // client B
let aliceBooking: string;

beforeAll(async () => {
  app = await startAppHost();
  alice = await connectUser(app);
  mallory = await createTestClient(app, { name: 'Other booking system' });
  const created = await api(app, alice.apiKey, 'POST', 'bookings', bookingBody(alice));
  expect(created.status).toBe(201);
  aliceBooking = created.body.bookingId;
}, 90_000);
afterAll(async () => {
  await app?.close();
});

/** A connect attempt stopped at the moment Microsoft sends the browser back: the callback URL (code + state). */
async function callbackOf(client: TestClient, upn: string, externalUserId: string, pickCalendars = false): Promise<URL> {
  await simControl(app.simulatorUrl, 'PUT', '/identity/auto-consent', { enabled: true });
  const link = await api(app, client.apiKey, 'POST', 'connect-links', { externalUserId, returnUrl: `${TEST_RETURN_ORIGIN}/back`, loginHint: upn, pickCalendars });
  expect(link.status).toBe(201);
  let url = link.body.url as string;
  for (let hop = 0; hop < 4; hop += 1) {
    const step = await nextHop(url);
    expect(step.location, `stopped at ${url}: ${step.status}`).toBeDefined();
    url = step.location!;
    if (new URL(url).pathname === '/api/auth/callback') return new URL(url);
  }
  throw new Error('never reached the callback');
}

const connectionsOf = async (client: TestClient, externalUserId: string) =>
  (await api(app, client.apiKey, 'GET', `connections?externalUserId=${encodeURIComponent(externalUserId)}`)).body.value as unknown[];

describe('OAuth callback: state and PKCE', () => {
  it('a state is single use: replaying a successful callback connects nothing more', async () => {
    const client = await createTestClient(app);
    const upn = (await createSimUser(app.simulatorUrl)).userPrincipalName;
    const callback = await callbackOf(client, upn, 'replay-user');
    const first = await nextHop(callback.href);
    expect(new URL(first.location!).searchParams.get('status')).toBe('connected');
    const replay = await nextHop(callback.href);
    // Refused: an error page (no return URL is trusted once the state is gone), never "connected".
    expect(replay.status).toBeGreaterThanOrEqual(400);
    expect(replay.location).toBeUndefined();
    expect(missingSecurityHeaders(replay.response.headers)).toEqual([]);
    expect(await connectionsOf(client, 'replay-user')).toHaveLength(1);
  });

  it('a tampered state (one character changed, truncated, extended) is refused and creates nothing', async () => {
    const client = await createTestClient(app);
    const upn = (await createSimUser(app.simulatorUrl)).userPrincipalName;
    const callback = await callbackOf(client, upn, 'tamper-user');
    const state = callback.searchParams.get('state')!;
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    for (const tampered of [flip(state, 0), flip(state, state.length - 1), state.slice(0, -1), `${state}A`, state.toUpperCase() === state ? state.toLowerCase() : state.toUpperCase()]) {
      const url = new URL(callback);
      url.searchParams.set('state', tampered);
      const res = await nextHop(url.href);
      expect(res.status, tampered).toBeGreaterThanOrEqual(400);
      expect(res.location).toBeUndefined();
    }
    expect(await connectionsOf(client, 'tamper-user')).toHaveLength(0);
    // The untouched state still works: the refusals above did not consume it.
    const ok = await nextHop(callback.href);
    expect(new URL(ok.location!).searchParams.get('status')).toBe('connected');
  });

  it("PKCE: a code redeemed with another attempt's verifier (code of A, state of B) is refused", async () => {
    const client = await createTestClient(app);
    const upn = (await createSimUser(app.simulatorUrl)).userPrincipalName;
    const a = await callbackOf(client, upn, 'pkce-user');
    const b = await callbackOf(client, upn, 'pkce-user');
    const crossed = new URL(b);
    crossed.searchParams.set('code', a.searchParams.get('code')!);
    const res = await nextHop(crossed.href);
    const back = new URL(res.location!);
    expect(back.origin).toBe(TEST_RETURN_ORIGIN);
    expect(back.searchParams.get('status')).toBe('error');
    expect(['invalid_grant', 'token_redemption_failed']).toContain(back.searchParams.get('error'));
    expect(await connectionsOf(client, 'pkce-user')).toHaveLength(0);
  });
});

describe('open redirect through returnUrl', () => {
  const refused = [
    '//evil.example/x',
    '///evil.example',
    'https://booking.example@evil.example/',
    'https://booking.example:pw@evil.example/',
    'https://evil.example\\@booking.example/',
    'https:\\\\evil.example',
    'https://evil.example\\.booking.example/',
    'HTTPS://EVIL.EXAMPLE/',
    'https://booking.example.evil.example/',
    'https://booking.example%2e%2eevil.example/',
    'https://evil.example%2f%2e%2e@booking.example/',
    'https://booking.example%40evil.example/',
    'https:/evil.example/',
    'https://evil.example#https://booking.example/',
    'https://booking.example/#@evil.example',
    'http://booking.example/',
    'https://booking.example:8443/',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(document.domain)//https://booking.example/',
    'data:text/html,<script>alert(1)</script>',
    '/relative/path',
    ' https://booking.example/',
    'https://booking.example/\u0000',
    'https://booking.example/\t',
    '\u200bhttps://booking.example/',
  ];
  it.each(refused)('refuses %j with 400 return_url_not_allowed naming returnUrl', async (returnUrl) => {
    const res = await api(app, alice.apiKey, 'POST', 'connect-links', { externalUserId: 'redirect-user', returnUrl });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.field).toBe('returnUrl');
  });

  it('accepts the registered origin in any letter case, and the flow ends on that origin', async () => {
    const upn = (await createSimUser(app.simulatorUrl)).userPrincipalName;
    const user = await connectUser(app, { client: alice, userPrincipalName: upn, returnUrl: 'https://BOOKING.example/Done?x=1' });
    expect(user.finalUrl.origin).toBe(TEST_RETURN_ORIGIN);
    expect(user.finalUrl.pathname).toBe('/Done');
  });
});

describe('a forged Graph notification', () => {
  it('a valid subscriptionId with a wrong clientState is answered 202 and nothing is enqueued or synced', async () => {
    const subs = await waitFor(async () => (await listConnectionSubscriptions(app.services, alice.client.clientId, alice.connection.id))[0], { message: 'the subscription' });
    const simSub = ((await sim(app, 'GET', '/subscriptions')).value as { id: string; clientState: string }[]).find((s) => s.id === subs.subscriptionId)!;
    expect(simSub).toBeDefined();
    await waitFor(async () => (await app.services.store.busy.getSyncState(alice.connection.id, subs.calendarId!))?.entity.status === 'synced', { message: 'the first sync' });
    const notification = (clientState: string) => ({
      value: [
        {
          subscriptionId: subs.subscriptionId,
          subscriptionExpirationDateTime: new Date(Date.now() + 86_400_000).toISOString(),
          changeType: 'updated',
          resource: `Users/${alice.connection.account.objectId}/Events/AAMkforged`,
          resourceData: { '@odata.type': '#Microsoft.Graph.Event', '@odata.id': 'Users/x/Events/AAMkforged', '@odata.etag': 'W/"1"', id: 'AAMkforged' },
          clientState,
          tenantId: alice.connection.account.tenantId,
        },
      ],
    });
    const deltas = async () => Object.entries(await mailboxCounters(app, alice)).filter(([k]) => k.includes('delta')).reduce((n, [, v]) => n + v, 0);
    // Let the connect flow's own syncs finish: no new delta call for a second.
    let seen = -1;
    let quietSince = Date.now();
    await waitFor(
      async () => {
        const n = await deltas();
        if (n !== seen) [seen, quietSince] = [n, Date.now()];
        return Date.now() - quietSince >= 1000;
      },
      { message: "the connect flow's own syncs to finish (a second without a delta call)" },
    );
    const before = await deltas();
    const syncBefore = (await app.services.store.busy.getSyncState(alice.connection.id, subs.calendarId!))?.etag;

    for (const wrong of [`${simSub.clientState.slice(0, -1)}x`, '', 'null', simSub.clientState.toUpperCase()]) {
      const res = await fetch(`${app.url}/api/graph/notifications`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(notification(wrong)) });
      // Answered as Graph expects (any other answer is retried for hours), with nothing processed.
      expect(res.status, wrong).toBe(202);
    }
    // Longer than the settle time plus a queue poll: a sync would have run by now.
    await holdsThroughout(async () => (await deltas()) === before, { message: 'no delta round after the forged notifications', duration: 3000, interval: 250 });
    expect(await deltas()).toBe(before);
    expect((await app.services.store.busy.getSyncState(alice.connection.id, subs.calendarId!))?.etag).toBe(syncBefore);

    // The control: the same notification with the right clientState is accepted and does run a sync.
    const genuine = await fetch(`${app.url}/api/graph/notifications`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(notification(simSub.clientState)) });
    expect(genuine.status).toBe(202);
    await waitFor(async () => (await deltas()) > before, { message: 'a delta round' });
  }, 40_000);
});

describe("one client reaching for another client's data", () => {
  // A body each route would accept from its owner, so only ownership can refuse it.
  const bodyFor = (method: string, route: string): unknown => {
    if (method === 'GET' || method === 'DELETE') return undefined;
    if (route === 'connections/{id}') return { defaultReminderMinutes: 5 };
    if (route === 'bookings/{bookingId}') return { subject: 'hijacked', force: true };
    return { subject: 'x', to: ['x@example.com'], body: 'x' };
  };

  it('every connections/{id} and bookings/{bookingId} route answers 404 to the other client, and nothing changes', async () => {
    const targets = httpRoutes.filter((d) => routeKind(d) === 'json' && /^(connections\/\{id\}|bookings\/\{bookingId\})/.test(d.route));
    expect(targets.length).toBeGreaterThanOrEqual(8);
    const eventsBefore = await sim(app, 'GET', `/users/${encodeURIComponent(alice.userPrincipalName)}/calendars/default/events`);
    const connectionBefore = await app.services.store.connections.getConnection(alice.client.clientId, alice.connection.id);
    const bookingBefore = await app.services.store.bookings.getBooking(alice.client.clientId, aliceBooking);
    for (const def of targets) {
      for (const method of def.methods) {
        const path = fillRoute(def.route, { id: alice.connection.id, bookingId: aliceBooking, occurrenceDate: '2030-05-06' });
        const query = def.route.endsWith('/busy') ? '?start=2030-05-06T00:00:00Z&end=2030-05-07T00:00:00Z' : '';
        const res = await api(app, mallory.apiKey, method, `${path}${query}`, bodyFor(method, def.route));
        const where = `${method} ${def.route}: ${JSON.stringify(res.body)}`;
        // Indistinguishable from an id that does not exist at all.
        const nowhere = fillRoute(def.route, { id: '00000000-0000-4000-8000-000000000000', bookingId: 'no-such-booking', occurrenceDate: '2030-05-06' });
        const missing = await api(app, mallory.apiKey, method, `${nowhere}${query}`, bodyFor(method, def.route));
        expect([res.status, res.body?.code], where).toEqual([missing.status, missing.body?.code]);
        // Where the body is one the owner could send, it is exactly 404 (a route being built may check its body first).
        const known = method === 'GET' || method === 'DELETE' || def.route === 'connections/{id}' || def.route === 'bookings/{bookingId}';
        if (known) expect(res.status, where).toBe(404);
        else expect([400, 404], where).toContain(res.status);
        expect(JSON.stringify(res.body)).not.toContain(alice.userPrincipalName);
      }
    }
    // Through the body rather than the route: creating a booking on, or reading availability of, A's connection.
    const create = await api(app, mallory.apiKey, 'POST', 'bookings', bookingBody(alice));
    expect(create.status).toBe(404);
    const availability = await api(app, mallory.apiKey, 'POST', 'availability', { connectionIds: [alice.connection.id], start: '2030-05-06T00:00:00Z', end: '2030-05-07T00:00:00Z', durationMinutes: 30 });
    expect(availability.status).toBe(404);
    const list = await api(app, mallory.apiKey, 'GET', `connections?externalUserId=${encodeURIComponent(alice.connection.externalUserId)}`);
    expect(list.body.value).toEqual([]);

    expect(await sim(app, 'GET', `/users/${encodeURIComponent(alice.userPrincipalName)}/calendars/default/events`)).toEqual(eventsBefore);
    expect((await app.services.store.connections.getConnection(alice.client.clientId, alice.connection.id))?.etag).toBe(connectionBefore?.etag);
    expect((await app.services.store.bookings.getBooking(alice.client.clientId, aliceBooking))?.etag).toBe(bookingBefore?.etag);
    // And A still reads its own.
    expect((await api(app, alice.apiKey, 'GET', `bookings/${aliceBooking}`)).status).toBe(200);
  }, 40_000);
});

describe('the validationToken echo', () => {
  // Graph's tokens are opaque text; markup never comes from Graph, so it is refused rather than echoed.
  const echoed = ['Validation: Token+with/slashes=and spaces', 'ünïcødé token 123 %41', `${'a'.repeat(200)}.${'-_'.repeat(40)}`];
  const refused = ['<script>alert(1)</script>', 'a"onload="x', "it's", 'x&y', 'line\r\nSet-Cookie: a=b', '`tick`'];
  for (const route of ['graph/notifications', 'graph/lifecycle']) {
    it.each(echoed)(`${route} echoes %j as text/plain, byte for byte, with nosniff`, async (token) => {
      const res = await fetch(`${app.url}/api/${route}?validationToken=${encodeURIComponent(token)}`, { method: 'POST' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toBe(token);
    });
    it.each(refused)(`${route} never echoes markup or control characters: %j`, async (token) => {
      const res = await fetch(`${app.url}/api/${route}?validationToken=${encodeURIComponent(token)}`, { method: 'POST' });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(await res.text()).not.toContain(token);
    });
  }
});

describe('security headers on every HTML page', () => {
  it('connect, callback, picker (page and errors) and console pages carry CSP, nosniff, frame-ancestors and Referrer-Policy', async () => {
    const pages: { what: string; res: Response }[] = [];
    const get = async (what: string, path: string, init: RequestInit = {}) => pages.push({ what, res: await fetch(`${app.url}${path}`, { redirect: 'manual', ...init }) });
    await get('connect: unknown link', '/api/connect/nope');
    await get('callback: no state', '/api/auth/callback');
    await get('callback: unknown state', '/api/auth/callback?state=abc&code=def');
    await get('callback: error from Microsoft', '/api/auth/callback?state=abc&error=access_denied&error_description=%3Cscript%3E');
    await get('picker: wrong content type', '/api/connect-picker', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' });
    await get('picker: unknown session', '/api/connect-picker', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'session=x&booking=y' });
    // The hosted picker itself (pickCalendars), served by the callback.
    const upn = (await createSimUser(app.simulatorUrl)).userPrincipalName;
    const callback = await callbackOf(alice, upn, 'picker-user', true);
    // In the browser that opened the link (the callback needs its binding cookie).
    pages.push({ what: 'picker page', res: (await nextHop(callback.href)).response });
    expect(pages.at(-1)!.res.status).toBe(200);
    // Every other HTML route of the app, by its definition (the console, when served).
    for (const def of httpRoutes.filter((d) => routeKind(d) === 'console' && d.methods.includes('GET') && !d.route.includes('{'))) await get(def.route, `/api/${def.route}`);

    const html = pages.filter((p) => /^text\/html/.test(p.res.headers.get('content-type') ?? '') || p.res.status === 302);
    expect(html.length).toBeGreaterThanOrEqual(7);
    for (const { what, res } of html) {
      expect(missingSecurityHeaders(res.headers), what).toEqual([]);
      const body = await res.text();
      expect(body, what).not.toMatch(/<script>alert/);
    }
  }, 30_000);
});
