// Issue 7 point 1: a connect link of kind `tenant` takes an administrator through the admin-consent
// endpoint; the callback checks the state and records the tenant only after a client-credentials token
// for it carries Calendars.ReadWrite. Local host over real HTTP, Azurite, the simulator, real MSAL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { createTestClient, nextHop, simControl, type TestClient } from '../support/connect-user.js';
import { getAppAccessToken } from '../../shared/auth/app-tokens.js';
import { consentTenant, createSimTenant, followToReturn, tenantLink, type SimTenant } from './support.js';

let app: AppHost;
let client: TestClient;

beforeAll(async () => {
  app = await startAppHost();
  client = await createTestClient(app);
}, 60_000);
afterAll(() => app?.close());

describe('tenant connect link', () => {
  it('leads through /{tenant}/v2.0/adminconsent for Graph .default and records the tenant as consented', async () => {
    const tenant = await createSimTenant(app);
    expect(await app.services.store.tenants.getConsent(client.client.clientId, tenant.id)).toBeNull();
    const res = await tenantLink(app, client, { tenant: tenant.domain, loginHint: tenant.admin });
    expect(res.status).toBe(201);
    const { url } = (await res.json()) as { url: string };
    await simControl(app.simulatorUrl, 'PUT', '/identity/auto-consent', { enabled: true });
    const { finalUrl, hops } = await followToReturn(url);
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

  it('refuses a forged callback: an unknown state, or a consent claim the token does not back', async () => {
    const unknown = await fetch(`${app.url}/api/auth/tenant-callback?admin_consent=True&tenant=7d1c4e2a-5b6f-4c3d-9e8a-0c0a7e55c0de&state=made-up`, { redirect: 'manual' });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('state_unknown');

    // A real state, but the browser claims consent for a tenant whose admin never gave it.
    const tenant: SimTenant = await createSimTenant(app);
    const { url } = (await (await tenantLink(app, client, { tenant: tenant.domain })).json()) as { url: string };
    const state = new URL((await nextHop(url)).location!).searchParams.get('state')!;
    const forged = await nextHop(`${app.url}/api/auth/tenant-callback?admin_consent=True&tenant=${tenant.id}&state=${encodeURIComponent(state)}`);
    expect(Object.fromEntries(new URL(forged.location!).searchParams)).toEqual({ status: 'error', error: 'consent_incomplete' });
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
