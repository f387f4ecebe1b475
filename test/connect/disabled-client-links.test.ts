// A disabled booking system's outstanding connect links complete nothing: neither a link not yet opened, nor
// a flow already at Microsoft's sign-in when the client was disabled (user connect and tenant consent).
import { odata } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { CookieJar, createSimUser, createUserLink, createTestClient, nextHop, type TestClient } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';
import { createSimTenant, followToReturn, tenantLink } from '../rooms/support.js';

let app: AppHost;

beforeAll(async () => {
  app = await startAppHost();
  await simControl(app.simulatorUrl, 'PUT', '/identity/auto-consent', { enabled: true });
});
afterAll(async () => {
  await app?.close();
});

async function disable(tc: TestClient): Promise<void> {
  const res = await fetch(`${app.url}/api/manage/clients/${tc.client.clientId}/disable`, { method: 'POST', headers: { Authorization: `Bearer ${app.adminKey}` } });
  expect(res.status).toBe(200);
}

const userLink = (tc: TestClient, loginHint: string) => createUserLink(app, tc, loginHint);

async function connectionsOf(tc: TestClient): Promise<number> {
  let n = 0;
  for await (const _ of app.services.store.connections.queryAll(odata`PartitionKey eq ${tc.client.clientId}`)) n += 1;
  return n;
}

describe('connect links of a disabled client', () => {
  it('a user link: not opened yet, or already at the sign-in, completes nothing', async () => {
    const tc = await createTestClient(app);
    const user = await createSimUser(app.simulatorUrl);
    const unopened = await userLink(tc, user.userPrincipalName);
    const inFlight = await userLink(tc, user.userPrincipalName);
    const browser = new CookieJar();
    const authorize = (await nextHop(inFlight.url, {}, browser)).location!;
    await disable(tc);

    const callback = (await nextHop(authorize, {}, browser)).location!;
    const refused = await nextHop(callback, {}, browser);
    expect(refused.status).toBe(410);
    expect(await refused.response.text()).toContain('link_revoked');

    const opened = await nextHop(unopened.url, {}, browser);
    expect(opened.status).toBe(410);
    expect(await opened.response.text()).toContain('link_revoked');
    expect(await connectionsOf(tc)).toBe(0);
  });

  it('a tenant link already at the admin consent records nothing', async () => {
    const tc = await createTestClient(app);
    const tenant = await createSimTenant(app);
    const { url } = (await (await tenantLink(app, tc, { tenant: tenant.domain, loginHint: tenant.admin })).json()) as { url: string };
    const browser = new CookieJar();
    const toMicrosoft = (await nextHop(url, {}, browser)).location!;
    await disable(tc);
    await expect(followToReturn(toMicrosoft, browser)).rejects.toThrow(/consent flow stopped at \/api\/auth\/tenant-callback: 410 .*link_revoked/s);
    expect(await app.services.store.tenants.getConsent(tc.client.clientId, tenant.id)).toBeNull();
  });
});
