// Refresh tokens as Entra handles them: a new one on every use while the old one stays valid, 90 days of
// inactivity on the simulated clock, revocation; and the app's classifier for "sign in again".
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isReauthRequired } from '../../../shared/auth/msal-client.js';
import type { RunningSimulator } from '../../../dev/simulator/server.js';
import { SCOPES, connect, control, msalClient, refreshTokensIn, startIdentitySimulator } from './support.js';

const DAY = 24 * 60 * 60 * 1000;

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startIdentitySimulator();
});
afterAll(() => sim.close());
beforeEach(async () => {
  await control(sim, 'POST', '/reset');
});

describe('refresh tokens', () => {
  it('returns a new refresh token on every refresh and keeps the old one valid', async () => {
    const msal = await msalClient(sim);
    const first = await connect(sim, msal, 'adele@contoso.test');
    const [rt1] = refreshTokensIn(msal);
    expect(rt1).toBeTruthy();

    const second = await msal.acquireTokenSilent({ account: first.account!, scopes: SCOPES, forceRefresh: true });
    expect(second.fromCache).toBe(false);
    expect(second.accessToken).not.toBe(first.accessToken);
    const [rt2] = refreshTokensIn(msal);
    expect(rt2).toBeTruthy();
    expect(rt2).not.toBe(rt1);

    // The superseded token still works (Entra does not revoke it on use).
    const viaOld = await (await msalClient(sim)).acquireTokenByRefreshToken({ refreshToken: rt1!, scopes: SCOPES });
    expect(viaOld?.account?.username).toBe('adele@contoso.test');
  });

  it('expires a refresh token after 90 days of inactivity with invalid_grant AADSTS700082', async () => {
    const msal = await msalClient(sim);
    const result = await connect(sim, msal, 'alex@contoso.test');
    sim.state.clock.advance(89 * DAY);
    await expect(msal.acquireTokenSilent({ account: result.account!, scopes: SCOPES, forceRefresh: true })).resolves.toBeTruthy();

    const stale = await msalClient(sim);
    const [rt] = refreshTokensIn(msal);
    sim.state.clock.advance(90 * DAY);
    const error = await stale.acquireTokenByRefreshToken({ refreshToken: rt!, scopes: SCOPES }).catch((e: unknown) => e);
    expect(error).toMatchObject({ errorCode: 'invalid_grant' });
    expect(String((error as Error).message)).toContain('AADSTS700082');
    expect(isReauthRequired(error)).toBe(true);
  });

  it('keeps working for a year when refreshed every 30 days', async () => {
    const msal = await msalClient(sim);
    const result = await connect(sim, msal, 'megan@contoso.test');
    const seen = new Set(refreshTokensIn(msal));
    for (let month = 1; month <= 13; month++) {
      sim.state.clock.advance(30 * DAY);
      const refreshed = await msal.acquireTokenSilent({ account: result.account!, scopes: SCOPES, forceRefresh: true });
      expect(refreshed.fromCache).toBe(false);
      const caller = await sim.state.identity.verifyGraphToken(`Bearer ${refreshed.accessToken}`);
      expect(caller.userId).toBe(result.account!.localAccountId);
      for (const rt of refreshTokensIn(msal)) seen.add(rt);
    }
    expect(seen.size).toBe(14);
  });

  it('refuses every refresh token of a user whose sessions were revoked (AADSTS50173)', async () => {
    const msal = await msalClient(sim);
    const result = await connect(sim, msal, 'diego@contoso.test');
    const revoked = await control(sim, 'POST', '/users/diego@contoso.test/revoke-sign-in-sessions');
    expect(revoked.status).toBe(200);

    const error = await msal.acquireTokenSilent({ account: result.account!, scopes: SCOPES, forceRefresh: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ errorCode: 'invalid_grant' });
    expect(String((error as Error).message)).toContain('AADSTS50173');
    expect(isReauthRequired(error)).toBe(true);

    // Signing in again after the revocation gives a working grant.
    const fresh = await msalClient(sim);
    const again = await connect(sim, fresh, 'diego@contoso.test');
    await expect(fresh.acquireTokenSilent({ account: again.account!, scopes: SCOPES, forceRefresh: true })).resolves.toMatchObject({ fromCache: false });
  });

  it('does not treat other failures as needing a new sign-in', async () => {
    const msal = await msalClient(sim, { secret: 'not-the-secret' });
    const error = await msal.acquireTokenByRefreshToken({ refreshToken: 'whatever', scopes: SCOPES }).catch((e: unknown) => e);
    expect(error).toMatchObject({ errorCode: 'invalid_client' });
    expect(isReauthRequired(error)).toBe(false);
    expect(isReauthRequired(new Error('network down'))).toBe(false);
  });
});
