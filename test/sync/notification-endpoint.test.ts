// The notification and lifecycle endpoints over real HTTP (local host + Azurite), with no queue processor
// running, so what they enqueue stays visible: the validation echo, the clientState and subscription
// checks, at most one message per calendar per POST, and every kind of bad input.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../dev/host/index.js';
import { graphLifecycleFunction } from '../../functions/graphLifecycle.js';
import { graphNotificationsFunction } from '../../functions/graphNotifications.js';
import type { Services } from '../../shared/services.js';
import { clearSyncQueue, notification, peekSyncQueue, seedSubscription, startHostWith, type SeededSubscription } from './support.js';

let host: LocalHost;
let services: Services;
const logs: string[] = [];
let sub: SeededSubscription;

beforeAll(async () => {
  ({ host, services } = await startHostWith([graphNotificationsFunction, graphLifecycleFunction], (line) => logs.push(line)));
  sub = await seedSubscription(services);
});
afterAll(() => host?.close());
beforeEach(() => clearSyncQueue(services));

const post = (path: string, body: string | undefined, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
  fetch(`${host.url}/api/graph/${path}`, { method: 'POST', headers, body });
const postJson = (path: string, value: unknown) => post(path, JSON.stringify(value));

describe('validation handshake (graph.md §1)', () => {
  for (const path of ['notifications', 'lifecycle']) {
    it(`${path}: echoes the URL-decoded token as text/plain, nothing else`, async () => {
      const token = 'Validation: Testing client application reachability for subscription Request-Id: 2f1e3c4d-1111-4222-8333-444455556666';
      const res = await post(`${path}?validationToken=${encodeURIComponent(token).replace(/%20/g, '+')}`, undefined, { 'Content-Type': 'text/plain; charset=utf-8' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toBe(token);
    });
  }

  it('refuses a token containing markup, without echoing it', async () => {
    const res = await post(`notifications?validationToken=${encodeURIComponent('<script>alert(1)</script>')}`, undefined, { 'Content-Type': 'text/plain' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).not.toContain('<');
  });

  it('refuses an over-long token', async () => {
    const res = await post(`lifecycle?validationToken=${'a'.repeat(2000)}`, undefined, { 'Content-Type': 'text/plain' });
    expect(res.status).toBe(400);
  });
});

describe('change notifications', () => {
  it('accepts a known subscription with its clientState: 202 and one message per calendar per POST', async () => {
    const res = await postJson('notifications', { value: [notification(sub), notification(sub), notification(sub, { changeType: 'created' })] });
    expect(res.status).toBe(202);
    const messages = await peekSyncQueue(services);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ kind: 'changes', clientId: sub.clientId, connectionId: sub.connectionId, calendarId: sub.calendarId, subscriptionId: sub.subscriptionId });
    expect(JSON.stringify(messages)).not.toContain(sub.clientState);
  });

  it('keeps the calendars of different subscriptions apart in one POST', async () => {
    const other = await seedSubscription(services);
    const res = await postJson('notifications', { value: [notification(sub), notification(other)] });
    expect(res.status).toBe(202);
    const messages = await peekSyncQueue(services);
    expect(messages.map((m) => m.connectionId).sort()).toEqual([sub.connectionId, other.connectionId].sort());
  });

  it('drops a wrong clientState (forged) and never logs the clientState', async () => {
    const forged = 'forged-client-state-value-that-is-long-enough';
    const res = await postJson('notifications', { value: [notification(sub, { clientState: forged })] });
    expect(res.status).toBe(403);
    expect(await peekSyncQueue(services)).toEqual([]);
    const joined = logs.join('\n');
    expect(joined).toContain('client_state_mismatch');
    expect(joined).not.toContain(forged);
    expect(joined).not.toContain(sub.clientState);
  });

  it('drops a missing clientState', async () => {
    const res = await postJson('notifications', { value: [notification(sub, { clientState: null })] });
    expect(res.status).toBe(403);
    expect(await peekSyncQueue(services)).toEqual([]);
  });

  it('drops an unknown subscription', async () => {
    const res = await postJson('notifications', { value: [notification({ ...sub, subscriptionId: '00000000-0000-4000-8000-000000000000' })] });
    expect(res.status).toBe(403);
    expect(await peekSyncQueue(services)).toEqual([]);
    expect(logs.join('\n')).toContain('unknown_subscription');
  });

  it('takes only the good items of a mixed POST', async () => {
    const res = await postJson('notifications', { value: [notification(sub, { clientState: 'nope' }), notification(sub), { junk: true }] });
    expect(res.status).toBe(202);
    expect(await peekSyncQueue(services)).toHaveLength(1);
  });

  it('does not enqueue a replayed notification again', async () => {
    const item = notification(sub);
    expect((await postJson('notifications', { value: [item] })).status).toBe(202);
    expect(await peekSyncQueue(services)).toHaveLength(1);
    expect((await postJson('notifications', { value: [item] })).status).toBe(202);
    expect(await peekSyncQueue(services)).toHaveLength(1);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const res = await post('notifications', '{"value": [ not json');
    expect(res.status).toBe(400);
    expect(await peekSyncQueue(services)).toEqual([]);
  });

  it('answers 400 to JSON without a value array', async () => {
    expect((await postJson('notifications', { items: [] })).status).toBe(400);
    expect((await postJson('notifications', { value: 'x' })).status).toBe(400);
  });

  it('answers 415 to a body that is not declared as JSON', async () => {
    expect((await post('notifications', JSON.stringify({ value: [notification(sub)] }), { 'Content-Type': 'text/html' })).status).toBe(415);
    expect(await peekSyncQueue(services)).toEqual([]);
  });

  it('answers 413 to an oversized body', async () => {
    const res = await post('notifications', JSON.stringify({ value: [notification(sub, { padding: 'x'.repeat(1_100_000) })] }));
    expect(res.status).toBe(413);
    expect(await peekSyncQueue(services)).toEqual([]);
  });
});

describe("lifecycle notifications: Microsoft's documented payloads (graph.md §3)", () => {
  // The verbatim examples of webhooks-lifecycle.md (2022), with our subscription id and clientState.
  const documented = (lifecycleEvent: string) => ({
    value: [
      {
        lifecycleEvent,
        subscriptionId: sub.subscriptionId,
        subscriptionExpirationDateTime: '2019-09-18T00:52:45.9696658+00:00',
        clientState: sub.clientState,
        tenantId: '84bd8158-6d4d-4958-8b9f-9d6445542f95',
      },
    ],
  });

  for (const event of ['reauthorizationRequired', 'subscriptionRemoved', 'missed']) {
    it(`enqueues ${event}`, async () => {
      const res = await postJson('lifecycle', documented(event));
      expect(res.status).toBe(202);
      const messages = await peekSyncQueue(services);
      expect(messages).toEqual([expect.objectContaining({ kind: 'lifecycle', lifecycleEvent: event, subscriptionId: sub.subscriptionId, calendarId: sub.calendarId })]);
    });
  }

  it('checks the clientState of lifecycle notifications too', async () => {
    const body = documented('missed');
    body.value[0]!.clientState = '{secret client state}';
    expect((await postJson('lifecycle', body)).status).toBe(403);
    expect(await peekSyncQueue(services)).toEqual([]);
  });

  it('ignores an unknown lifecycle event', async () => {
    const res = await postJson('lifecycle', documented('somethingNew'));
    expect(res.status).toBe(202);
    expect(await peekSyncQueue(services)).toEqual([]);
  });
});
