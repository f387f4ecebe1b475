// The operator's switches, over real HTTP: the system-wide pause (API and CLI) that stops writes (503 with
// Retry-After), the token keep-alive and webhook deliveries (which wait and are delivered after resume),
// and the per-client disable (403 client_disabled). This file uses tables of its own (TABLE_NAME_PREFIX),
// so its pause never reaches other test files.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definitions } from '../../functions/definitions.js';
import { createDeliverWebhooksFunction } from '../../functions/deliverWebhooks.js';
import { assertWritesAllowed, isSyncPaused } from '../../shared/admin/pause.js';
import { isAppError, type AppError } from '../../shared/errors/app-error.js';
import { runTokenKeepAlive } from '../../shared/keepalive/token-keep-alive.js';
import { processWebhookDelivery } from '../../shared/webhooks/deliver.js';
import { newWebhookEvent } from '../../shared/webhooks/emit.js';
import { WEBHOOK_EVENTS } from '../../shared/webhooks/event-catalogue.js';
import { runAdminCli } from '../support/admin-cli.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createTestClient, json, type ConnectedUser } from '../support/connect-user.js';
import { startReceiver, type Receiver } from '../webhooks/receiver.js';
import { untilPasses } from '../support/wait-for.js';

const run = promisify(execFile);
const WAIT = { timeout: 20_000, interval: 50 };
const quiet = { info: () => undefined, warn: () => undefined };
let app: AppHost;
let receiver: Receiver;
let user: ConnectedUser;

beforeAll(async () => {
  process.env.TABLE_NAME_PREFIX = `adm${randomBytes(4).toString('hex')}`;
  // Paused deliveries look again after 1 s instead of a minute.
  const delivery = createDeliverWebhooksFunction({ pausedRecheckSeconds: 1 });
  app = await startAppHost({ definitions: [...definitions.filter((d) => d.name !== 'deliverWebhooks'), delivery] });
  receiver = await startReceiver();
  user = await connectUser(app, { client: await createTestClient(app, { webhookUrl: `${receiver.url}/hooks` }) });
});
afterAll(async () => {
  await app?.close();
  await receiver?.close();
  delete process.env.TABLE_NAME_PREFIX;
});

