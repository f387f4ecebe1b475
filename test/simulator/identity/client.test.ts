// Client authentication, client credentials, the token endpoint's error shapes, discovery, and the
// Graph-token verification the Graph module relies on.
import { ConfidentialClientApplication } from '@azure/msal-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SIMULATED_CLIENT_ID } from '../../../dev/simulator/seed.js';
import { SIMULATED_AUTHORITY_HOST, loopbackNetworkClient } from '../../../dev/simulated-microsoft.js';
import { SEED_TENANT, SEED_USERS, SIMULATED_CLIENT_SECRET } from '../../../dev/simulator/seed.js';
import type { RunningSimulator } from '../../../dev/simulator/server.js';
import { SimAuthError } from '../../../dev/simulator/state.js';
import { Browser, REDIRECT_URI, SCOPES, autoSignIn, control, formOf, msalClient, redirectParams, startIdentitySimulator } from './support.js';

const GRAPH_DEFAULT = ['https://graph.microsoft.com/.default'];
const ERROR_KEYS = ['error', 'error_description', 'error_codes', 'timestamp', 'trace_id', 'correlation_id'];

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startIdentitySimulator();
});
afterAll(() => sim.close());
beforeEach(async () => {
  await control(sim, 'POST', '/reset');
});

async function tokenRequest(fields: Record<string, string>, init: { tenant?: string; contentType?: string } = {}): Promise<Response> {
  return fetch(`${sim.url}/${init.tenant ?? 'contoso.test'}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'Content-Type': init.contentType ?? 'application/x-www-form-urlencoded' },
    body: init.contentType === 'application/json' ? JSON.stringify(fields) : new URLSearchParams(fields).toString(),
  });
}

describe('client authentication', () => {
  it('refuses a wrong client secret with invalid_client AADSTS7000215 (401)', async () => {
    const signIn = await autoSignIn(sim, await msalClient(sim), 'adele@contoso.test');
    const wrong = await msalClient(sim, { secret: 'wrong-secret' });
    const error = await wrong
      .acquireTokenByCode({ code: signIn.code, scopes: SCOPES, redirectUri: REDIRECT_URI, codeVerifier: signIn.verifier, nonce: signIn.nonce })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ errorCode: 'invalid_client' });
    expect(String((error as Error).message)).toContain('AADSTS7000215');

    const raw = await tokenRequest({ grant_type: 'client_credentials', client_id: SIMULATED_CLIENT_ID, client_secret: 'nope', scope: GRAPH_DEFAULT[0]! });
    expect(raw.status).toBe(401);
    expect((await raw.json()) as object).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
  });
});

describe('client credentials', () => {
  it('issues an app token without roles until an admin consents, and with roles after', async () => {
    const msal = await msalClient(sim, { tenant: SEED_TENANT.id });
    const before = await msal.acquireTokenByClientCredential({ scopes: GRAPH_DEFAULT });
    const callerBefore = await sim.state.identity.verifyGraphToken(`Bearer ${before!.accessToken}`);
    expect(callerBefore).toMatchObject({ tenantId: SEED_TENANT.id, appId: SIMULATED_CLIENT_ID });
    expect(callerBefore.userId).toBeUndefined();
    expect(callerBefore.roles.size).toBe(0);

    const browser = new Browser();
    const consentUrl = `${sim.url}/${SEED_TENANT.id}/adminconsent?client_id=${SIMULATED_CLIENT_ID}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&state=a`;
    const form = formOf(await (await browser.get(consentUrl)).text(), consentUrl);
    const back = await browser.post(form.action, { ...form.fields, user: SEED_USERS.megan.id, decision: 'accept' });
    expect(redirectParams(back).get('admin_consent')).toBe('True');

    // The roles take a while to reach tokens (settings.appRoleConsentDelayMs): not yet, then after the delay.
    const early = await (await msalClient(sim, { tenant: SEED_TENANT.id })).acquireTokenByClientCredential({ scopes: GRAPH_DEFAULT });
    expect((await sim.state.identity.verifyGraphToken(`Bearer ${early!.accessToken}`)).roles.size).toBe(0);
    sim.state.clock.advance(sim.state.settings.appRoleConsentDelayMs);

    const after = await (await msalClient(sim, { tenant: SEED_TENANT.id })).acquireTokenByClientCredential({ scopes: GRAPH_DEFAULT });
    const callerAfter = await sim.state.identity.verifyGraphToken(`Bearer ${after!.accessToken}`);
    expect(callerAfter.roles.has('Calendars.ReadWrite')).toBe(true);
    expect(callerAfter.scopes.size).toBe(0);
  });

  it('grants the roles the registration asks for at consent time, each after the propagation delay from the consent itself', async () => {
    const rolesNow = async () => {
      const result = await (await msalClient(sim, { tenant: SEED_TENANT.id })).acquireTokenByClientCredential({ scopes: GRAPH_DEFAULT, skipCache: true });
      return [...(await sim.state.identity.verifyGraphToken(`Bearer ${result!.accessToken}`)).roles].sort();
    };
    // The registration's API permissions lack MailboxSettings.Read when the administrator consents.
    expect((await control(sim, 'PATCH', `/apps/${SIMULATED_CLIENT_ID}`, { roles: ['Calendars.ReadWrite', 'User.Read.All'] })).status).toBe(200);
    expect((await control(sim, 'PUT', `/tenants/${SEED_TENANT.id}/admin-consents/${SIMULATED_CLIENT_ID}`)).status).toBe(204);
    // Counted from the consent, not from the first token request: half the delay, nothing; the rest, the roles.
    sim.state.clock.advance(sim.state.settings.appRoleConsentDelayMs / 2);
    expect(await rolesNow()).toEqual([]);
    sim.state.clock.advance(sim.state.settings.appRoleConsentDelayMs / 2);
    expect(await rolesNow()).toEqual(['Calendars.ReadWrite', 'User.Read.All']);
    // Adding the permission to the registration later changes nothing for the tenant until it consents again.
    await control(sim, 'PATCH', `/apps/${SIMULATED_CLIENT_ID}`, { roles: ['Calendars.ReadWrite', 'User.Read.All', 'MailboxSettings.Read'] });
    expect(await rolesNow()).toEqual(['Calendars.ReadWrite', 'User.Read.All']);
    // Withdrawn: no roles at once.
    await control(sim, 'DELETE', `/tenants/${SEED_TENANT.id}/admin-consents/${SIMULATED_CLIENT_ID}`);
    expect(await rolesNow()).toEqual([]);
    expect((await control(sim, 'PATCH', '/apps/no-such-app', { roles: [] })).status).toBe(404);
  });

  it('requires a {resource}/.default scope and a tenant', async () => {
    const badScope = await tokenRequest({ grant_type: 'client_credentials', client_id: SIMULATED_CLIENT_ID, client_secret: SIMULATED_CLIENT_SECRET, scope: 'User.Read' });
    expect(badScope.status).toBe(400);
    expect((await badScope.json()) as object).toMatchObject({ error: 'invalid_scope', error_codes: [1002012] });
    const common = await tokenRequest(
      { grant_type: 'client_credentials', client_id: SIMULATED_CLIENT_ID, client_secret: SIMULATED_CLIENT_SECRET, scope: GRAPH_DEFAULT[0]! },
      { tenant: 'common' },
    );
    expect(((await common.json()) as { error_codes: number[] }).error_codes).toEqual([9001023]);
  });
});

describe('malformed token requests', () => {
  it.each([
    ['no grant_type', {}, undefined, 900144],
    ['a JSON body', { grant_type: 'client_credentials' }, 'application/json', 900144],
    ['an unknown grant type', { grant_type: 'password', client_id: SIMULATED_CLIENT_ID }, undefined, 70003],
    ['no code', { grant_type: 'authorization_code', client_id: SIMULATED_CLIENT_ID, client_secret: SIMULATED_CLIENT_SECRET }, undefined, 900144],
    ['no client_id', { grant_type: 'refresh_token', refresh_token: 'x' }, undefined, 900144],
  ])('answers %s with 400 and the documented error shape', async (_name, fields, contentType, code) => {
    const response = await tokenRequest(fields as Record<string, string>, { contentType });
    expect(response.status).toBe(400);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(expect.arrayContaining(ERROR_KEYS));
    expect(['invalid_request', 'unsupported_grant_type']).toContain(body.error);
    expect(body.error_codes).toEqual([code]);
    // Lines separated by CRLF, as Entra writes it.
    expect(body.error_description).toMatch(new RegExp(`^AADSTS${code}: .*\r\nTrace ID: .*\r\nCorrelation ID: .*\r\nTimestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`));
  });

  it('answers an unknown code with invalid_grant and an unknown tenant with AADSTS90002', async () => {
    const unknownCode = await tokenRequest({ grant_type: 'authorization_code', client_id: SIMULATED_CLIENT_ID, client_secret: SIMULATED_CLIENT_SECRET, code: 'x', redirect_uri: REDIRECT_URI });
    expect((await unknownCode.json()) as object).toMatchObject({ error: 'invalid_grant' });
    const unknownTenant = await tokenRequest({ grant_type: 'client_credentials' }, { tenant: 'fabrikam.test' });
    expect(unknownTenant.status).toBe(400);
    expect((await unknownTenant.json()) as object).toMatchObject({ error: 'invalid_request', error_codes: [90002] });
  });
});

describe('discovery', () => {
  it('serves an openid-configuration whose issuer MSAL accepts when it discovers endpoints itself', async () => {
    // No authorityMetadata here: MSAL fetches the document through the loopback network client.
    const msal = new ConfidentialClientApplication({
      auth: { clientId: SIMULATED_CLIENT_ID, clientSecret: SIMULATED_CLIENT_SECRET, authority: `${SIMULATED_AUTHORITY_HOST}/contoso.test`, knownAuthorities: ['login.simulator.test'] },
      system: { networkClient: loopbackNetworkClient(SIMULATED_AUTHORITY_HOST, sim.url) },
    });
    const url = await msal.getAuthCodeUrl({ scopes: SCOPES, redirectUri: REDIRECT_URI });
    expect(url.startsWith(`${SIMULATED_AUTHORITY_HOST}/contoso.test/oauth2/v2.0/authorize?`)).toBe(true);

    const direct = (await (await fetch(`${sim.url}/contoso.test/v2.0/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(direct.issuer).toBe(`${sim.url}/${SEED_TENANT.id}/v2.0`);
    expect(direct.authorization_endpoint).toBe(`${sim.url}/contoso.test/oauth2/v2.0/authorize`);
    const jwks = (await (await fetch(direct.jwks_uri!)).json()) as { keys: { kty: string; kid: string }[] };
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', use: 'sig' });
  });

  it('refuses to send MSAL requests anywhere but the simulator', async () => {
    const client = loopbackNetworkClient(SIMULATED_AUTHORITY_HOST, sim.url);
    await expect(client.sendGetRequestAsync('https://login.microsoftonline.com/common/discovery/instance')).rejects.toMatchObject({ errorCode: 'network_error' });
  });
});

