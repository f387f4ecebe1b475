// Point 2 and its bad inputs: POST /api/connect-links.
import { odata } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { createTestClient, TEST_RETURN_ORIGIN, type TestClient , json } from '../support/connect-user.js';

let app: AppHost;
let tc: TestClient;

beforeAll(async () => {
  app = await startAppHost();
  tc = await createTestClient(app, { origins: [TEST_RETURN_ORIGIN, 'http://localhost:5173'] });
});
afterAll(async () => {
  await app?.close();
});

function post(body: unknown, init: { key?: string | null; type?: string; raw?: string } = {}): Promise<Response> {
  const key = init.key === undefined ? tc.apiKey : init.key;
  return fetch(`${app.url}/api/connect-links`, {
    method: 'POST',
    headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), 'Content-Type': init.type ?? 'application/json' },
    body: init.raw ?? JSON.stringify(body),
  });
}

async function linkCount(): Promise<number> {
  let n = 0;
  for await (const _ of app.services.store.connectLinks.links.queryAll(odata`clientId eq ${tc.client.clientId}`)) n += 1;
  return n;
}

describe('POST /api/connect-links', () => {
  it('creates a single-use link that expires in 24 hours', async () => {
    const res = await post({ externalUserId: 'staff-1', returnUrl: `${TEST_RETURN_ORIGIN}/done?x=1`, pickCalendars: true });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body.linkId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.url).toBe(`${app.url}/api/connect/${body.linkId}`);
    const ttl = Date.parse(body.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(23.9 * 3600_000);
    expect(ttl).toBeLessThanOrEqual(24 * 3600_000);
    const stored = await app.services.store.connectLinks.getLink(body.linkId);
    expect(stored?.entity).toMatchObject({ clientId: tc.client.clientId, externalUserId: 'staff-1', pickCalendars: true });
    // Only a hash of the link id is stored.
    expect(stored?.entity.partitionKey).not.toBe(body.linkId);
  });

  it('accepts a loopback origin on the allow-list and a mixed-case spelling of an allowed host', async () => {
    expect((await post({ externalUserId: 's', returnUrl: 'http://localhost:5173/cb' })).status).toBe(201);
    expect((await post({ externalUserId: 's', returnUrl: 'HTTPS://BOOKING.example/cb' })).status).toBe(201);
  });

  it.each([
    ['another origin', 'https://evil.example/cb'],
    ['a look-alike subdomain', 'https://booking.example.evil.example/cb'],
    ['a scheme-relative URL', '//evil.example/cb'],
    ['user info', 'https://booking.example@evil.example/cb'],
    ['user info with the allowed host as user', 'https://user:pw@booking.example/cb'],
    ['a backslash', 'https://evil.example\\@booking.example/cb'],
    ['backslashes as slashes', 'https:\\\\evil.example'],
    ['no slashes', 'https:evil.example'],
    ['javascript:', 'javascript:alert(1)//booking.example'],
    ['data:', 'data:text/html,hi'],
    ['another scheme', 'ftp://booking.example/'],
    ['another port', 'https://booking.example:8443/cb'],
    ['http instead of https', 'http://booking.example/cb'],
    ['a tab', 'https://booking.example/\tcb'],
    ['a leading space', ' https://booking.example/cb'],
    ['a relative path', '/cb'],
    ['a fragment', 'https://booking.example/cb#x'],
    ['an encoded host trick', 'https://booking.example%2eevil.example/'],
  ])('refuses a returnUrl with %s, storing nothing', async (_label, returnUrl) => {
    const before = await linkCount();
    const res = await post({ externalUserId: 'staff-1', returnUrl });
    expect(res.status).toBe(400);
    const problem = await json(res);
    expect(problem.field).toBe('returnUrl');
    expect(await linkCount()).toBe(before);
  });

  it.each([
    ['a missing externalUserId', { returnUrl: `${TEST_RETURN_ORIGIN}/` }, 'externalUserId'],
    ['a missing returnUrl', { externalUserId: 'x' }, 'returnUrl'],
    ['a non-boolean pickCalendars', { externalUserId: 'x', returnUrl: `${TEST_RETURN_ORIGIN}/`, pickCalendars: 'yes' }, 'pickCalendars'],
    ['a loginHint that is not an address', { externalUserId: 'x', returnUrl: `${TEST_RETURN_ORIGIN}/`, loginHint: 'nope' }, 'loginHint'],
    ['an over-long externalUserId', { externalUserId: 'x'.repeat(300), returnUrl: `${TEST_RETURN_ORIGIN}/` }, 'externalUserId'],
  ])('refuses %s with 400 naming the field', async (_label, body, field) => {
    const before = await linkCount();
    const res = await post(body);
    expect(res.status).toBe(400);
    expect((await json(res)).field).toBe(field);
    expect(await linkCount()).toBe(before);
  });

  it('refuses malformed JSON, the wrong content type and an oversized body', async () => {
    const malformed = await post(undefined, { raw: '{"externalUserId": ' });
    expect(malformed.status).toBe(400);
    expect((await json(malformed)).code).toBe('invalid_json');
    const wrongType = await post(undefined, { raw: 'externalUserId=x', type: 'application/x-www-form-urlencoded' });
    expect(wrongType.status).toBe(415);
    const huge = await post({ externalUserId: 'x', returnUrl: `${TEST_RETURN_ORIGIN}/`, padding: 'x'.repeat(20_000) });
    expect(huge.status).toBe(413);
    expect(huge.headers.get('content-type')).toContain('application/problem+json');
  });

  it('answers 401 for a missing or wrong API key, storing nothing', async () => {
    const before = await linkCount();
    for (const key of [null, `${tc.apiKey.slice(0, -4)}AAAA`]) {
      const res = await post({ externalUserId: 'x', returnUrl: `${TEST_RETURN_ORIGIN}/` }, { key });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
    }
    expect(await linkCount()).toBe(before);
  });
});
