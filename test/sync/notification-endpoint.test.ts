// The notification and lifecycle endpoints over real HTTP (local host + Azurite), with no queue processor
// running, so what they enqueue stays visible: the validation echo, the clientState and subscription
// checks, at most one message per calendar per POST, and every kind of bad input.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../dev/host/index.js';
import { graphLifecycleFunction } from '../../functions/graphLifecycle.js';
import { graphNotificationsFunction } from '../../functions/graphNotifications.js';
import type { Services } from '../../shared/services.js';
import { ORPHAN_PARTITION } from '../../shared/store/repositories/subscriptions.js';
import { MAX_NOTIFICATION_ITEMS, MAX_UNKNOWN_LOOKUPS_PER_POST } from '../../shared/sync/notification-intake.js';
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

describe('validation handshake (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks)', () => {
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

  it('drops a wrong clientState (forged), answers 202 as Graph expects, and never logs the clientState', async () => {
    const forged = 'forged-client-state-value-that-is-long-enough';
    const res = await postJson('notifications', { value: [notification(sub, { clientState: forged })] });
    expect(res.status).toBe(202);
    expect(await peekSyncQueue(services)).toEqual([]);
    const joined = logs.join('\n');
    expect(joined).toContain('client_state_mismatch');
    expect(joined).not.toContain(forged);
    expect(joined).not.toContain(sub.clientState);
  });

  it('drops a missing clientState', async () => {
    const res = await postJson('notifications', { value: [notification(sub, { clientState: null })] });
    expect(res.status).toBe(202);
    expect(await peekSyncQueue(services)).toEqual([]);
  });

  it('drops an unknown subscription with 202 (Graph retries anything else for hours) and reports the orphan', async () => {
    const orphanId = randomUUID();
    const res = await postJson('notifications', { value: [notification({ ...sub, subscriptionId: orphanId })] });
    expect(res.status).toBe(202);
    expect(await peekSyncQueue(services)).toEqual([]);
    expect(logs.join('\n')).toContain('unknown_subscription');
    const report = await services.store.subscriptions.orphans.get(ORPHAN_PARTITION, orphanId);
    expect(report?.entity.tenantId).toBe('84bd8158-6d4d-4958-8b9f-9d6445542f95');
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
    const res = await post('notifications', JSON.stringify({ value: [notification(sub, { padding: 'x'.repeat(300_000) })] }));
    expect(res.status).toBe(413);
    expect(await peekSyncQueue(services)).toEqual([]);
  });

  it(`answers 413 too_many_notifications above ${MAX_NOTIFICATION_ITEMS} items, before any storage read`, async () => {
    const reads = countReads();
    const res = await postJson('notifications', { value: Array.from({ length: MAX_NOTIFICATION_ITEMS + 1 }, () => notification(sub)) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string; field: string })).toMatchObject({ code: 'too_many_notifications', field: 'value' });
    expect(reads.stop()).toBe(0);
    expect(await peekSyncQueue(services)).toEqual([]);
  });
});

describe('anonymous floods cost little storage', () => {
  it('reads each subscription id of a POST once', async () => {
    const fresh = await seedSubscription(services);
    const reads = countReads();
    const res = await postJson('notifications', { value: Array.from({ length: 50 }, () => notification(fresh)) });
    expect(res.status).toBe(202);
    expect(reads.stop()).toBe(1);
    expect(await peekSyncQueue(services)).toHaveLength(1);
  });

  it('concurrent POSTs naming a subscription not yet in memory share one storage read', async () => {
    const fresh = await seedSubscription(services);
    const reads = countReads();
    const answers = await Promise.all(Array.from({ length: 20 }, () => postJson('notifications', { value: [notification(fresh)] })));
    expect(answers.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 202));
    expect(reads.stop()).toBe(1);
  });

  it(`stops reading after ${MAX_UNKNOWN_LOOKUPS_PER_POST} unknown ids in one POST, and remembers unknown ids`, async () => {
    const made = Array.from({ length: MAX_NOTIFICATION_ITEMS }, () => notification({ ...sub, subscriptionId: randomUUID() }));
    const first = countReads();
    expect((await postJson('notifications', { value: made })).status).toBe(202);
    expect(first.stop()).toBe(MAX_UNKNOWN_LOOKUPS_PER_POST);
    // The same ids again: the ones read are known to be unknown; the next ones are read, up to the budget.
    const again = countReads();
    expect((await postJson('notifications', { value: made.slice(0, MAX_UNKNOWN_LOOKUPS_PER_POST) })).status).toBe(202);
    expect(again.stop()).toBe(0);
    expect(await peekSyncQueue(services)).toEqual([]);
  });

  it('still takes a genuine item of a POST that is mostly made-up ids (a known id is read first when cached)', async () => {
    const genuine = await seedSubscription(services);
    // Known in memory after one notification.
    expect((await postJson('notifications', { value: [notification(genuine)] })).status).toBe(202);
    await clearSyncQueue(services);
    const made = Array.from({ length: 100 }, () => notification({ ...sub, subscriptionId: randomUUID() }));
    expect((await postJson('notifications', { value: [...made, notification(genuine)] })).status).toBe(202);
    expect(await peekSyncQueue(services)).toEqual([expect.objectContaining({ subscriptionId: genuine.subscriptionId })]);
  });
});

/** Counts the subscription point reads the endpoints make from now until stop(). */
/** Counts the subscription lookups' storage reads (one partition query per id: record and share rows). */
function countReads(): { stop: () => number } {
  const repo = services.store.subscriptions;
  const original = repo.listOwners.bind(repo);
  let n = 0;
  repo.listOwners = (id, options) => {
    n += 1;
    return original(id, options);
  };
  return {
    stop: () => {
      repo.listOwners = original;
      return n;
    },
  };
}

describe("lifecycle notifications: Microsoft's documented payloads (https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events)", () => {
  // The verbatim examples of https://learn.microsoft.com/en-us/graph/webhooks-lifecycle (2022 version), with
  // our subscription id and clientState.
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
    expect((await postJson('lifecycle', body)).status).toBe(202);
    expect(await peekSyncQueue(services)).toEqual([]);
  });

  it('ignores an unknown lifecycle event', async () => {
    const res = await postJson('lifecycle', documented('somethingNew'));
    expect(res.status).toBe(202);
    expect(await peekSyncQueue(services)).toEqual([]);
  });
});
