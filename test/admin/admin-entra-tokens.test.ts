// The admin API protected by Entra ID: access tokens of the admin tenant for the app's own registration
// with the app role CalendarBridge.Admin, checked against the tenant's keys (discovery + JWKS, here the
// simulator's, over loopback). The shared admin key stays accepted locally, and in Azure only when opted in.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_OPERATOR_APP, SEED_TENANT } from '../../dev/simulator/seed.js';
import { ADMIN_APP_ROLE } from '../../shared/auth/admin-tokens.js';
import { resetConfig } from '../../shared/config.js';
import { SIMULATED_CLIENT_ID } from '../../dev/simulator/seed.js';
import { resetServices } from '../../shared/services.js';
import { runAdminCli } from '../support/admin-cli.js';
import { startAppHost, type AppHost } from '../support/app-host.js';

let app: AppHost;

beforeAll(async () => {
  process.env.ADMIN_ENTRA_TENANT_ID = SEED_TENANT.id;
  app = await startAppHost();
});
afterAll(async () => {
  await app?.close();
  delete process.env.ADMIN_ENTRA_TENANT_ID;
  delete process.env.ADMIN_KEY_ENABLED;
  resetConfig();
  resetServices();
});

/** Client credentials at the simulated identity platform, as a service principal gets tokens for an API. */
async function clientCredentials(client: { clientId: string; clientSecret: string }, scope: string, tenant = SEED_TENANT.id) {
  const response = await fetch(`${app.simulatorUrl}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret, scope }),
  });
  return { status: response.status, body: (await response.json()) as { access_token?: string; error_codes?: number[] } };
}
const adminToken = async (client: { clientId: string; clientSecret: string } = SEED_OPERATOR_APP) =>
  (await clientCredentials(client, `api://${SIMULATED_CLIENT_ID}/.default`)).body.access_token!;
const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const system = (credential: string) => fetch(`${app.url}/api/manage/system`, { headers: { Authorization: `Bearer ${credential}` } });
const simulator = (method: string, path: string, body?: unknown) =>
  fetch(`${app.simulatorUrl}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

describe('the simulated identity platform issues tokens for the app’s own API', () => {
  it('puts the app roles assigned to the service principal in roles, with the v2.0 audience and issuer', async () => {
    const token = await adminToken();
    const payload = claims(token);
    expect(payload.aud).toBe(SIMULATED_CLIENT_ID);
    expect(payload.iss).toBe(`${app.simulatorUrl}/${SEED_TENANT.id}/v2.0`);
    expect(payload.roles).toEqual([ADMIN_APP_ROLE]);
    expect(payload.azp).toBe(SEED_OPERATOR_APP.clientId);
    expect(payload.idtyp).toBe('app');
  });

  it('leaves roles out for a service principal without an assignment, and refuses an unknown resource', async () => {
    const created = (await (await simulator('POST', '/_sim/apps', { displayName: 'Unassigned tool' })).json()) as { clientId: string; clientSecret: string };
    expect(claims(await adminToken(created)).roles).toBeUndefined();
    const unknown = await clientCredentials(created, `api://${randomUUID()}/.default`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error_codes).toEqual([500011]);
  });
});

describe('admin API with Entra tokens', () => {
  it('accepts the operator’s token with the app role, over the API and the CLI', async () => {
    const token = await adminToken();
    const response = await system(token);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { paused: boolean }).paused).toBe(false);
    const cli = await runAdminCli(app, ['system', 'status'], { CALENDAR_BRIDGE_ADMIN_TOKEN: token });
    expect(JSON.parse(cli.stdout).paused).toBe(false);
  });

  it('answers 403 admin_role_required for a valid token without the role, then 200 once the role is assigned', async () => {
    const created = (await (await simulator('POST', '/_sim/apps', { displayName: 'Reporting job' })).json()) as { clientId: string; clientSecret: string };
    const denied = await system(await adminToken(created));
    expect(denied.status).toBe(403);
    expect(denied.headers.get('content-type')).toContain('application/problem+json');
    expect(((await denied.json()) as { code: string }).code).toBe('admin_role_required');
    const assigned = await simulator('PUT', `/_sim/apps/${SIMULATED_CLIENT_ID}/app-role-assignments/${created.clientId}`, { roles: [ADMIN_APP_ROLE] });
    expect(assigned.status).toBe(204);
    expect((await system(await adminToken(created))).status).toBe(200);
  });

  it('answers 401 for a Graph token, a token of another tenant and a token whose signature was altered', async () => {
    const graph = (await clientCredentials(SEED_OPERATOR_APP, 'https://graph.microsoft.com/.default')).body.access_token!;
    const domain = `t${randomUUID().slice(0, 8)}.test`;
    const tenant = (await (await simulator('POST', '/_sim/tenants', { domain })).json()) as { id: string };
    const otherTenant = (await clientCredentials(SEED_OPERATOR_APP, `api://${SIMULATED_CLIENT_ID}/.default`, tenant.id)).body.access_token!;
    const good = await adminToken();
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const altered = `${header}.${payload}.${signature.slice(0, -4)}${signature.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims(good), tid: tenant.id })).toString('base64url')}.${signature}`;
    for (const token of [graph, otherTenant, altered, forged]) {
      const response = await system(token);
      expect(response.status).toBe(401);
      const body = await response.text();
      expect(JSON.parse(body).code).toBe('unauthorized');
      expect(body).not.toContain(token);
    }
  });

  it('keeps the shared key locally, and refuses it where it is not enabled (as in Azure by default)', async () => {
    expect((await system(app.adminKey)).status).toBe(200);
    process.env.ADMIN_KEY_ENABLED = 'false';
    resetConfig();
    resetServices();
    try {
      const refused = await system(app.adminKey);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { detail: string }).detail).toContain(ADMIN_APP_ROLE);
      expect((await system(await adminToken())).status).toBe(200);
    } finally {
      delete process.env.ADMIN_KEY_ENABLED;
      resetConfig();
      resetServices();
    }
  });
});
