// Point 1: booking-system clients through the admin API and the admin CLI; API-key authentication.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { createTestClient, json } from '../support/connect-user.js';

let app: AppHost;

beforeAll(async () => {
  app = await startAppHost();
});
afterAll(async () => {
  await app?.close();
});

function admin(method: string, path: string, body?: unknown, key: string | null = app.adminKey): Promise<Response> {
  return fetch(`${app.url}/api/manage/${path}`, {
    method,
    headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** A cheap call that needs a booking-system API key: 401 or a 400 for the missing body. */
function withApiKey(key: string | undefined): Promise<Response> {
  return fetch(`${app.url}/api/connections?externalUserId=x`, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
}

describe('admin API', () => {
  it.each([
    ['missing', null],
    ['wrong', 'cb_admin_not-the-key'],
    ['an api key instead', 'cb_live_0123456789abcdef0123_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
  ])('refuses a %s admin key with 401', async (_label, key) => {
    const res = await admin('GET', 'clients', undefined, key);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await json(res)).code).toBe('unauthorized');
  });

  it('creates a client, showing its API key and signing secret once', async () => {
    const res = await admin('POST', 'clients', { name: 'Acme', allowedReturnOrigins: ['https://Book.Acme.example'], webhookUrl: 'https://hooks.acme.example/cb' });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body.apiKey).toMatch(/^cb_live_/);
    expect(body.signingSecret).toMatch(/^whsec_/);
    expect(body.allowedReturnOrigins).toEqual(['https://book.acme.example']);
    expect(body.status).toBe('active');

    const stored = await app.services.store.clients.getClient(body.clientId);
    expect(JSON.stringify(stored)).not.toContain(body.apiKey);
    expect(JSON.stringify(stored)).not.toContain(body.signingSecret);
    expect((await app.services.secrets.get(stored!.entity.signingSecretName!)).value).toBe(body.signingSecret);

    const list = await json(await admin('GET', 'clients'));
    const listed = list.value.find((c: { clientId: string }) => c.clientId === body.clientId);
    expect(listed).toMatchObject({ name: 'Acme', activeApiKeys: 1 });
    expect(JSON.stringify(list)).not.toContain('cb_live_');
    expect(JSON.stringify(list)).not.toContain('whsec_');
  });

  it.each([
    [{ allowedReturnOrigins: ['https://a.example'] }, 'name'],
    [{ name: 'x', allowedReturnOrigins: [] }, 'allowedReturnOrigins'],
    [{ name: 'x', allowedReturnOrigins: ['https://a.example/path'] }, 'allowedReturnOrigins.0'],
    [{ name: 'x', allowedReturnOrigins: ['javascript:alert(1)'] }, 'allowedReturnOrigins.0'],
    [{ name: 'x', allowedReturnOrigins: ['https://a.example'], webhookUrl: 'https://u:p@h.example/' }, 'webhookUrl'],
    [{ name: 'x', allowedReturnOrigins: ['https://a.example'], extra: 1 }, undefined],
  ])('refuses a bad client %j naming the field', async (body, field) => {
    const res = await admin('POST', 'clients', body);
    expect(res.status).toBe(400);
    const problem = await json(res);
    if (field) expect(problem.field).toBe(field);
    // Nothing stored: the refused bodies are named 'x' or allow https://a.example, and no such client exists.
    const clients: { name: string; allowedReturnOrigins: string[] }[] = (await json(await admin('GET', 'clients'))).value;
    expect(clients.some((c) => c.name === 'x' || c.allowedReturnOrigins.includes('https://a.example'))).toBe(false);
  });

  it('rotates keys: two valid during a rotation, the oldest dropped on the next, revokePrevious drops at once', async () => {
    const { client, apiKey: first } = await createTestClient(app);
    const second = (await json(await admin('POST', `clients/${client.clientId}/rotate-key`))).apiKey as string;
    expect((await withApiKey(first)).status).toBe(200);
    expect((await withApiKey(second)).status).toBe(200);

    const third = (await json(await admin('POST', `clients/${client.clientId}/rotate-key`, {}))).apiKey as string;
    expect((await withApiKey(first)).status).toBe(401);
    expect((await withApiKey(second)).status).toBe(200);
    expect((await withApiKey(third)).status).toBe(200);

    const res = await admin('POST', `clients/${client.clientId}/rotate-key`, { revokePrevious: true });
    const fourth = (await json(res)).apiKey as string;
    expect((await withApiKey(third)).status).toBe(401);
    expect((await withApiKey(fourth)).status).toBe(200);
    expect((await admin('POST', 'clients/doesnotexist1/rotate-key')).status).toBe(404);
  });

  it('disables a client: its key is refused with 403 client_disabled', async () => {
    const { client, apiKey } = await createTestClient(app);
    expect((await withApiKey(apiKey)).status).toBe(200);
    const res = await admin('POST', `clients/${client.clientId}/disable`);
    expect((await json(res)).status).toBe('disabled');
    expect((await withApiKey(apiKey)).status).toBe(403); // client_disabled (test/admin covers the body)
  });
});

describe('API key authentication', () => {
  it.each([
    ['no header', undefined],
    ['a malformed key', 'not-a-key'],
    ['an unknown client', 'cb_live_ffffffffffffffffffff_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
  ])('answers 401 problem for %s', async (_label, key) => {
    const res = await withApiKey(key);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="calendar-bridge"');
    expect((await json(res)).code).toBe('unauthorized');
  });

  it('refuses a key with the right client id but the wrong secret', async () => {
    const { client, apiKey } = await createTestClient(app);
    const forged = `cb_live_${client.clientId}_${'A'.repeat(43)}`;
    expect(forged).not.toBe(apiKey);
    expect((await withApiKey(forged)).status).toBe(401);
  });
});
