// The console's routes over real HTTP: its webhook receiver (verified, refused, unknown), the same-origin
// check on actions, the live fragment, the static assets; and that none of it exists outside local
// simulated mode (a real Entra app configured, or in Azure).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definitions } from '../../functions/definitions.js';
import { localApp } from '../../dev/local-app.js';
import { isSimulatedRun, useSimulator } from '../../dev/simulated-microsoft.js';
import { SIMULATED_CLIENT_ID } from '../../dev/simulator/seed.js';
import type { FunctionDefinition } from '../../shared/runtime/function-definitions.js';
import { loadSession } from '../../dev/console/session-store.js';
import { signingSecretOf } from '../../dev/console/walkthrough.js';
import { newSigningSecret, signatureHeaders } from '../../shared/webhooks/signature.js';
import { startConsoleApp, type ConsoleApp } from './support.js';

describe('console routes in local simulated mode', () => {
  let app: ConsoleApp;
  let cookie: string;
  let receiverId: string;
  let secret: string;

  beforeAll(async () => {
    app = await startConsoleApp();
    const first = await fetch(`${app.url}/api/console`);
    expect(first.status).toBe(200);
    cookie = first.headers.getSetCookie()[0]!.split(';')[0]!;
    const created = await fetch(`${app.url}/api/console/actions/client`, {
      method: 'POST',
      headers: { Cookie: cookie, Origin: app.url, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: '',
      redirect: 'manual',
    });
    expect(created.status).toBe(303);
    const session = (await loadSession(app.services, cookie.split('=')[1]))!;
    receiverId = session.receiverId!;
    secret = (await signingSecretOf(app.services, session))!;
  });
  afterAll(() => app?.close());

  const post = (body: string, headers: Record<string, string>, id = receiverId) =>
    fetch(`${app.url}/api/console/webhooks/${id}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
  const live = async () => (await fetch(`${app.url}/api/console/live`, { headers: { Cookie: cookie } })).text();

  it('keeps a correctly signed webhook as verified (204) and a forged one as refused (401)', async () => {
    const good = JSON.stringify({ id: 'evt_good', type: 'busy.changed', occurredAt: new Date().toISOString(), data: { start: '2030-01-01T10:00:00Z', end: '2030-01-01T11:00:00Z', busy: [] } });
    expect((await post(good, signatureHeaders([secret], 'evt_good', good))).status).toBe(204);
    const forged = JSON.stringify({ id: 'evt_forged', type: 'busy.changed', occurredAt: new Date().toISOString(), data: {} });
    expect((await post(forged, signatureHeaders([newSigningSecret()], 'evt_forged', forged))).status).toBe(401);
    expect((await post(forged, {})).status).toBe(401);
    const html = await live();
    expect(html).toMatch(/data-type="busy.changed" data-verified="true" data-start="2030-01-01T10:00:00Z"[^>]*>[\s\S]*?evt_good/);
    expect(html).toMatch(/data-verified="false"[\s\S]*?signature refused: (No matching signature found|Missing required headers)/);
  });

  it('answers 404 for an unknown receiver', async () => {
    const body = JSON.stringify({ id: 'evt_x', type: 'busy.changed', data: {} });
    expect((await post(body, signatureHeaders([secret], 'evt_x', body), '0'.repeat(32))).status).toBe(404);
    expect((await post(body, signatureHeaders([secret], 'evt_x', body), 'not-an-id')).status).toBe(404);
  });

  it('refuses an action posted from another origin', async () => {
    const res = await fetch(`${app.url}/api/console/actions/reset`, {
      method: 'POST',
      headers: { Cookie: cookie, Origin: 'https://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: '',
      redirect: 'manual',
    });
    expect(res.status).toBe(403);
    expect(await loadSession(app.services, cookie.split('=')[1])).toBeDefined();
  });

  it('serves its script and stylesheet same-origin with nosniff, and 404 for anything else', async () => {
    const js = await fetch(`${app.url}/api/console/assets/console.js`);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await js.text()).toContain('data-live');
    expect((await fetch(`${app.url}/api/console/assets/console.css`)).headers.get('content-type')).toContain('text/css');
    for (const name of ['other.js', 'constructor', '__proto__', 'toString']) expect((await fetch(`${app.url}/api/console/assets/${name}`)).status, name).toBe(404);
  });

  it('sends a browser on another host name to PUBLIC_BASE_URL, where the connect flow returns', async () => {
    const port = new URL(app.url).port;
    const res = await fetch(`http://localhost:${port}/api/console?from=2030-01-07`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${app.url}/api/console?from=2030-01-07`);
  });
});

describe('the console outside local simulated mode', () => {
  it('is off in Azure and with a real Entra app', () => {
    const consoleRoutes = (defs: readonly FunctionDefinition[]) => defs.filter((d) => d.kind === 'http' && /^console(\/|$)/.test(d.route)).length;
    expect(isSimulatedRun({})).toBe(true);
    expect(isSimulatedRun({ ENTRA_CLIENT_ID: SIMULATED_CLIENT_ID })).toBe(true);
    expect(isSimulatedRun({ ENTRA_CLIENT_ID: SIMULATED_CLIENT_ID.replace('c1b0', 'beef') })).toBe(false);
    try {
      const simulated = localApp('http://127.0.0.1:7072');
      expect(consoleRoutes(simulated.definitions)).toBe(6);
      expect(simulated.rootRedirect).toBe('/api/console');
      const real = localApp(undefined);
      expect(consoleRoutes(real.definitions)).toBe(0);
      expect(real.rootRedirect).toBeUndefined();
    } finally {
      useSimulator(process.env.M365_SIMULATOR_URL!);
    }
    // What ships to Azure has no console at all (test/infra/publish-package.test.ts: nor does the bundle).
    expect(consoleRoutes(definitions)).toBe(0);
  });

  it('answers 404 on every console route, and GET / is 404, when a real Entra app is configured', async () => {
    const app = await startConsoleApp({ env: { ENTRA_CLIENT_ID: '11111111-2222-4333-8444-555555555555' } });
    try {
      const get = (path: string) => fetch(`${app.url}${path}`, { redirect: 'manual' });
      const postTo = (path: string) => fetch(`${app.url}${path}`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      expect((await get('/')).status).toBe(404);
      for (const path of ['/api/console', '/api/console/live', '/api/console/assets/console.js', '/api/console/connected?status=connected&connectionId=x']) {
        const res = await get(path);
        expect(res.status, path).toBe(404);
        expect(await res.text()).toBe('');
      }
      for (const path of ['/api/console/actions/client', `/api/console/webhooks/${'0'.repeat(32)}`]) expect((await postTo(path)).status, path).toBe(404);
      expect((await get('/api/health')).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
