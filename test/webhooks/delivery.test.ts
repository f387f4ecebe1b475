// Outbound webhooks end to end: emitWebhookEvent -> the queue -> deliverWebhooks on the local host ->
// a real loopback receiver. Signatures, retries with backoff, dead letters (list and replay through the
// admin API), signing-secret rotation, and what is dropped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definitions } from '../../functions/definitions.js';
import { createDeliverWebhooksFunction } from '../../functions/deliverWebhooks.js';
import { enqueue } from '../../shared/queues/queue-client.js';
import { emitWebhookEvent, newWebhookEvent, WEBHOOK_DELIVERY_QUEUE, type WebhookDelivery } from '../../shared/webhooks/emit.js';
import { processWebhookDelivery } from '../../shared/webhooks/deliver.js';
import { newSigningSecret } from '../../shared/webhooks/signature.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { createTestClient, json, type TestClient } from '../support/connect-user.js';
import { WEBHOOK_EVENTS } from '../../shared/webhooks/event-catalogue.js';
import { startReceiver, verifiedWith, type Receiver } from './receiver.js';
import { untilPasses } from '../support/wait-for.js';

let app: AppHost;
let receiver: Receiver;
let client: TestClient;

const WAIT = { timeout: 20_000, interval: 50 };

beforeAll(async () => {
  // The real function, with a 1 s backoff so a retry comes quickly; the 24-hour window is unchanged.
  const fastDelivery = createDeliverWebhooksFunction({ policy: { baseDelaySeconds: 1, maxDelaySeconds: 2, retryWindowMs: 24 * 3600_000 } });
  app = await startAppHost({ definitions: [...definitions.filter((d) => d.name !== 'deliverWebhooks'), fastDelivery] });
  receiver = await startReceiver();
  client = await createTestClient(app, { webhookUrl: `${receiver.url}/hooks` });
});
afterAll(async () => {
  await app?.close();
  await receiver?.close();
});

const busy = WEBHOOK_EVENTS['busy.changed'].example;