describe('Graph token verification', () => {
  it('accepts a fresh token and refuses it after an hour on the simulated clock', async () => {
    const token = await sim.state.identity.issueGraphToken({ tenantId: SEED_TENANT.id, appId: SIMULATED_CLIENT_ID, roles: ['Calendars.Read'] });
    await expect(sim.state.identity.verifyGraphToken(`Bearer ${token}`)).resolves.toMatchObject({ roles: new Set(['Calendars.Read']) });
    sim.state.clock.advance(60 * 60 * 1000 + 1000);
    await expect(sim.state.identity.verifyGraphToken(`Bearer ${token}`)).rejects.toMatchObject({ status: 401, code: 'InvalidAuthenticationToken' });
  });

  it('refuses a missing header, garbage and an id_token (wrong audience)', async () => {
    await expect(sim.state.identity.verifyGraphToken(undefined)).rejects.toBeInstanceOf(SimAuthError);
    await expect(sim.state.identity.verifyGraphToken('Bearer not.a.jwt')).rejects.toMatchObject({ status: 401 });
    const msal = await msalClient(sim);
    const signIn = await autoSignIn(sim, msal, 'adele@contoso.test');
    const result = await msal.acquireTokenByCode({ code: signIn.code, scopes: SCOPES, redirectUri: REDIRECT_URI, codeVerifier: signIn.verifier, nonce: signIn.nonce });
    await expect(sim.state.identity.verifyGraphToken(`Bearer ${result.idToken}`)).rejects.toMatchObject({ message: expect.stringContaining('Invalid audience') });
  });
});
