// The auth code flow end to end: the app's MSAL client, the simulator's pages over real HTTP, the code
// redemption and the id_token it yields; plus the refusals of the authorize and token endpoints.
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SIMULATED_CLIENT_ID } from '../../../dev/simulator/seed.js';
import { SIMULATED_AUTHORITY_HOST } from '../../../dev/simulated-microsoft.js';
import { SEED_TENANT, SEED_USERS } from '../../../dev/simulator/seed.js';
import type { RunningSimulator } from '../../../dev/simulator/server.js';
import { Browser, REDIRECT_URI, SCOPES, autoSignIn, control, formOf, msalClient, redirectParams, signInWithForms, startAuth, startIdentitySimulator } from './support.js';

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startIdentitySimulator();
});
afterAll(() => sim.close());
beforeEach(async () => {
  await control(sim, 'POST', '/reset');
});

describe('auth code flow with the app MSAL client', () => {
  it('signs in through the pages, consents, and redeems the code for signed tokens', async () => {
    const msal = await msalClient(sim);
    const start = await startAuth(msal);
    expect(start.url.startsWith(`${sim.url}/contoso.test/oauth2/v2.0/authorize?`)).toBe(true);

    const back = redirectParams(await signInWithForms(new Browser(), start.url, SEED_USERS.adele.id));
    expect(back.get('state')).toBe(start.state);
    const code = back.get('code')!;
    const result = await msal.acquireTokenByCode(
      { code, scopes: SCOPES, redirectUri: REDIRECT_URI, codeVerifier: start.verifier, nonce: start.nonce, state: start.state },
      { code, state: back.get('state')!, nonce: start.nonce },
    );

    expect(result.account?.homeAccountId).toBe(`${SEED_USERS.adele.id}.${SEED_TENANT.id}`);
    expect(result.account?.username).toBe('adele@contoso.test');
    expect(result.tenantId).toBe(SEED_TENANT.id);
    const keys = (await (await fetch(`${sim.url}/${SEED_TENANT.id}/discovery/v2.0/keys`)).json()) as JSONWebKeySet;
    const jwks = createLocalJWKSet(keys);
    const { payload: id } = await jwtVerify(result.idToken, jwks, { audience: SIMULATED_CLIENT_ID, currentDate: sim.state.clock.date() });
    expect(id).toMatchObject({
      tid: SEED_TENANT.id,
      oid: SEED_USERS.adele.id,
      preferred_username: 'adele@contoso.test',
      name: 'Adele Vance',
      nonce: start.nonce,
      iss: `${SIMULATED_AUTHORITY_HOST}/${SEED_TENANT.id}/v2.0`,
    });
    expect(typeof id.sub).toBe('string');
    const caller = await sim.state.identity.verifyGraphToken(`Bearer ${result.accessToken}`);
    expect(caller).toMatchObject({ tenantId: SEED_TENANT.id, appId: SIMULATED_CLIENT_ID, userId: SEED_USERS.adele.id });
    expect([...caller.scopes]).toEqual(expect.arrayContaining(['User.Read', 'Calendars.ReadWrite']));
  });

  it('remembers consent and the browser session: the second authorize returns straight to the app', async () => {
    const msal = await msalClient(sim);
    const browser = new Browser();
    redirectParams(await signInWithForms(browser, (await startAuth(msal)).url, SEED_USERS.megan.id));
    const again = await startAuth(msal);
    const back = redirectParams(await browser.get(again.url));
    expect(back.get('code')).toBeTruthy();
    expect(back.get('state')).toBe(again.state);
  });

  it('works through the common authority (the production default), landing in the user tenant', async () => {
    const msal = await msalClient(sim, { tenant: 'common' });
    const start = await startAuth(msal);
    expect(start.url.startsWith(`${sim.url}/common/oauth2/v2.0/authorize?`)).toBe(true);
    const back = redirectParams(await signInWithForms(new Browser(), start.url, SEED_USERS.alex.id));
    const code = back.get('code')!;
    const result = await msal.acquireTokenByCode({ code, scopes: SCOPES, redirectUri: REDIRECT_URI, codeVerifier: start.verifier, nonce: start.nonce });
    expect(result.tenantId).toBe(SEED_TENANT.id);
    expect(result.account?.homeAccountId).toBe(`${SEED_USERS.alex.id}.${SEED_TENANT.id}`);
  });

  it('answers prompt=none from the browser session, and form_post with a self-submitting form', async () => {
    const msal = await msalClient(sim);
    const browser = new Browser();
    redirectParams(await signInWithForms(browser, (await startAuth(msal)).url, SEED_USERS.adele.id));
    const silent = await startAuth(msal, { prompt: 'none' });
    expect(redirectParams(await browser.get(silent.url)).get('code')).toBeTruthy();

    const formPost = await browser.get((await startAuth(msal, { responseMode: 'form_post' })).url);
    const html = await formPost.text();
    expect(formPost.status).toBe(200);
    expect(html).toContain(`action="${REDIRECT_URI}"`);
    expect(html).toMatch(/name="code" value="sim-code\.[^"]+"/);
  });

  it('leaves out nonce from the id_token when none was requested', async () => {
    const msal = await msalClient(sim);
    await control(sim, 'PUT', '/identity/auto-consent', { enabled: true });
    const url = await msal.getAuthCodeUrl({ scopes: SCOPES, redirectUri: REDIRECT_URI, loginHint: 'alex@contoso.test' });
    const code = redirectParams(await fetch(url, { redirect: 'manual' })).get('code')!;
    const result = await msal.acquireTokenByCode({ code, scopes: SCOPES, redirectUri: REDIRECT_URI });
    expect(result.idTokenClaims).not.toHaveProperty('nonce');
    expect(result.account?.username).toBe('alex@contoso.test');
  });

  it('preselects the login_hint user on the sign-in page, which lists users but not rooms', async () => {
    const start = await startAuth(await msalClient(sim), { loginHint: 'Megan@Contoso.test' });
    const html = await (await fetch(start.url)).text();
    expect(html).toContain(`value="${SEED_USERS.megan.id}" checked`);
    expect(html).not.toContain(`value="${SEED_USERS.adele.id}" checked`);
    expect(html).toContain('<label><input type="radio" name="user"');
    expect(html).not.toContain('Conf Room Rainier');
  });

  it('sends access_denied with the state back to the redirect URI on Cancel', async () => {
    const start = await startAuth(await msalClient(sim));
    const back = redirectParams(await signInWithForms(new Browser(), start.url, SEED_USERS.alex.id, 'cancel'));
    expect(back.get('error')).toBe('access_denied');
    expect(back.get('error_description')).toMatch(/^AADSTS65004: /);
    expect(back.get('state')).toBe(start.state);
    expect(back.get('code')).toBeNull();
  });

  it('refuses a wrong PKCE verifier with invalid_grant', async () => {
    const msal = await msalClient(sim);
    const signIn = await autoSignIn(sim, msal, 'adele@contoso.test');
    const other = await startAuth(msal);
    const error = await msal
      .acquireTokenByCode({ code: signIn.code, scopes: SCOPES, redirectUri: REDIRECT_URI, codeVerifier: other.verifier, nonce: signIn.nonce })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ errorCode: 'invalid_grant' });
    expect(String((error as Error).message)).toContain('AADSTS501481');
  });

  it('refuses a second redemption of the same code', async () => {
    const msal = await msalClient(sim);
    const signIn = await autoSignIn(sim, msal, 'adele@contoso.test');
    const request = { code: signIn.code, scopes: SCOPES, redirectUri: REDIRECT_URI, codeVerifier: signIn.verifier, nonce: signIn.nonce };
    await expect(msal.acquireTokenByCode(request)).resolves.toMatchObject({ accessToken: expect.any(String) });
    const error = await msal.acquireTokenByCode(request).catch((e: unknown) => e);
    expect(error).toMatchObject({ errorCode: 'invalid_grant' });
    expect(String((error as Error).message)).toContain('AADSTS54005');
  });

  it('refuses a redirect_uri that differs from the one of the authorize request', async () => {
    const msal = await msalClient(sim);
    const signIn = await autoSignIn(sim, msal, 'adele@contoso.test');
    const error = await msal
      .acquireTokenByCode({ code: signIn.code, scopes: SCOPES, redirectUri: 'http://localhost:7071/other', codeVerifier: signIn.verifier, nonce: signIn.nonce })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ errorCode: 'invalid_grant' });
    expect(String((error as Error).message)).toContain('AADSTS500112');
  });

  it('refuses a code older than 10 minutes on the simulated clock', async () => {
    const msal = await msalClient(sim);
    const signIn = await autoSignIn(sim, msal, 'adele@contoso.test');
    sim.state.clock.advance(10 * 60 * 1000 + 1000);
    const error = await msal
      .acquireTokenByCode({ code: signIn.code, scopes: SCOPES, redirectUri: REDIRECT_URI, codeVerifier: signIn.verifier, nonce: signIn.nonce })
      .catch((e: unknown) => e);
    expect(String((error as Error).message)).toContain('AADSTS70008');
  });
});

