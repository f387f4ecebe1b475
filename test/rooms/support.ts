// Helpers for the rooms tests: a tenant of the test's own in the run's shared simulator (so admin consent
// here changes nothing for other test files), its rooms and users, and the tenant consent flow over real HTTP.
import { randomBytes } from 'node:crypto';
import type { AppHost } from '../support/app-host.js';
import { defaultBrowser, nextHop, TEST_RETURN_ORIGIN, type CookieJar, type TestClient } from '../support/connect-user.js';
import { simControl, simJson } from '../support/simulator-control.js';

/** Global Administrator's directory role template id (the simulator emits it as `wids`). */
export const GLOBAL_ADMINISTRATOR = '62e90394-69f5-4237-9190-012177145e10';

export interface SimTenant {
  id: string;
  domain: string;
  admin: string;
}

export async function createSimTenant(app: AppHost): Promise<SimTenant> {
  const domain = `rooms-${randomBytes(4).toString('hex')}.test`;
  const tenant = (await (await simControl(app.simulatorUrl, 'POST', '/tenants', { domain, displayName: 'Library' })).json()) as { id: string };
  const admin = `admin@${domain}`;
  await simControl(app.simulatorUrl, 'POST', '/users', { tenant: domain, userPrincipalName: admin, displayName: 'Ada Admin', directoryRoles: [GLOBAL_ADMINISTRATOR] });
  return { id: tenant.id, domain, admin };
}

export async function createSimRoom(app: AppHost, tenant: SimTenant, name: string): Promise<{ id: string; userPrincipalName: string }> {
  const res = await simControl(app.simulatorUrl, 'POST', '/rooms', { tenant: tenant.domain, userPrincipalName: `${name}@${tenant.domain}`, displayName: `Room ${name}` });
  return (await res.json()) as { id: string; userPrincipalName: string };
}

export async function createSimTenantUser(app: AppHost, tenant: SimTenant, name: string): Promise<{ id: string; userPrincipalName: string }> {
  const res = await simControl(app.simulatorUrl, 'POST', '/users', { tenant: tenant.domain, userPrincipalName: `${name}@${tenant.domain}`, displayName: name });
  return (await res.json()) as { id: string; userPrincipalName: string };
}

export async function tenantLink(app: AppHost, client: TestClient, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${app.url}/api/connect-links`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${client.apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'tenant', returnUrl: `${TEST_RETURN_ORIGIN}/rooms/done`, ...body }),
  });
}

/** The next check a consent waiting page asks for (its meta refresh), or undefined for any other page. */
export function consentCheckUrl(html: string): string | undefined {
  const refresh = /<meta http-equiv="refresh" content="\d+; url=([^"]+)">/.exec(html)?.[1];
  return refresh?.replace(/&amp;/g, '&');
}

export interface FollowOptions {
  /**
   * Called on each "consent recorded, waiting for Microsoft" page before its next check is followed; without
   * it, such a page ends the walk like any other page.
   */
  whileWaiting?: (page: { html: string; checkUrl: string }) => Promise<void>;
}

/** Follows redirects in one browser (without fetching the booking system's return URL) until it is reached; the hops seen. */
export async function followToReturn(start: string, browser: CookieJar = defaultBrowser, options: FollowOptions = {}): Promise<{ finalUrl: URL; hops: string[] }> {
  const hops: string[] = [];
  let url = start;
  for (let hop = 0; hop < 12 && !url.startsWith(TEST_RETURN_ORIGIN); hop += 1) {
    hops.push(url);
    const step = await nextHop(url, {}, browser);
    if (step.location) {
      url = step.location;
      continue;
    }
    const html = await step.response.text();
    const checkUrl = consentCheckUrl(html);
    if (!checkUrl || !options.whileWaiting) throw new Error(`consent flow stopped at ${new URL(url).pathname}: ${step.status} ${html}`);
    await options.whileWaiting({ html, checkUrl });
    url = checkUrl;
  }
  return { finalUrl: new URL(url), hops };
}

/** Lets the simulator's clock run past its admin-consent propagation delay (its `appRoleConsentDelayMs`). */
export async function letConsentPropagate(app: Pick<AppHost, 'simulatorUrl'>): Promise<void> {
  const { appRoleConsentDelayMs } = await simJson<{ appRoleConsentDelayMs: number }>(app.simulatorUrl, 'GET', '/settings');
  await simControl(app.simulatorUrl, 'POST', '/clock/advance', { ms: appRoleConsentDelayMs });
}

/**
 * The whole admin-consent flow with auto-consent (the admin's login_hint completes it at once), waiting on
 * the consent page while the simulator propagates the roles, as an administrator would.
 */
export async function consentTenant(app: AppHost, client: TestClient, tenant: SimTenant): Promise<URL> {
  await simControl(app.simulatorUrl, 'PUT', '/identity/auto-consent', { enabled: true });
  const res = await tenantLink(app, client, { tenant: tenant.domain, loginHint: tenant.admin });
  if (res.status !== 201) throw new Error(`tenant link: ${res.status} ${await res.text()}`);
  const { url } = (await res.json()) as { url: string };
  return (await followToReturn(url, defaultBrowser, { whileWaiting: () => letConsentPropagate(app) })).finalUrl;
}
