// Personal Microsoft accounts (outlook.com) through the whole app: the simulator models one (the consumer
// tenant 9188040d-... in `tid`, skypeForConsumer as its calendars' meeting provider, no app-only access, no
// admin consent); it connects, books and reads busy time like a work account; features that need an
// organization answer 422 work_account_required; and PERSONAL_ACCOUNTS=deny refuses it deliberately.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMER_TENANT_ID } from '../../shared/auth/account-kind.js';
import { SIMULATED_CLIENT_ID } from '../../dev/simulator/seed.js';
import { api } from '../bookings/support.js';
import { mailClient } from '../mail/support.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createTestClient, TEST_RETURN_ORIGIN } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';

let app: AppHost;

beforeAll(async () => {
  app = await startAppHost();
});
afterAll(async () => {
  await app?.close();
  delete process.env.PERSONAL_ACCOUNTS;
});

async function personalUser(): Promise<string> {
  const upn = `pat.${randomBytes(4).toString('hex')}@outlook.com`;
  const res = await simControl(app.simulatorUrl, 'POST', '/users', { tenant: 'consumers', userPrincipalName: upn });
  expect(res.status).toBe(201);
  expect(((await res.json()) as { tenantId: string }).tenantId).toBe(CONSUMER_TENANT_ID);
  return upn;
}

describe('a personal Microsoft account', () => {
  it('connects (tid is the consumer tenant), books and reads busy time', async () => {
    const upn = await personalUser();
    const user = await connectUser(app, { userPrincipalName: upn });
    expect(user.connection.account).toMatchObject({ tenantId: CONSUMER_TENANT_ID, upn, kind: 'personal' });

    const booked = await api(app, user.apiKey, 'POST', 'bookings', {
      bookingId: 'msa-1',
      connectionId: user.connection.id,
      subject: 'Haircut',
      start: '2031-03-04T10:00:00',
      end: '2031-03-04T10:45:00',
      timeZone: 'UTC',
    });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    const busy = await api(app, user.apiKey, 'GET', `connections/${user.connection.id}/busy?start=2031-03-04T00:00:00Z&end=2031-03-05T00:00:00Z`);
    expect(busy.status).toBe(200);
    expect(JSON.stringify(busy.body)).toContain('2031-03-04T10:00:00');
  });

  it("the simulator's consumer calendar offers the consumer meeting provider, and the consumer tenant gets no app-only token", async () => {
    const upn = await personalUser();
    const token = (await (await simControl(app.simulatorUrl, 'POST', '/tokens', { tenant: 'consumers', user: upn, scopes: ['Calendars.ReadWrite'] })).json()) as { access_token: string };
    const calendars = (await (await fetch(`${app.simulatorUrl}/v1.0/me/calendars`, { headers: { Authorization: `Bearer ${token.access_token}` } })).json()) as {
      value: { allowedOnlineMeetingProviders: string[]; defaultOnlineMeetingProvider: string }[];
    };
    expect(calendars.value[0]).toMatchObject({ allowedOnlineMeetingProviders: ['skypeForConsumer'], defaultOnlineMeetingProvider: 'skypeForConsumer' });

    for (const tenant of ['consumers', CONSUMER_TENANT_ID]) {
      const consent = await fetch(`${app.simulatorUrl}/${tenant}/v2.0/adminconsent?client_id=${SIMULATED_CLIENT_ID}&redirect_uri=${encodeURIComponent(`${app.url}/api/auth/tenant-callback`)}`, { redirect: 'manual' });
      expect(consent.status, tenant).toBeGreaterThanOrEqual(400);
      expect(await consent.text()).toContain('personal Microsoft accounts');
    }
  });

  it('features that need an organization answer 422 work_account_required', async () => {
    const tc = await mailClient(app, { mailEnabled: true, legacyProtocols: true });
    const upn = await personalUser();
    const user = await connectUser(app, { client: tc, userPrincipalName: upn });
    const shared = await api(app, tc.apiKey, 'POST', `connections/${user.connection.id}/xoauth2`, { protocol: 'imap', mailbox: 'bookings@contoso.test' });
    expect(shared.status).toBe(422);
    expect(shared.body).toMatchObject({ code: 'work_account_required', field: 'mailbox' });

    for (const tenant of ['consumers', CONSUMER_TENANT_ID]) {
      const link = await api(app, tc.apiKey, 'POST', 'connect-links', { kind: 'tenant', tenant, returnUrl: `${TEST_RETURN_ORIGIN}/rooms` });
      expect(link.status, tenant).toBe(422);
      expect(link.body).toMatchObject({ code: 'work_account_required', field: 'tenant' });
    }
  });

  it('is refused deliberately with PERSONAL_ACCOUNTS=deny, while a work account still connects', async () => {
    await app.close();
    process.env.PERSONAL_ACCOUNTS = 'deny';
    app = await startAppHost();
    expect(app.services.config.entra.personalAccounts).toBe('deny');
    const tc = await createTestClient(app);
    await expect(connectUser(app, { client: tc, userPrincipalName: await personalUser() })).rejects.toThrow(/error=personal_account_not_allowed/);
    const work = await connectUser(app, { client: tc });
    expect(work.connection.account.kind).toBe('work');
  });
});
