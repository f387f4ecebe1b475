// Admin consent takes time and can be partial. Against a simulator of this file's own (its clock runs ahead
// and its app registration is edited here): while Entra propagates the consented application roles, the
// consent callback answers at once with a page that checks again by itself (backoff), and when the wait is
// over it names each role the app-only token still lacks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATED_CLIENT_ID } from '../../dev/simulator/seed.js';
import { DEFAULT_APP_ROLES } from '../../dev/simulator/identity/store.js';
import { ROOM_APP_ROLES } from '../../shared/auth/app-tokens.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { CookieJar, createTestClient, nextHop, TEST_RETURN_ORIGIN, type TestClient } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';
import { waitFor } from '../support/wait-for.js';
import { consentCheckUrl, createSimTenant, letConsentPropagate, tenantLink, type SimTenant } from './support.js';

/** The app's wait for the roles (TENANT_CONSENT_WAIT_SECONDS), short so the "wait is over" case runs in seconds. */
const WAIT_SECONDS = 12;

let app: AppHost;
let client: TestClient;

beforeAll(async () => {
  process.env.TENANT_CONSENT_WAIT_SECONDS = String(WAIT_SECONDS);
  app = await startAppHost({ ownSimulator: true });
  client = await createTestClient(app);
  await simControl(app.simulatorUrl, 'PUT', '/identity/auto-consent', { enabled: true });
}, 60_000);
afterAll(async () => {
  delete process.env.TENANT_CONSENT_WAIT_SECONDS;
  await app?.close();
});

type Walk = { returned: URL } | { status: number; html: string };

/** Follows redirects in `browser` until the booking system's return URL or a page. */
async function walk(url: string, browser: CookieJar): Promise<Walk> {
  for (let hop = 0; hop < 8; hop += 1) {
    if (url.startsWith(TEST_RETURN_ORIGIN)) return { returned: new URL(url) };
    const step = await nextHop(url, {}, browser);
    if (!step.location) return { status: step.status, html: await step.response.text() };
    url = step.location;
  }
  throw new Error(`too many redirects, last ${url}`);
}

function waitingPage(result: Walk): { html: string; checkUrl: string; refreshSeconds: number } {
  if (!('html' in result)) throw new Error(`expected the waiting page, got back to ${result.returned.toString()}`);
  expect(result.status).toBe(202);
  expect(result.html).toContain('consent_propagating');
  const checkUrl = consentCheckUrl(result.html);
  expect(checkUrl, 'the page checks again by itself').toBeDefined();
  const refreshSeconds = Number(/content="(\d+); url=/.exec(result.html)![1]);
  return { html: result.html, checkUrl: checkUrl!, refreshSeconds };
}

async function openTenantLink(tenant: SimTenant, browser: CookieJar): Promise<Walk> {
  const res = await tenantLink(app, client, { tenant: tenant.domain, loginHint: tenant.admin });
  expect(res.status).toBe(201);
  return walk(((await res.json()) as { url: string }).url, browser);
}

describe('tenant consent while Entra propagates it', () => {
  it('answers a self-refreshing waiting page, checks again with backoff, and records the consent once every role is in the token', async () => {
    const tenant = await createSimTenant(app);
    const browser = new CookieJar();
    const first = waitingPage(await openTenantLink(tenant, browser));
    // No role has reached tokens yet: each one the app uses is named as still awaited.
    for (const role of ROOM_APP_ROLES) expect(first.html).toContain(`<code>${role}</code>`);
    expect(first.html).toMatch(/Available: none yet/);
    expect(first.refreshSeconds).toBe(5);
    expect(await app.services.store.tenants.getConsent(client.client.clientId, tenant.id)).toBeNull();

    // The page's own check, before the simulator's clock has moved: still waiting, later next time.
    const second = waitingPage(await walk(first.checkUrl, browser));
    expect(second.refreshSeconds).toBe(10);
    // Each check is single use.
    const replay = await walk(first.checkUrl, browser);
    expect('html' in replay && replay.status === 400 && replay.html.includes('state_unknown')).toBe(true);

    // The simulator's propagation delay passes (its own time): the next check finds every role.
    await letConsentPropagate(app);
    const done = await walk(second.checkUrl, browser);
    expect('returned' in done && Object.fromEntries(done.returned.searchParams)).toEqual({ status: 'consented', tenantId: tenant.id });
    const consent = (await app.services.store.tenants.getConsent(client.client.clientId, tenant.id))!.entity;
    expect(consent.roles).toEqual(expect.arrayContaining([...ROOM_APP_ROLES]));
  });

  it('names each role the app registration lacks when the wait is over, and records nothing', async () => {
    // The registration's API permissions lack MailboxSettings.Read: the consent grants only the others.
    const registered = ROOM_APP_ROLES.filter((r) => r !== 'MailboxSettings.Read');
    await simControl(app.simulatorUrl, 'PATCH', `/apps/${SIMULATED_CLIENT_ID}`, { roles: registered });
    try {
      const tenant = await createSimTenant(app);
      const browser = new CookieJar();
      let check = waitingPage(await openTenantLink(tenant, browser));
      await letConsentPropagate(app);
      // Propagated: the page shows what arrived and what is still missing, and keeps checking until the wait ends.
      check = waitingPage(await walk(check.checkUrl, browser));
      expect(check.html).toMatch(/Available: <code>Calendars\.ReadWrite<\/code>, <code>User\.Read\.All<\/code>\. Still waiting for: <code>MailboxSettings\.Read<\/code>/);
      const returned = await waitFor(
        async () => {
          const next = await walk(check.checkUrl, browser);
          if ('returned' in next) return next.returned;
          check = waitingPage(next);
          return undefined;
        },
        { message: 'the consent page to give up waiting', timeout: (WAIT_SECONDS + 20) * 1000, interval: 1_000 },
      );
      expect(Object.fromEntries(returned.searchParams)).toEqual({ status: 'error', error: 'consent_incomplete', missingRoles: 'MailboxSettings.Read' });
      expect(await app.services.store.tenants.getConsent(client.client.clientId, tenant.id)).toBeNull();
    } finally {
      await simControl(app.simulatorUrl, 'PATCH', `/apps/${SIMULATED_CLIENT_ID}`, { roles: DEFAULT_APP_ROLES });
    }
  }, 60_000);
});
