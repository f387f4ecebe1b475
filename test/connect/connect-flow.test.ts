// Points 3 and 4 and their bad inputs: GET /api/connect/{linkId} and GET /api/auth/callback, end to end
// over real HTTP through the local host, the simulator's identity platform and Graph, and Azurite.
import { randomBytes } from 'node:crypto';
import { odata } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectLink } from '../../shared/connect/connect-links.js';
import { OAUTH_STATE_ROW, stateHash } from '../../shared/store/repositories/oauth-states.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createSimUser, createTestClient, nextHop, SIM_TENANT, TEST_RETURN_ORIGIN, type TestClient, json } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';

let app: AppHost;
let tc: TestClient;

beforeAll(async () => {
  app = await startAppHost();
  tc = await createTestClient(app);
});
afterAll(async () => {
  await app?.close();
});

async function newLink(body: Record<string, unknown> = {}): Promise<{ linkId: string; url: string }> {
  const res = await fetch(`${app.url}/api/connect-links`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${tc.apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ externalUserId: `staff-${randomBytes(3).toString('hex')}`, returnUrl: `${TEST_RETURN_ORIGIN}/back`, ...body }),
  });
  expect(res.status).toBe(201);
  return json(res);
}

/** Opens a link and returns the authorize URL it redirects to. */
async function authorizeUrlOf(link: { url: string }): Promise<URL> {
  const step = await nextHop(link.url);
  expect(step.status).toBe(302);
  return new URL(step.location!);
}

async function connectionsOf(externalUserId: string): Promise<number> {
  let n = 0;
  for await (const _ of app.services.store.connections.queryAll(odata`PartitionKey eq ${tc.client.clientId} and externalUserId eq ${externalUserId}`)) n += 1;
  return n;
}

function expectSecurityHeaders(res: Response): void {
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('script-src');
  expect(csp).not.toContain('unsafe-inline');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
}