const admin = (method: string, path: string, body?: unknown) =>
  fetch(`${app.url}/api/manage/${path}`, {
    method,
    headers: { Authorization: `Bearer ${app.adminKey}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('webhook delivery', () => {
  it('POSTs {id, type, occurredAt, data} signed (Standard Webhooks) with the client secret, once, on a 2xx', async () => {
    const event = await emitWebhookEvent(app.services.config.storage, client.client.clientId, 'busy.changed', busy);
    await untilPasses(() => expect(receiver.deliveriesOf(event.id)).toHaveLength(1), { message: 'the first delivery', ...WAIT });
    const [request] = receiver.deliveriesOf(event.id);
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/hooks');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual({ id: event.id, type: 'busy.changed', occurredAt: event.occurredAt, data: busy });
    expect(Object.keys(JSON.parse(request!.body))).toEqual(['id', 'type', 'occurredAt', 'data']);
    expect(request!.headers['webhook-id']).toBe(event.id);
    expect(Number(request!.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -2);
    expect(request!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(verifiedWith(client.signingSecret, request!)).toBe(true);
    expect(verifiedWith(newSigningSecret(), request!)).toBe(false);
    expect(verifiedWith(client.signingSecret, { ...request!, body: request!.body.replace('busy', 'Busy') })).toBe(false);
    expect(request!.body).not.toContain(client.signingSecret);
  });

  it('retries a failed delivery with backoff until the receiver accepts it', async () => {
    receiver.respond(500, 503);
    const event = await emitWebhookEvent(app.services.config.storage, client.client.clientId, 'booking.changed_in_calendar', WEBHOOK_EVENTS['booking.changed_in_calendar'].example);
    await untilPasses(() => expect(receiver.deliveriesOf(event.id)).toHaveLength(3), { message: 'three delivery attempts', ...WAIT });
    const attempts = receiver.deliveriesOf(event.id);
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1); // the same event each time
    for (const attempt of attempts) expect(verifiedWith(client.signingSecret, attempt)).toBe(true);
    expect(new Set(attempts.map((a) => a.headers['webhook-id']))).toEqual(new Set([event.id])); // receivers dedupe on it
    // Backoff: each retry is at least a second later (signature timestamps are in seconds).
    const stamps = attempts.map((a) => Number(a.headers['webhook-timestamp']));
    expect(stamps[1]! - stamps[0]!).toBeGreaterThanOrEqual(1);
    expect(stamps[2]! - stamps[1]!).toBeGreaterThanOrEqual(1);
  });

  it('dead-letters a delivery still failing 24 hours after its first attempt; the admin API lists and replays it', async () => {
    receiver.fallbackStatus = 503;
    try {
      const event = newWebhookEvent('connection.needs_reauth', {
        connectionId: '00000000-0000-4000-8000-000000000001',
        externalUserId: 'staff-1',
        reason: 'refresh_token_rejected',
        connectLink: { url: 'http://example.invalid/api/connect/secret-capability', expiresAt: new Date().toISOString() },
      });
      const delivery: WebhookDelivery = { clientId: client.client.clientId, event, attempt: 14, firstAttemptAt: new Date(Date.now() - 25 * 3600_000).toISOString() };
      await enqueue(app.services.config.storage, WEBHOOK_DELIVERY_QUEUE, delivery);

      let listed: { value: Record<string, unknown>[] } = { value: [] };
      await untilPasses(async () => {
        listed = await json(await admin('GET', `dead-letters?clientId=${client.client.clientId}`));
        expect(listed.value.map((d) => d.eventId)).toContain(event.id);
      }, { message: 'the dead letter', ...WAIT });
      expect(receiver.deliveriesOf(event.id)).toHaveLength(1); // one last try, then no more
      const dead = listed.value.find((d) => d.eventId === event.id)!;
      expect(dead).toMatchObject({ clientId: client.client.clientId, eventType: 'connection.needs_reauth', attempts: 15, lastStatus: 503 });
      const stored = JSON.stringify(dead);
      expect(stored).not.toContain('secret-capability'); // connect links are capabilities: never kept
      expect(stored).not.toContain(client.signingSecret);
      expect(stored).not.toContain(receiver.url); // nor the receiver's URL

      receiver.fallbackStatus = 204;
      const replay = await admin('POST', `dead-letters/${client.client.clientId}/${event.id}/replay`);
      expect(replay.status).toBe(202);
      await untilPasses(() => expect(receiver.deliveriesOf(event.id)).toHaveLength(2), { message: 'the replayed delivery', ...WAIT });
      const replayed = receiver.deliveriesOf(event.id)[1]!;
      expect(JSON.parse(replayed.body)).toMatchObject({ id: event.id, type: 'connection.needs_reauth' });
      expect(verifiedWith(client.signingSecret, replayed)).toBe(true);
      const after = await json(await admin('GET', `dead-letters?clientId=${client.client.clientId}`));
      expect(after.value.map((d: { eventId: string }) => d.eventId)).not.toContain(event.id);
      expect((await admin('POST', `dead-letters/${client.client.clientId}/${event.id}/replay`)).status).toBe(404);
    } finally {
      receiver.fallbackStatus = 204;
    }
  });

  it('signs with both secrets after a rotation, and with the new one only once the previous is revoked', async () => {
    const own = await createTestClient(app, { webhookUrl: `${receiver.url}/rotating` });
    const rotated = await json(await admin('POST', `clients/${own.client.clientId}/rotate-signing-secret`));
    expect(rotated).toMatchObject({ clientId: own.client.clientId, activeSigningSecrets: 2 });
    expect(rotated.signingSecret).toMatch(/^whsec_/);
    expect(rotated.signingSecret).not.toBe(own.signingSecret);

    const first = await emitWebhookEvent(app.services.config.storage, own.client.clientId, 'busy.changed', busy);
    await untilPasses(() => expect(receiver.deliveriesOf(first.id)).toHaveLength(1), { message: 'the delivery signed with both secrets', ...WAIT });
    const both = receiver.deliveriesOf(first.id)[0]!;
    expect(String(both.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifiedWith(own.signingSecret, both)).toBe(true);
    expect(verifiedWith(rotated.signingSecret, both)).toBe(true);

    const revoked = await json(await admin('POST', `clients/${own.client.clientId}/rotate-signing-secret`, { revokePrevious: true }));
    expect(revoked.activeSigningSecrets).toBe(1);
    const second = await emitWebhookEvent(app.services.config.storage, own.client.clientId, 'busy.changed', busy);
    await untilPasses(() => expect(receiver.deliveriesOf(second.id)).toHaveLength(1), { message: 'the delivery signed with one secret', ...WAIT });
    const one = receiver.deliveriesOf(second.id)[0]!;
    expect(String(one.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifiedWith(revoked.signingSecret, one)).toBe(true);
    expect(verifiedWith(rotated.signingSecret, one)).toBe(false);
    expect(verifiedWith(own.signingSecret, one)).toBe(false);
  });

  it('drops deliveries for a disabled client, a client without a webhook URL, an unknown client or a malformed message', async () => {
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
    const options = { services: app.services, log, queueName: 'never-used' };
    const disabled = await createTestClient(app, { webhookUrl: `${receiver.url}/disabled` });
    expect((await admin('POST', `clients/${disabled.client.clientId}/disable`)).status).toBe(200);
    const noUrl = await createTestClient(app);
    const delivery = (clientId: string): WebhookDelivery => ({ clientId, event: newWebhookEvent('busy.changed', busy), attempt: 0 });

    expect(await processWebhookDelivery(delivery(disabled.client.clientId), options)).toBe('dropped');
    expect(await processWebhookDelivery(delivery(noUrl.client.clientId), options)).toBe('dropped');
    expect(await processWebhookDelivery(delivery('ffffffffffffffffffff'), options)).toBe('dropped');
    expect(await processWebhookDelivery({ clientId: 1, event: 'x' }, options)).toBe('dropped');
    expect(await processWebhookDelivery('not json at all', options)).toBe('dropped');
    expect(receiver.received.filter((r) => r.path === '/disabled')).toHaveLength(0);
    expect(lines.join('\n')).toMatch(/dropped: the client is disabled/);
    expect(lines.join('\n')).toMatch(/dropped: the client has no webhook URL/);
    expect(lines.join('\n')).not.toContain(disabled.signingSecret);
  });
});

describe('webhook delivery in Azure', () => {
  it('never calls an http URL there: the delivery is dead-lettered at once for a replay after the URL is fixed', async () => {
    const own = await createTestClient(app, { webhookUrl: `${receiver.url}/plain-http` });
    const inAzure = { ...app.services, config: { ...app.services.config, inAzure: true } };
    const event = newWebhookEvent('busy.changed', busy);
    const quiet = { info: () => undefined, warn: () => undefined };
    expect(await processWebhookDelivery({ clientId: own.client.clientId, event, attempt: 0 }, { services: inAzure, log: quiet })).toBe('dead_lettered');
    expect(receiver.received.filter((r) => r.path === '/plain-http')).toHaveLength(0);
    const listed = await json(await admin('GET', `dead-letters?clientId=${own.client.clientId}`));
    expect(listed.value).toEqual([expect.objectContaining({ eventId: event.id, lastError: 'the webhook URL must use https' })]);
  });
});

describe('webhook admin API: bad input', () => {
  it('needs the admin key', async () => {
    for (const [method, path] of [
      ['GET', 'dead-letters'],
      ['POST', `dead-letters/${client.client.clientId}/replay`],
      ['POST', `clients/${client.client.clientId}/rotate-signing-secret`],
    ] as const) {
      const res = await fetch(`${app.url}/api/manage/${path}`, { method, headers: { Authorization: `Bearer ${client.apiKey}` } });
      expect(res.status, path).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it.each([
    ['an unknown query parameter', 'dead-letters?foo=1', 'foo'],
    ['a page size out of range', 'dead-letters?pageSize=5000', 'pageSize'],
    ['a malformed client id', 'dead-letters?clientId=..%2F..', 'clientId'],
    ['a forged continuation token', 'dead-letters?continuationToken=bm90LWEtdG9rZW4', 'continuationToken'],
  ])('answers 400 for %s', async (_label, path, field) => {
    const res = await admin('GET', path);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = await json(res);
    expect(problem.code).toBe('invalid_field');
    expect(`${problem.field ?? ''} ${problem.detail}`).toContain(field);
  });

  it('answers 404 for unknown dead letters and clients, 400/415 for bad rotation bodies', async () => {
    expect((await admin('POST', `dead-letters/${client.client.clientId}/evt_nope/replay`)).status).toBe(404);
    expect((await admin('POST', `dead-letters/NOT-A-CLIENT/evt_x/replay`)).status).toBe(404);
    expect((await admin('POST', 'clients/ffffffffffffffffffff/rotate-signing-secret')).status).toBe(404);
    expect((await admin('POST', `clients/${client.client.clientId}/rotate-signing-secret`, { revokePrevious: 'yes' })).status).toBe(400);
    const notJson = await fetch(`${app.url}/api/manage/clients/${client.client.clientId}/rotate-signing-secret`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${app.adminKey}`, 'Content-Type': 'text/plain' },
      body: 'revoke',
    });
    expect(notJson.status).toBe(415);
  });
});
