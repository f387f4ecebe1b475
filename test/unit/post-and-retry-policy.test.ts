// The HTTP side of one delivery against real loopback servers (redirects, timeouts, schemes), and the
// retry schedule as a pure function.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { postWebhook, webhookUrlProblem } from '../../shared/webhooks/post-webhook.js';
import { backoffSeconds, DEFAULT_RETRY_POLICY, nextStep } from '../../shared/webhooks/retry-policy.js';
import { startReceiver, type Receiver } from '../webhooks/receiver.js';

let home: Receiver;
let elsewhere: Receiver;
let silent: Server;
let silentUrl: string;

beforeAll(async () => {
  home = await startReceiver();
  elsewhere = await startReceiver();
  silent = createServer(() => undefined); // accepts, never answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await home.close();
  await elsewhere.close();
  silent.closeAllConnections();
  await new Promise((resolve) => silent.close(resolve));
});

const local = { httpsOnly: false };

describe('postWebhook', () => {
  it('follows a 307/308 to the same origin, keeping method and body', async () => {
    home.headersFor.set(307, { Location: '/moved' });
    home.respond(307);
    const result = await postWebhook(`${home.url}/first`, '{"a":1}', { 'X-Test': 'same' }, local);
    expect(result).toEqual({ ok: true, status: 204 });
    const [first, moved] = home.received.slice(-2);
    expect(first!.path).toBe('/first');
    expect(moved).toMatchObject({ method: 'POST', path: '/moved', body: '{"a":1}' });
    expect(moved!.headers['x-test']).toBe('same');
  });

  it('never follows a redirect to another host or port', async () => {
    const before = elsewhere.received.length;
    home.headersFor.set(308, { Location: `${elsewhere.url}/steal` });
    home.respond(308);
    const result = await postWebhook(`${home.url}/hook`, '{}', {}, local);
    expect(result).toMatchObject({ ok: false, status: 308, error: 'redirect to another origin refused' });
    expect(elsewhere.received.length).toBe(before);
  });

  it('treats 301/302/303 and 4xx/5xx as failures, without following', async () => {
    home.headersFor.set(302, { Location: '/other' });
    for (const status of [302, 410, 500]) {
      home.respond(status);
      const result = await postWebhook(`${home.url}/hook`, '{}', {}, local);
      expect(result).toMatchObject({ ok: false, status });
    }
    expect(home.received.some((r) => r.path === '/other')).toBe(false);
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    expect(await postWebhook(silentUrl, '{}', {}, { httpsOnly: false, timeoutMs: 300 })).toEqual({ ok: false, error: 'no answer within the timeout' });
  });

  it('reports a refused connection without throwing', async () => {
    const closed = await startReceiver();
    const url = closed.url;
    await closed.close();
    const result = await postWebhook(url, '{}', {}, local);
    expect(result.ok).toBe(false);
  });

  it('refuses http in Azure, odd schemes and user information anywhere', async () => {
    expect(webhookUrlProblem('http://receiver.example/hook', true)).toBe('the webhook URL must use https');
    expect(webhookUrlProblem('https://receiver.example/hook', true)).toBeUndefined();
    expect(webhookUrlProblem('http://127.0.0.1:9/hook', false)).toBeUndefined();
    expect(webhookUrlProblem('file:///etc/passwd', false)).toMatch(/http or https/);
    expect(webhookUrlProblem('https://user:pw@receiver.example/', false)).toMatch(/user information/);
    expect(webhookUrlProblem('not a url', false)).toMatch(/not a valid URL/);
    const before = home.received.length;
    expect(await postWebhook(`${home.url}/hook`, '{}', {}, { httpsOnly: true })).toEqual({ ok: false, error: 'the webhook URL must use https' });
    expect(home.received.length).toBe(before);
  });
});

describe('retry policy', () => {
  it('starts near 10 s, doubles, and never waits more than an hour', () => {
    expect(backoffSeconds(0, DEFAULT_RETRY_POLICY, () => 0)).toBe(5);
    expect(backoffSeconds(0, DEFAULT_RETRY_POLICY, () => 1)).toBe(10);
    expect(backoffSeconds(3, DEFAULT_RETRY_POLICY, () => 1)).toBe(80);
    expect(backoffSeconds(30, DEFAULT_RETRY_POLICY, () => 1)).toBe(3600);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const s = backoffSeconds(attempt, DEFAULT_RETRY_POLICY, () => r);
        return s >= 1 && s <= 3600 && s >= Math.min(3600, 10 * 2 ** Math.min(attempt, 30)) / 2 - 1;
      }),
    );
  });

  it('retries until 24 hours after the first attempt (the last try at the deadline), then dead-letters', () => {
    const first = Date.parse('2026-01-01T00:00:00Z');
    expect(nextStep(0, first, first + 1000, DEFAULT_RETRY_POLICY, () => 1)).toEqual({ kind: 'retry', delaySeconds: 10 });
    expect(nextStep(20, first, first + 24 * 3600_000 - 30_000, DEFAULT_RETRY_POLICY, () => 1)).toEqual({ kind: 'retry', delaySeconds: 30 });
    expect(nextStep(21, first, first + 24 * 3600_000, DEFAULT_RETRY_POLICY)).toEqual({ kind: 'dead_letter' });
    // Simulated failures from start to give-up: a bounded number of attempts, all inside the window.
    let now = first;
    let attempt = 0;
    for (;;) {
      const step = nextStep(attempt, first, now, DEFAULT_RETRY_POLICY, () => 0.5);
      if (step.kind === 'dead_letter') break;
      now += step.delaySeconds * 1000;
      attempt += 1;
    }
    expect(now).toBe(first + 24 * 3600_000);
    expect(attempt).toBeGreaterThan(20);
    expect(attempt).toBeLessThan(50); // about 40 with mid jitter
  });
});