describe('GET /api/connect/{linkId}', () => {
  it('redirects to the authorize endpoint with PKCE S256, state, nonce, the scopes and the callback', async () => {
    const url = await authorizeUrlOf(await newLink());
    const q = url.searchParams;
    expect(`${url.origin}`).toBe(app.simulatorUrl);
    expect(url.pathname).toMatch(/\/oauth2\/v2\.0\/authorize$/);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')!.length).toBeGreaterThanOrEqual(43);
    expect(q.get('nonce')).toBeTruthy();
    expect(q.get('prompt')).toBe('select_account');
    expect(q.get('redirect_uri')).toBe(`${app.url}/api/auth/callback`);
    expect(q.get('scope')!.split(' ')).toEqual(expect.arrayContaining(['offline_access', 'User.Read', 'Calendars.ReadWrite']));
    // The state is stored only as a hash; the verifier only encrypted.
    const stored = await app.services.store.oauthStates.get(stateHash(q.get('state')!), OAUTH_STATE_ROW);
    expect(stored?.entity.codeVerifier).toMatch(/^cb1\./);
    expect(stored!.entity.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(10 * 60_000);
  });

  it('passes login_hint when the link has one', async () => {
    const url = await authorizeUrlOf(await newLink({ loginHint: 'adele@contoso.test' }));
    expect(url.searchParams.get('login_hint')).toBe('adele@contoso.test');
  });

  it('is single use: a second open is an error page', async () => {
    const link = await newLink();
    await authorizeUrlOf(link);
    const again = await fetch(link.url, { redirect: 'manual' });
    expect(again.status).toBe(410);
    expect(again.headers.get('content-type')).toContain('text/html');
    expect(await again.text()).toContain('already been used');
    expectSecurityHeaders(again);
  });

  it('refuses unknown and expired links with an error page', async () => {
    const unknown = await fetch(`${app.url}/api/connect/${randomBytes(32).toString('base64url')}`, { redirect: 'manual' });
    expect(unknown.status).toBe(404);
    expectSecurityHeaders(unknown);
    const garbage = await fetch(`${app.url}/api/connect/%3Cscript%3E`, { redirect: 'manual' });
    expect(garbage.status).toBe(404);
    expect(await garbage.text()).not.toContain('<script>');

    const client = (await app.services.store.clients.getClient(tc.client.clientId))!.entity;
    const expired = await createConnectLink(client, { externalUserId: 'x', returnUrl: `${TEST_RETURN_ORIGIN}/`, ttlMs: -1000 }, app.services);
    const res = await fetch(expired.url, { redirect: 'manual' });
    expect(res.status).toBe(410);
    expect(await res.text()).toContain('expired');
  });
});

describe('GET /api/auth/callback', () => {
  it('connects, then reuses the connection when the same account reconnects for the same user', async () => {
    const first = await connectUser(app, { client: tc, externalUserId: 'staff-reconnect' });
    expect(first.finalUrl.pathname).toBe('/connected');
    expect(first.finalUrl.searchParams.get('status')).toBe('connected');
    expect(first.connection.status).toBe('active');
    expect(first.connection.account.tenantId).toBeTruthy();
    expect(first.connection.account.objectId).toBeTruthy();
    expect(first.connection.defaultReminderMinutes).toBe(15);
    const row = await app.services.store.connections.getConnection(tc.client.clientId, first.connection.id);
    expect(row?.entity.tokenCache).toMatch(/^cb1\./);
    // No refresh token and no JWT (header.payload) in clear; a bare "eyJ" turns up in ~2% of random ciphertexts.
    expect(row?.entity.tokenCache).not.toMatch(/sim-rt\.|eyJ[\w-]*\.eyJ/);

    const again = await connectUser(app, { client: tc, externalUserId: 'staff-reconnect', userPrincipalName: first.userPrincipalName });
    expect(again.connection.id).toBe(first.connection.id);
    expect(await connectionsOf('staff-reconnect')).toBe(1);

    const otherUser = await connectUser(app, { client: tc, externalUserId: 'staff-other', userPrincipalName: first.userPrincipalName });
    expect(otherUser.connection.id).not.toBe(first.connection.id);
  });

  it('defaults the booking calendar to the default calendar and busy calendars to every owned one', async () => {
    const user = await createSimUser(app.simulatorUrl);
    const token = await simToken(user.userPrincipalName);
    const created = await fetch(`${app.simulatorUrl}/v1.0/me/calendars`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Clinic' }),
    });
    expect(created.status).toBe(201);
    const clinic = (await json(created)).id as string;
    const { connection, apiKey } = await connectUser(app, { client: tc, userPrincipalName: user.userPrincipalName });
    const calendars = (await json(await fetch(`${app.url}/api/connections/${connection.id}/calendars`, { headers: { Authorization: `Bearer ${apiKey}` } }))).value;
    const defaultCalendar = calendars.find((c: { isDefault: boolean }) => c.isDefault);
    expect(connection.bookingCalendarId).toBe(defaultCalendar.id);
    expect(new Set(connection.busyCalendarIds)).toEqual(new Set([defaultCalendar.id, clinic]));
  });

  it('refuses an unknown, tampered, replayed or expired state with an error page, storing nothing', async () => {
    const noState = await fetch(`${app.url}/api/auth/callback?code=abc`, { redirect: 'manual' });
    expect(noState.status).toBe(400);
    expectSecurityHeaders(noState);

    const url = await authorizeUrlOf(await newLink({ loginHint: (await createSimUser(app.simulatorUrl)).userPrincipalName }));
    await simControl(app.simulatorUrl, 'PUT', '/identity/auto-consent', { enabled: true });
    const back = new URL((await nextHop(url.toString())).location!);
    const state = back.searchParams.get('state')!;

    const tampered = new URL(back);
    tampered.searchParams.set('state', `${state.slice(0, -2)}xx`);
    const t = await fetch(tampered, { redirect: 'manual' });
    expect(t.status).toBe(400);
    expect(await t.text()).toContain('unknown or has already been used');

    const ok = await nextHop(back.toString());
    expect(ok.status).toBe(302);
    expect(new URL(ok.location!).searchParams.get('status')).toBe('connected');
    const replay = await fetch(back, { redirect: 'manual' });
    expect(replay.status).toBe(400);
    expect(replay.headers.get('location')).toBeNull();

    // Expired: a state row past its 10 minutes.
    const expiredState = randomBytes(32).toString('base64url');
    await app.services.store.oauthStates.create({
      partitionKey: stateHash(expiredState),
      rowKey: OAUTH_STATE_ROW,
      clientId: tc.client.clientId,
      externalUserId: 'expired',
      returnUrl: `${TEST_RETURN_ORIGIN}/`,
      codeVerifier: 'x',
      nonce: 'n',
      expiresAt: new Date(Date.now() - 1000),
    });
    const e = await fetch(`${app.url}/api/auth/callback?code=abc&state=${expiredState}`, { redirect: 'manual' });
    expect(e.status).toBe(400);
    expect(await e.text()).toContain('expired');
    expect(await connectionsOf('expired')).toBe(0);
  });

  it('sends a missing code and a bad code back to the return URL with stable error codes, storing nothing', async () => {
    for (const [mutate, expected] of [
      [(u: URL) => u.searchParams.delete('code'), 'missing_code'],
      [(u: URL) => u.searchParams.set('code', 'sim-code.forged'), 'invalid_grant'],
    ] as const) {
      const externalUserId = `bad-code-${expected}`;
      const link = await newLink({ externalUserId, loginHint: (await createSimUser(app.simulatorUrl)).userPrincipalName });
      await simControl(app.simulatorUrl, 'PUT', '/identity/auto-consent', { enabled: true });
      const back = new URL((await nextHop((await authorizeUrlOf(link)).toString())).location!);
      mutate(back);
      const res = await nextHop(back.toString());
      const location = new URL(res.location!);
      expect(location.origin).toBe(TEST_RETURN_ORIGIN);
      expect(location.searchParams.get('status')).toBe('error');
      expect(location.searchParams.get('error')).toBe(expected);
      expect(location.searchParams.get('connectionId')).toBeNull();
      expect(await connectionsOf(externalUserId)).toBe(0);
    }
  });

  it('maps a declined consent to error=access_denied', async () => {
    const user = await createSimUser(app.simulatorUrl);
    const link = await newLink({ externalUserId: 'declines' });
    // No login hint: the simulator shows its sign-in and consent pages; post them like a browser would.
    const signIn = await fetch(await authorizeUrlOf(link));
    const html = await signIn.text();
    const flow = /name="flow" value="([^"]+)"/.exec(html)![1]!;
    const action = new URL(/form method="post" action="([^"]+)"/.exec(html)![1]!, app.simulatorUrl);
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual' as const,
    });
    const consent = await fetch(action, form({ flow, step: 'signin', user: user.id }));
    expect(await consent.text()).toContain('Permissions requested');
    const declined = await fetch(action, form({ flow, step: 'consent', decision: 'cancel' }));
    const callback = declined.headers.get('location')!;
    const res = await nextHop(callback);
    const location = new URL(res.location!);
    expect(location.searchParams.get('status')).toBe('error');
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(await connectionsOf('declines')).toBe(0);
  });

  it('maps a tenant that needs admin consent to error=admin_consent_required', async () => {
    const domain = `strict-${randomBytes(3).toString('hex')}.test`;
    await simControl(app.simulatorUrl, 'POST', '/tenants', { domain, requiresAdminConsent: true });
    const upn = `pat@${domain}`;
    await simControl(app.simulatorUrl, 'POST', '/users', { tenant: domain, userPrincipalName: upn });
    await simControl(app.simulatorUrl, 'PUT', '/identity/auto-consent', { enabled: true });
    const link = await newLink({ externalUserId: 'strict', loginHint: upn });
    const back = (await nextHop((await authorizeUrlOf(link)).toString())).location!;
    const location = new URL((await nextHop(back)).location!);
    expect(location.searchParams.get('error')).toBe('admin_consent_required');
    expect(await connectionsOf('strict')).toBe(0);
  });
});

async function simToken(upn: string): Promise<string> {
  const res = await simControl(app.simulatorUrl, 'POST', '/tokens', { tenant: SIM_TENANT, user: upn, scopes: ['Calendars.ReadWrite', 'User.Read'] });
  return ((await json(res)) as { access_token: string }).access_token;
}
