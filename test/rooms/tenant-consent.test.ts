// A connect link of kind `tenant` takes an administrator through the admin-consent
// endpoint; the callback checks the state and records the tenant only after a client-credentials token
// for it carries every application permission the app uses. Local host over real HTTP, Azurite, the simulator, real MSAL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { CookieJar, createTestClient, defaultBrowser, nextHop, TEST_RETURN_ORIGIN, type TestClient } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';
import { api } from '../bookings/support.js';
import { getAppAccessToken } from '../../shared/auth/app-tokens.js';
import { consentTenant, createSimRoom, createSimTenant, createSimTenantUser, followToReturn, letConsentPropagate, tenantLink, type SimTenant } from './support.js';

let app: AppHost;
let client: TestClient;

beforeAll(async () => {
  // A simulator of this file's own: waiting for the consent to propagate moves its clock.
  app = await startAppHost({ ownSimulator: true });
  client = await createTestClient(app);
}, 60_000);
afterAll(async () => {
  await app?.close();
});

describe('tenant connect link', () => {
  it('leads through /{tenant}/v2.0/adminconsent for Graph .default and records the tenant as consented', async () => {
    const tenant = await createSimTenant(app);
    expect(await app.services.store.tenants.getConsent(client.client.clientId, tenant.id)).toBeNull();
    const res = await tenantLink(app, client, { tenant: tenant.domain, loginHint: tenant.admin });
    expect(res.status).toBe(201);
    const { url } = (await res.json()) as { url: string };
    await simControl(app.simulatorUrl, 'PUT', '/identity/auto-consent', { enabled: true });
    // Entra takes a while to put the consented roles in tokens: the administrator waits on a page meanwhile.
    const waits: string[] = [];
    const whileWaiting = async ({ html }: { html: string }) => {
      waits.push(html);
      await letConsentPropagate(app);
    };
    const { finalUrl, hops } = await followToReturn(url, defaultBrowser, { whileWaiting });
    expect(waits).toHaveLength(1);
    expect(waits[0]).toContain('consent_propagating');
    const consentHop = new URL(hops.find((h) => h.includes('adminconsent'))!);
    expect(consentHop.pathname).toBe(`/${tenant.domain}/v2.0/adminconsent`);
    expect(consentHop.searchParams.get('scope')).toBe('https://graph.microsoft.com/.default');
    expect(consentHop.searchParams.get('redirect_uri')).toBe(`${app.url}/api/auth/tenant-callback`);
    expect(finalUrl.searchParams.get('status')).toBe('consented');
    expect(finalUrl.searchParams.get('tenantId')).toBe(tenant.id);
    const consent = (await app.services.store.tenants.getConsent(client.client.clientId, tenant.id))!.entity;
    expect(consent.roles).toContain('Calendars.ReadWrite');
    // App-only tokens now come from client credentials for that tenant, with the application permission.
    expect((await getAppAccessToken(app.services, tenant.id)).roles).toContain('Calendars.ReadWrite');
  });

  it('answers access_denied when the administrator cancels, and records nothing', async () => {
    const tenant = await createSimTenant(app);
    const res = await tenantLink(app, client, { tenant: tenant.domain }); // no hint: the consent page is shown
    const { url } = (await res.json()) as { url: string };
    const toMicrosoft = (await nextHop(url)).location!;
    const page = await fetch(toMicrosoft);
    expect(page.status).toBe(200);
    const form = new URLSearchParams(new URL(toMicrosoft).searchParams);
    form.set('decision', 'cancel');
    const declined = await nextHop(new URL(toMicrosoft).origin + new URL(toMicrosoft).pathname, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect(declined.location).toContain('/api/auth/tenant-callback');
    expect(new URL(declined.location!).searchParams.get('error')).toBe('access_denied');
    const { finalUrl } = await followToReturn(declined.location!);
    expect(Object.fromEntries(finalUrl.searchParams)).toEqual({ status: 'error', error: 'access_denied' });
    expect(await app.services.store.tenants.getConsent(client.client.clientId, tenant.id)).toBeNull();
    // The state was single use: the same callback again is refused.
    const replay = await fetch(declined.location!, { redirect: 'manual' });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('state_unknown');
  });

  it('refuses a forged callback: an unknown state, or a consent claim no administrator of the tenant backs', async () => {
    const unknown = await fetch(`${app.url}/api/auth/tenant-callback?admin_consent=True&tenant=7d1c4e2a-5b6f-4c3d-9e8a-0c0a7e55c0de&state=made-up`, { redirect: 'manual' });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('state_unknown');

    // A real state, but the browser claims consent for a tenant whose admin never gave it: the sign-in that
    // must follow is with a member of the tenant who is no administrator.
    const tenant: SimTenant = await createSimTenant(app);
    const member = await createSimTenantUser(app, tenant, 'member');
    await simControl(app.simulatorUrl, 'PUT', '/identity/auto-consent', { enabled: true });
    const { url } = (await (await tenantLink(app, client, { tenant: tenant.domain, loginHint: member.userPrincipalName })).json()) as { url: string };
    const state = new URL((await nextHop(url)).location!).searchParams.get('state')!;
    const forged = await followToReturn(`${app.url}/api/auth/tenant-callback?admin_consent=True&tenant=${tenant.id}&state=${encodeURIComponent(state)}`);
    expect(Object.fromEntries(forged.finalUrl.searchParams)).toEqual({ status: 'error', error: 'not_tenant_admin' });
    expect(await app.services.store.tenants.getConsent(client.client.clientId, tenant.id)).toBeNull();
  });

  it('does not let another booking system claim a tenant an administrator consented to for someone else', async () => {
    // Client B's link is used by the tenant's administrator: B is consented.
    const tenant = await createSimTenant(app);
    const room = await createSimRoom(app, tenant, 'hall');
    const clientB = await createTestClient(app);
    expect((await consentTenant(app, clientB, tenant)).searchParams.get('status')).toBe('consented');

    // Client A reads the state of its own tenant link without following it, and claims the tenant's consent.
    const clientA = await createTestClient(app);
    const attacker = new CookieJar();
    const outsider = await createSimTenant(app); // A's own tenant, where A's operator is an administrator
    await simControl(app.simulatorUrl, 'PUT', '/identity/auto-consent', { enabled: true });
    for (const loginHint of [undefined, outsider.admin]) {
      const { url } = (await (await tenantLink(app, clientA, { tenant: tenant.domain, ...(loginHint ? { loginHint } : {}) })).json()) as { url: string };
      const state = new URL((await nextHop(url, {}, attacker)).location!).searchParams.get('state')!;
      const claim = await nextHop(`${app.url}/api/auth/tenant-callback?admin_consent=True&tenant=${tenant.id}&state=${encodeURIComponent(state)}`, {}, attacker);
      // What the claim leads to: a sign-in at the tenant's own authority, which only its accounts pass.
      expect(new URL(claim.location!).pathname).toBe(`/${tenant.id}/oauth2/v2.0/authorize`);
      const signIn = await nextHop(claim.location!, {}, attacker);
      expect(signIn.location ?? '').not.toContain('code=');
    }
    expect(await app.services.store.tenants.getConsent(clientA.client.clientId, tenant.id)).toBeNull();
    const mapped = await api(app, clientA.apiKey, 'POST', 'spaces', { spaceId: 'hall', roomEmail: room.userPrincipalName, tenantId: tenant.id });
    expect(mapped.status).toBe(409);
    expect(mapped.body.code).toBe('tenant_consent_required');
  });

  it('binds the consent to the browser that opened the link', async () => {
    const tenant = await createSimTenant(app);
    const { url } = (await (await tenantLink(app, client, { tenant: tenant.domain, loginHint: tenant.admin })).json()) as { url: string };
    const opener = new CookieJar();
    const toMicrosoft = await nextHop(url, {}, opener);
    const setCookie = toMicrosoft.response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    // The admin-consent URL sent to the tenant's administrator, who completes it in their own browser.
    await simControl(app.simulatorUrl, 'PUT', '/identity/auto-consent', { enabled: true });
    const admin = new CookieJar();
    const back = await nextHop(toMicrosoft.location!, {}, admin);
    const refused = await nextHop(back.location!, {}, admin);
    expect(refused.status).toBe(400);
    const html = await refused.response.text();
    expect(html).toContain('browser_mismatch');
    expect(html).toContain(`${TEST_RETURN_ORIGIN}/rooms/done?status=error&amp;error=browser_mismatch`);
    expect(await app.services.store.tenants.getConsent(client.client.clientId, tenant.id)).toBeNull();
  });

  it('names the bad field of a tenant link and stores nothing', async () => {
    const bad = await tenantLink(app, client, { tenant: 'not a tenant!' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(((await bad.json()) as { field: string }).field).toBe('tenant');
    const offOrigin = await tenantLink(app, client, { returnUrl: 'https://evil.example/back' });
    expect(offOrigin.status).toBe(400);
    expect(((await offOrigin.json()) as { field: string }).field).toBe('returnUrl');
  });

  it('consents once per booking system: another client must consent for itself', async () => {
    const tenant = await createSimTenant(app);
    const finalUrl = await consentTenant(app, client, tenant);
    expect(finalUrl.searchParams.get('status')).toBe('consented');
    const other = await createTestClient(app);
    expect(await app.services.store.tenants.getConsent(other.client.clientId, tenant.id)).toBeNull();
  });
});