const admin = (method: string, path: string, body?: unknown, key = app.adminKey) =>
  fetch(`${app.url}/api/manage/${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });

const cli = async (args: string[]) => JSON.parse((await runAdminCli(app, args)).stdout);

const booking = () => ({
  bookingId: `bk-${randomBytes(4).toString('hex')}`,
  connectionId: user.connection.id,
  subject: 'Paused?',
  start: '2030-03-04T10:00:00',
  end: '2030-03-04T10:30:00',
  timeZone: 'Europe/London',
});
const postBooking = (apiKey: string) =>
  fetch(`${app.url}/api/bookings`, { method: 'POST', headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' }, body: JSON.stringify(booking()) });

async function thrown(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe('system-wide pause', () => {
  it('pauses writes for everyone with 503 integration_paused + Retry-After, and resumes', async () => {
    expect(await json(await admin('GET', 'system'))).toMatchObject({ paused: false });
    const paused = await json(await admin('POST', 'system/pause', { reason: 'incident 42', retryAfterSeconds: 120 }));
    expect(paused).toMatchObject({ paused: true, reason: 'incident 42', retryAfterSeconds: 120 });
    expect(await json(await admin('GET', 'system'))).toMatchObject({ paused: true, reason: 'incident 42' });

    const refused = await postBooking(user.apiKey);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('120');
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect((await json(refused)).code).toBe('integration_paused');
    const error = await thrown(assertWritesAllowed(app.services, user.client.clientId));
    expect([error.status, error.code]).toEqual([503, 'integration_paused']);

    expect(await json(await admin('POST', 'system/resume'))).toMatchObject({ paused: false });
    expect(await isSyncPaused(app.services)).toBe(false);
    await expect(assertWritesAllowed(app.services, user.client.clientId)).resolves.toBeUndefined();
    expect((await postBooking(user.apiKey)).status).toBe(201);
  });

  it('holds webhook deliveries while paused and delivers them after resume', async () => {
    await admin('POST', 'system/pause');
    const event = newWebhookEvent('busy.changed', { ...WEBHOOK_EVENTS['busy.changed'].example, connectionId: user.connection.id });
    const delivery = { clientId: user.client.clientId, event, attempt: 0 };
    // Processed while paused: nothing is sent, the delivery goes back on the queue to wait.
    expect(await processWebhookDelivery(delivery, { services: app.services, pausedRecheckSeconds: 1, log: quiet })).toBe('paused');
    expect(receiver.deliveriesOf(event.id)).toHaveLength(0);

    await admin('POST', 'system/resume');
    await untilPasses(() => expect(receiver.deliveriesOf(event.id)).toHaveLength(1), { message: 'the webhook delivered once', ...WAIT });
    expect(JSON.parse(receiver.deliveriesOf(event.id)[0]!.body).id).toBe(event.id);
  });

  it('stops the token keep-alive while paused', async () => {
    // An active connection last refreshed 30 days ago (no tokens: a refresh attempt would mark it needs_reauth).
    const client = await createTestClient(app);
    const connectionId = randomUUID();
    await app.services.store.connections.create({
      partitionKey: client.client.clientId,
      rowKey: connectionId,
      externalUserId: 'idle',
      status: 'active',
      lastTokenRefreshAt: new Date(Date.now() - 30 * 86_400_000),
      createdAt: new Date(Date.now() - 60 * 86_400_000),
    });
    await admin('POST', 'system/pause');
    try {
      expect(await runTokenKeepAlive(app.services, { clientIds: [client.client.clientId], log: quiet })).toMatchObject({ paused: true, scanned: 0, refreshed: 0 });
      expect((await app.services.store.connections.require(client.client.clientId, connectionId)).entity.status).toBe('active');
    } finally {
      await admin('POST', 'system/resume');
    }
    expect(await runTokenKeepAlive(app.services, { clientIds: [client.client.clientId], log: quiet })).toMatchObject({ paused: false, scanned: 1, due: 1 });
  });

  it('is driven by the CLI: system pause|status|resume, dead-letters list', async () => {
    expect(await cli(['system', 'pause', '--reason', 'from the CLI', '--retry-after', '30'])).toMatchObject({ paused: true, retryAfterSeconds: 30 });
    expect(await cli(['system', 'status'])).toMatchObject({ paused: true, reason: 'from the CLI' });
    expect(await cli(['system', 'resume'])).toMatchObject({ paused: false });
    expect(await cli(['system', 'status'])).toMatchObject({ paused: false });
    expect(await cli(['dead-letters', 'list', '--client', user.client.clientId])).toEqual({ value: [] });
    const usage = await run(process.execPath, ['--import', 'tsx', 'scripts/admin.ts', 'system', 'explode'], { env: process.env }).catch((e: { code: number; stderr: string }) => e);
    expect((usage as { code: number }).code).toBe(2);
  });

  it('refuses bad input with problem+json 4xx', async () => {
    expect((await admin('POST', 'system/pause', undefined, user.apiKey)).status).toBe(401);
    expect((await admin('GET', 'system', undefined, 'cb_admin_wrong')).status).toBe(401);
    for (const body of [{ retryAfterSeconds: 0 }, { retryAfterSeconds: 'soon' }, { reason: '' }, { paused: true }, [1]]) {
      const res = await admin('POST', 'system/pause', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await admin('POST', 'system/pause', '{not json')).status).toBe(400);
    const text = await fetch(`${app.url}/api/manage/system/pause`, { method: 'POST', headers: { Authorization: `Bearer ${app.adminKey}`, 'Content-Type': 'text/plain' }, body: 'pause' });
    expect(text.status).toBe(415);
    expect(await json(await admin('GET', 'system'))).toMatchObject({ paused: false }); // none of them paused anything
  });
});

describe('per-client disable', () => {
  it("answers a disabled client's API requests with 403 client_disabled, while other clients go on", async () => {
    const other = await connectUser(app);
    const victim = await connectUser(app);
    expect((await admin('POST', `clients/${victim.client.clientId}/disable`)).status).toBe(200);

    for (const [method, path] of [
      ['GET', `connections/${victim.connection.id}`],
      ['POST', 'connect-links'],
      ['POST', 'bookings'],
    ] as const) {
      const res = await fetch(`${app.url}/api/${path}`, { method, headers: { Authorization: `Bearer ${victim.apiKey}`, 'Content-Type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
      expect(res.status, path).toBe(403);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect((await json(res)).code).toBe('client_disabled');
    }
    // A wrong key for the same client still gets the plain 401: disabled-ness is told only to a real key.
    const forged = victim.apiKey.slice(0, -4) + 'AAAA';
    expect((await fetch(`${app.url}/api/connections/${victim.connection.id}`, { headers: { Authorization: `Bearer ${forged}` } })).status).toBe(401);
    expect((await thrown(assertWritesAllowed(app.services, { rowKey: victim.client.clientId, disabled: true }))).code).toBe('client_disabled');

    const fine = await fetch(`${app.url}/api/connections/${other.connection.id}`, { headers: { Authorization: `Bearer ${other.apiKey}` } });
    expect(fine.status).toBe(200);
  });
});
