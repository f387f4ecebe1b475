// The OAuth state is bound to the browser that opened the connect link (RFC 9700 sections 2.1 and 4.7), and a
// link made for one account does not complete with another. Real HTTP through the local host, the
// simulator's identity platform and Graph, and Azurite; each browser is its own cookie jar.
import { randomBytes } from 'node:crypto';
import { odata } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { CookieJar, createSimUser, createTestClient, json, nextHop, TEST_RETURN_ORIGIN, type TestClient } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';

let app: AppHost;
let tc: TestClient;

beforeAll(async () => {
  app = await startAppHost();
  tc = await createTestClient(app);
  await simControl(app.simulatorUrl, 'PUT', '/identity/auto-consent', { enabled: true });
});
afterAll(async () => {
  await app?.close();
});

async function newLink(body: Record<string, unknown>): Promise<{ url: string; externalUserId: string }> {
  const externalUserId = `staff-${randomBytes(3).toString('hex')}`;
  const res = await fetch(`${app.url}/api/connect-links`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${tc.apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ externalUserId, returnUrl: `${TEST_RETURN_ORIGIN}/back`, ...body }),
  });
  expect(res.status).toBe(201);
  return { ...(await json(res)), externalUserId };
}

async function connectionsOf(externalUserId: string): Promise<number> {
  let n = 0;
  for await (const _ of app.services.store.connections.queryAll(odata`PartitionKey eq ${tc.client.clientId} and externalUserId eq ${externalUserId}`)) n += 1;
  return n;
}

/** Follows a flow in one browser until the booking system's return URL (not fetched) or a page. */
async function follow(start: string, browser: CookieJar): Promise<{ finalUrl?: URL; page?: { status: number; html: string } }> {
  let url = start;
  for (let hop = 0; hop < 6; hop += 1) {
    if (url.startsWith(TEST_RETURN_ORIGIN)) return { finalUrl: new URL(url) };
    const step = await nextHop(url, {}, browser);
    if (!step.location) return { page: { status: step.status, html: await step.response.text() } };
    url = step.location;
  }
  throw new Error(`no end after 6 hops: ${url}`);
}

describe('browser binding of the connect flow', () => {
  it('sets an HttpOnly, SameSite=Lax cookie (no __Host- prefix on http) when the link is opened', async () => {
    const link = await newLink({});
    const step = await nextHop(link.url, {}, new CookieJar());
    const cookie = step.response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^cb-bind-[A-Za-z0-9_-]+=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/);
  });

  it("refuses the callback in a victim's browser: an authorize URL copied out of the attacker's flow connects nothing", async () => {
    const victim = await createSimUser(app.simulatorUrl);
    // The attacker opens a link made for its own externalUserId and keeps the authorize URL...
    const link = await newLink({ loginHint: victim.userPrincipalName });
    const attacker = new CookieJar();
    const authorize = (await nextHop(link.url, {}, attacker)).location!;
    // ...which the victim opens, signs in with and accepts, in their own browser.
    const victimBrowser = new CookieJar();
    const end = await follow(authorize, victimBrowser);
    expect(end.page?.status).toBe(400);
    expect(end.page?.html).toContain('browser_mismatch');
    expect(end.page?.html).toContain('started in another browser');
    expect(end.page?.html).toContain(`${TEST_RETURN_ORIGIN}/back?status=error&amp;error=browser_mismatch`);
    expect(await connectionsOf(link.externalUserId)).toBe(0);
  });

  it('refuses a callback without the cookie, and one with another attempt\'s cookie', async () => {
    const victim = await createSimUser(app.simulatorUrl);
    const browser = new CookieJar();
    const first = await newLink({ loginHint: victim.userPrincipalName });
    const second = await newLink({ loginHint: victim.userPrincipalName });
    const authorizeFirst = (await nextHop(first.url, {}, browser)).location!;
    await nextHop(second.url, {}, browser);
    // The callback of the first attempt, sent with only the second attempt's cookie.
    const callback = (await nextHop(authorizeFirst, {}, new CookieJar())).location!;
    const cookies = browser.header(app.url)!.split('; ');
    expect(cookies).toHaveLength(2);
    const secondCookie = cookies[1]!; // set by the second link's answer
    const res = await fetch(callback, { headers: { cookie: secondCookie }, redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('browser_mismatch');
    expect(await connectionsOf(first.externalUserId)).toBe(0);
  });

  it('completes in the browser that opened the link, and clears the cookie', async () => {
    const user = await createSimUser(app.simulatorUrl);
    const link = await newLink({ loginHint: user.userPrincipalName });
    const browser = new CookieJar();
    const end = await follow(link.url, browser);
    expect(end.finalUrl?.searchParams.get('status')).toBe('connected');
    expect(browser.header(app.url)).toBeUndefined();
    expect(await connectionsOf(link.externalUserId)).toBe(1);
  });
});

describe('loginHint', () => {
  /** The authorize URL with the person choosing another account on Microsoft's page. */
  function withAccount(authorize: string, upn: string): string {
    const url = new URL(authorize);
    url.searchParams.set('login_hint', upn);
    return url.toString();
  }

  it('refuses a sign-in with another account (account_mismatch) and stores nothing', async () => {
    const named = await createSimUser(app.simulatorUrl);
    const other = await createSimUser(app.simulatorUrl);
    const link = await newLink({ loginHint: named.userPrincipalName });
    const browser = new CookieJar();
    const authorize = (await nextHop(link.url, {}, browser)).location!;
    const end = await follow(withAccount(authorize, other.userPrincipalName), browser);
    expect(Object.fromEntries(end.finalUrl!.searchParams)).toEqual({ status: 'error', error: 'account_mismatch' });
    expect(await connectionsOf(link.externalUserId)).toBe(0);
  });

  it('accepts another account when the link was made with allowOtherAccount', async () => {
    const named = await createSimUser(app.simulatorUrl);
    const other = await createSimUser(app.simulatorUrl);
    const link = await newLink({ loginHint: named.userPrincipalName, allowOtherAccount: true });
    const browser = new CookieJar();
    const authorize = (await nextHop(link.url, {}, browser)).location!;
    const end = await follow(withAccount(authorize, other.userPrincipalName), browser);
    expect(end.finalUrl!.searchParams.get('status')).toBe('connected');
    const connectionId = end.finalUrl!.searchParams.get('connectionId')!;
    const view = await json(await fetch(`${app.url}/api/connections/${connectionId}`, { headers: { Authorization: `Bearer ${tc.apiKey}` } }));
    expect(view.account.upn).toBe(other.userPrincipalName);
  });

  it('names allowOtherAccount when it is not a boolean', async () => {
    const res = await fetch(`${app.url}/api/connect-links`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tc.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ externalUserId: 'x', returnUrl: `${TEST_RETURN_ORIGIN}/back`, allowOtherAccount: 'yes' }),
    });
    expect(res.status).toBe(400);
    expect((await json(res)).field).toBe('allowOtherAccount');
  });
});