describe('authorize refusals', () => {
  it('shows an error page, never a redirect, for an unknown client_id or an unregistered redirect URI', async () => {
    const unknownClient = await fetch(`${sim.url}/contoso.test/oauth2/v2.0/authorize?client_id=nope&response_type=code&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&scope=openid`, { redirect: 'manual' });
    expect(unknownClient.status).toBe(400);
    expect(unknownClient.headers.get('location')).toBeNull();
    expect(await unknownClient.text()).toContain('AADSTS700016');

    await control(sim, 'POST', '/apps', { clientId: 'strict-app', clientSecret: 'strict-secret-1', redirectUris: [REDIRECT_URI] });
    const badRedirect = await fetch(`${sim.url}/contoso.test/oauth2/v2.0/authorize?client_id=strict-app&response_type=code&redirect_uri=${encodeURIComponent('https://evil.example/cb')}&scope=openid`, { redirect: 'manual' });
    expect(badRedirect.status).toBe(400);
    expect(badRedirect.headers.get('location')).toBeNull();
    expect(await badRedirect.text()).toContain('AADSTS50011');
  });

  it('redirects invalid_request with the state for a bad parameter', async () => {
    const url = `${sim.url}/contoso.test/oauth2/v2.0/authorize?client_id=${SIMULATED_CLIENT_ID}&response_type=code&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&scope=openid&state=s1&code_challenge_method=S512&code_challenge=${'a'.repeat(43)}`;
    const back = redirectParams(await fetch(url, { redirect: 'manual' }));
    expect(back.get('error')).toBe('invalid_request');
    expect(back.get('state')).toBe('s1');
  });

  it('answers prompt=none without a session with login_required', async () => {
    const start = await startAuth(await msalClient(sim), { prompt: 'none' });
    const back = redirectParams(await fetch(start.url, { redirect: 'manual' }));
    expect(back.get('error')).toBe('login_required');
    expect(back.get('state')).toBe(start.state);
  });

  it('returns consent_required (AADSTS65001) when the tenant requires admin consent', async () => {
    await control(sim, 'PATCH', '/tenants/contoso.test', { requiresAdminConsent: true });
    const start = await startAuth(await msalClient(sim));
    const back = redirectParams(await signInWithForms(new Browser(), start.url, SEED_USERS.diego.id));
    expect(back.get('error')).toBe('consent_required');
    expect(back.get('error_description')).toMatch(/^AADSTS65001: /);
    expect(back.get('state')).toBe(start.state);
  });

  it('lets users sign in again once an admin consented through /adminconsent', async () => {
    await control(sim, 'PATCH', '/tenants/contoso.test', { requiresAdminConsent: true });
    const browser = new Browser();
    const consentUrl = `${sim.url}/contoso.test/adminconsent?client_id=${SIMULATED_CLIENT_ID}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&state=admin1`;
    const page = formOf(await (await browser.get(consentUrl)).text(), consentUrl);
    const back = redirectParams(await browser.post(page.action, { ...page.fields, user: SEED_USERS.megan.id, decision: 'accept' }));
    expect(back.get('admin_consent')).toBe('True');
    expect(back.get('tenant')).toBe(SEED_TENANT.id);
    expect(back.get('state')).toBe('admin1');

    const start = await startAuth(await msalClient(sim));
    // No consent page this time: the admin's consent covers every user of the tenant.
    const signedIn = await signInWithForms(browser, start.url, SEED_USERS.diego.id);
    expect(redirectParams(signedIn).get('code')).toBeTruthy();
  });
});
