// The control API (tenants, users, rooms, apps, clock, reset) and the run-wide simulator from the test setup.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_TENANT, SEED_USERS, SIMULATED_CLIENT_ID } from '../../../dev/simulator/seed.js';
import type { RunningSimulator } from '../../../dev/simulator/server.js';
import { Browser, REDIRECT_URI, SCOPES, connect, control, msalClient, signInWithForms, startAuth, redirectParams, startIdentitySimulator } from './support.js';

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startIdentitySimulator();
});
afterAll(() => sim.close());

describe('control API', () => {
  it('creates a tenant with users, a room and an app whose users can then sign in', async () => {
    const tenant = await (await control(sim, 'POST', '/tenants', { domain: 'fabrikam.test' })).json() as { id: string };
    const user = await (await control(sim, 'POST', '/users', { tenant: 'fabrikam.test', userPrincipalName: 'lee@fabrikam.test', displayName: 'Lee Gu', timeZone: 'Tokyo Standard Time' })).json() as { id: string; tenantId: string };
    expect(user.tenantId).toBe(tenant.id);
    const room = await (await control(sim, 'POST', '/rooms', { tenant: tenant.id, userPrincipalName: 'fuji@fabrikam.test' })).json() as { kind: string };
    expect(room.kind).toBe('room');
    const app = await (await control(sim, 'POST', '/apps', { displayName: 'Other app', redirectUris: [REDIRECT_URI] })).json() as { clientId: string; clientSecret: string };
    expect(app.clientSecret.length).toBeGreaterThan(20);

    const users = await (await control(sim, 'GET', '/users?tenant=fabrikam.test')).json() as { value: { userPrincipalName: string }[] };
    expect(users.value.map((u) => u.userPrincipalName).sort()).toEqual(['fuji@fabrikam.test', 'lee@fabrikam.test']);

    const start = await startAuth(await msalClient(sim, { tenant: 'fabrikam.test' }));
    const back = redirectParams(await signInWithForms(new Browser(), start.url, user.id));
    expect(back.get('code')).toBeTruthy();
  });

  it('refuses bad input with a 400 and duplicates with a 409', async () => {
    const bad = await control(sim, 'POST', '/users', { tenant: 'contoso.test', userPrincipalName: 'no-at-sign' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('BadRequest');
    expect((await control(sim, 'POST', '/tenants', { domain: 'contoso.test' })).status).toBe(409);
    expect((await control(sim, 'POST', '/clock/advance', {})).status).toBe(400);
    expect((await fetch(`${sim.url}/_sim/apps`, { method: 'POST', body: '{' })).status).toBe(400);
  });

  it('seeds a sign-in: the refresh token it returns redeems for the user with the consented scopes, until the user is revoked', async () => {
    const seeded = await control(sim, 'POST', '/users/megan@contoso.test/signed-in', { clientId: SIMULATED_CLIENT_ID, scopes: SCOPES });
    expect(seeded.status).toBe(200);
    const { refresh_token: refreshToken } = (await seeded.json()) as { refresh_token: string };
    const redeemed = await (await msalClient(sim)).acquireTokenByRefreshToken({ refreshToken, scopes: SCOPES });
    expect(redeemed?.account?.username).toBe('megan@contoso.test');
    expect(redeemed?.scopes).toEqual(expect.arrayContaining(SCOPES));
    // Scopes never consented are refused, as for a user who signed in through the pages.
    await expect((await msalClient(sim)).acquireTokenByRefreshToken({ refreshToken, scopes: ['Mail.Read'] })).rejects.toMatchObject({ errorCode: 'invalid_grant' });

    await control(sim, 'POST', '/users/megan@contoso.test/revoke-sign-in-sessions');
    await expect((await msalClient(sim)).acquireTokenByRefreshToken({ refreshToken, scopes: SCOPES })).rejects.toMatchObject({ errorCode: 'invalid_grant' });
    expect((await control(sim, 'POST', '/users/megan@contoso.test/signed-in', { clientId: SIMULATED_CLIENT_ID })).status).toBe(400);
    expect((await control(sim, 'POST', '/users/nobody@contoso.test/signed-in', { clientId: SIMULATED_CLIENT_ID, scopes: SCOPES })).status).toBe(404);
  });

  it('advances the clock by days and resets it, the directory and the grants (reseeding)', async () => {
    const before = await (await control(sim, 'GET', '/clock')).json() as { nowMs: number };
    const after = await (await control(sim, 'POST', '/clock/advance', { days: 2 })).json() as { nowMs: number };
    expect(after.nowMs - before.nowMs).toBeGreaterThanOrEqual(2 * 24 * 3600 * 1000);

    const msal = await msalClient(sim);
    const connected = await connect(sim, msal, 'adele@contoso.test');
    await control(sim, 'POST', '/tenants', { domain: 'gone.test' });
    expect((await control(sim, 'POST', '/reset')).status).toBe(204);

    const reset = await (await control(sim, 'GET', '/clock')).json() as { nowMs: number };
    expect(reset.nowMs).toBeLessThan(after.nowMs);
    expect((await control(sim, 'GET', '/tenants/gone.test')).status).toBe(404);
    expect(((await (await control(sim, 'GET', `/users/${SEED_USERS.adele.id}`)).json()) as { timeZone: string }).timeZone).toBe('Pacific Standard Time');
    expect(((await (await control(sim, 'GET', '/identity/auto-consent')).json()) as { enabled: boolean }).enabled).toBe(false);
    await expect(msal.acquireTokenSilent({ account: connected.account!, scopes: ['User.Read'], forceRefresh: true })).rejects.toMatchObject({ errorCode: 'invalid_grant' });

    await control(sim, 'POST', '/reset', { seed: false });
    expect(((await (await control(sim, 'GET', '/tenants')).json()) as { value: unknown[] }).value).toEqual([]);
    await control(sim, 'POST', '/reset');
    expect((await control(sim, 'GET', `/tenants/${SEED_TENANT.id}`)).status).toBe(200);
  });
});

describe('the run-wide simulator', () => {
  it('is started by the test setup and named by M365_SIMULATOR_URL', async () => {
    const url = process.env.M365_SIMULATOR_URL!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const config = (await (await fetch(`${url}/contoso.test/v2.0/.well-known/openid-configuration`)).json()) as { issuer: string };
    expect(config.issuer).toBe(`${url}/${SEED_TENANT.id}/v2.0`);
  });
});
