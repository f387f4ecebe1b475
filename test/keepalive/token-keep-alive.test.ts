// Token keep-alive against a simulator of this file's own (its clock moves a year): a connection used once
// and then idle stays connected only because the keep-alive refreshes it; a revoked user turns
// needs_reauth, loses its subscriptions and its booking system gets connection.needs_reauth with a
// working connect link, as it does when an API call or a Graph call notices the revocation; a disconnect
// sends connection.disconnected.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/server.js';
import { NeedsReauthError, withConnectionGraph } from '../../shared/auth/connection-tokens.js';
import { refreshDueAt, REFRESH_AFTER_MS, runTokenKeepAlive, SPREAD_MS, spreadOffsetMs } from '../../shared/keepalive/token-keep-alive.js';
import type { ConnectionEntity } from '../../shared/store/repositories/connections.js';
import { listConnectionSubscriptions } from '../../shared/sync/calendar-subscriptions.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createTestClient, json, nextHop, type ConnectedUser, type TestClient } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';
import { startReceiver, verifiedWith, type Receiver } from '../webhooks/receiver.js';
import { untilPasses } from '../support/wait-for.js';

let sim: RunningSimulator;
let app: AppHost;
let receiver: Receiver;
const WAIT = { timeout: 20_000, interval: 50 };
const quiet = { info: () => undefined, warn: () => undefined };

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  app = await startAppHost({ simulatorUrl: sim.url });
  receiver = await startReceiver();
});
afterAll(async () => {
  await app?.close();
  await receiver?.close();
  await sim?.close();
});

async function row(user: ConnectedUser): Promise<ConnectionEntity> {
  return (await app.services.store.connections.require(user.client.clientId, user.connection.id)).entity;
}

/** A subscription record of the connection (as push sync would have made), which must go with the tokens. */
async function seedSubscriptionRecord(client: TestClient, user: ConnectedUser): Promise<void> {
  await app.services.store.subscriptions.createSubscription({
    subscriptionId: randomUUID(),
    clientId: client.client.clientId,
    connectionId: user.connection.id,
    resource: '/me/events',
    clientStateHash: 'x',
    expiresAt: new Date(Date.now() + 86_400_000),
    createdAt: new Date(),
  });
  expect(await listConnectionSubscriptions(app.services, client.client.clientId, user.connection.id)).not.toHaveLength(0);
}

async function simNow(): Promise<Date> {
  return new Date((await json(await simControl(sim.url, 'GET', '/clock'))).nowMs);
}

describe('refresh schedule', () => {
  it('is due 6 days after the last refresh plus a stable per-connection offset under 22 hours (within 7 days with the hourly scan)', () => {
    const last = new Date('2026-03-01T00:00:00Z');
    const offsets = new Set<number>();
    for (let i = 0; i < 200; i += 1) {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const due = refreshDueAt({ rowKey: id, lastTokenRefreshAt: last, createdAt: last });
      expect(due - last.getTime()).toBeGreaterThanOrEqual(REFRESH_AFTER_MS);
      expect(due - last.getTime()).toBeLessThan(REFRESH_AFTER_MS + SPREAD_MS);
      expect(spreadOffsetMs(id)).toBe(spreadOffsetMs(id));
      offsets.add(Math.floor(spreadOffsetMs(id) / 3600_000));
    }
    expect(offsets.size).toBeGreaterThan(18); // spread over (nearly) every one of the 22 hours
    expect(REFRESH_AFTER_MS + SPREAD_MS + 3600_000).toBeLessThanOrEqual(7 * 24 * 3600_000);
  });
});

describe('token keep-alive', () => {
  // A year of sim time in 73 steps: the simulator challenges and expires subscriptions on its own along the way,
  // and the app answers each, so this takes longer than the default budget on a busy machine.
  it('keeps a connection used once and then idle for a year connected; without it the same idleness kills one', { timeout: 120_000 }, async () => {
    const kept = await connectUser(app);
    const neglected = await connectUser(app); // another client: outside the keep-alive runs below
    const first = await withConnectionGraph(await row(kept), (graph) => graph.api('/me').get(), app.services);
    expect(first.userPrincipalName).toBe(kept.userPrincipalName);

    let refreshed = 0;
    for (let day = 0; day < 365; day += 5) {
      await simControl(sim.url, 'POST', '/clock/advance', { days: 5 });
      const report = await runTokenKeepAlive(app.services, { now: await simNow(), clientIds: [kept.client.clientId], log: quiet });
      expect(report).toMatchObject({ paused: false, needsReauth: 0, failed: 0 });
      refreshed += report.refreshed;
    }
    expect(refreshed).toBeGreaterThanOrEqual(60); // about every 5 days once the first week had passed

    const me = await withConnectionGraph(await row(kept), (graph) => graph.api('/me').get(), app.services);
    expect(me.userPrincipalName).toBe(kept.userPrincipalName);
    expect((await row(kept)).status).toBe('active');

    const dead = await withConnectionGraph(await row(neglected), (graph) => graph.api('/me').get(), app.services).catch((e: unknown) => e);
    expect(dead).toBeInstanceOf(NeedsReauthError);
    expect((await row(neglected)).status).toBe('needs_reauth');
  });

  it('refreshes at most maxPerRun per run, oldest first, and leaves the rest for later runs', async () => {
    const client = await createTestClient(app);
    const users: ConnectedUser[] = [];
    for (let i = 0; i < 3; i += 1) users.push(await connectUser(app, { client }));
    // Last refreshed 10, 12 and 14 days ago: all due, the oldest first.
    for (const [i, user] of users.entries()) {
      await app.services.store.connections.mutate(client.client.clientId, user.connection.id, (c) => ({ ...c, lastTokenRefreshAt: new Date(Date.now() - (10 + 2 * i) * 86_400_000) }));
    }
    const run = () => runTokenKeepAlive(app.services, { now: new Date(), clientIds: [client.client.clientId], maxPerRun: 2, log: quiet });
    expect(await run()).toMatchObject({ scanned: 3, due: 3, refreshed: 2, deferred: 1 });
    const lastRefresh = async (user: ConnectedUser) => (await row(user)).lastTokenRefreshAt!.getTime();
    expect(await lastRefresh(users[0]!)).toBeLessThan(Date.now() - 9 * 86_400_000); // the newest one waited
    expect(await lastRefresh(users[2]!)).toBeGreaterThan(Date.now() - 86_400_000);
    // The two just refreshed are no longer due; the deferred one is refreshed next.
    expect(await run()).toMatchObject({ due: 1, refreshed: 1, deferred: 0 });
    expect(await run()).toMatchObject({ due: 0, refreshed: 0 });
  });

  it('turns a revoked user needs_reauth, removes its subscriptions and sends connection.needs_reauth with a working connect link', async () => {
    const client = await createTestClient(app, { webhookUrl: `${receiver.url}/reauth` });
    const user = await connectUser(app, { client });
    await seedSubscriptionRecord(client, user);

    await simControl(sim.url, 'POST', `/users/${user.userPrincipalName}/revoke-sign-in-sessions`);
    const future = new Date((await simNow()).getTime() + REFRESH_AFTER_MS + SPREAD_MS);
    const report = await runTokenKeepAlive(app.services, { now: future, clientIds: [client.client.clientId], log: quiet });
    expect(report).toMatchObject({ due: 1, refreshed: 0, needsReauth: 1, failed: 0 });

    const view = await json(await fetch(`${app.url}/api/connections/${user.connection.id}`, { headers: { Authorization: `Bearer ${client.apiKey}` } }));
    expect(view.status).toBe('needs_reauth');
    expect(await listConnectionSubscriptions(app.services, client.client.clientId, user.connection.id)).toHaveLength(0);

    await untilPasses(() => expect(receiver.received.filter((r) => r.path === '/reauth')).toHaveLength(1), { message: 'the needs_reauth webhook', ...WAIT });
    const request = receiver.received.find((r) => r.path === '/reauth')!;
    expect(verifiedWith(client.signingSecret, request)).toBe(true);
    const event = JSON.parse(request.body);
    expect(event).toMatchObject({
      type: 'connection.needs_reauth',
      data: { connectionId: user.connection.id, externalUserId: user.connection.externalUserId, reason: 'refresh_token_rejected' },
    });
    expect(event.data.connectLink.url.startsWith(`${app.url}/api/connect/`)).toBe(true);

    // A second run does not notify again (the connection is no longer active).
    expect(await runTokenKeepAlive(app.services, { now: future, clientIds: [client.client.clientId], log: quiet })).toMatchObject({ scanned: 0 });

    // The link in the webhook reconnects the same connection.
    let url: string = event.data.connectLink.url;
    for (let i = 0; i < 3; i += 1) url = (await nextHop(url)).location!;
    expect(new URL(url).searchParams.get('connectionId')).toBe(user.connection.id);
    expect((await row(user)).status).toBe('active');
  });

  // Whichever entry point notices the dead refresh token, the services' reactions run: not only the keep-alive.
  const noticedBy: Record<string, (user: ConnectedUser) => Promise<void>> = {
    'the connection API': async (user) => {
      const res = await fetch(`${app.url}/api/connections/${user.connection.id}/calendars`, { headers: { Authorization: `Bearer ${user.apiKey}` } });
      expect(res.status).toBe(409);
      expect((await json(res)).code).toBe('connection_needs_reauth');
    },
    'a Graph call as the user (bookings, sync)': async (user) => {
      const error = await withConnectionGraph(await row(user), (graph) => graph.api('/me').get(), app.services).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NeedsReauthError);
    },
  };
  for (const [entry, notice] of Object.entries(noticedBy)) {
    it(`when ${entry} finds the refresh token revoked: needs_reauth, subscriptions removed, connection.needs_reauth sent`, async () => {
      const path = `/reauth-${entry.replace(/\W+/g, '-')}`;
      const client = await createTestClient(app, { webhookUrl: `${receiver.url}${path}` });
      const user = await connectUser(app, { client });
      await seedSubscriptionRecord(client, user);

      // Revoked, and the access token held expired: the next call must redeem the refresh token, and fails.
      await simControl(sim.url, 'POST', `/users/${user.userPrincipalName}/revoke-sign-in-sessions`);
      await simControl(sim.url, 'POST', '/clock/advance', { minutes: 61 });
      await notice(user);

      expect((await row(user)).status).toBe('needs_reauth');
      // Whoever noticed first reacts: the app's own background work (the connect's sync, as the clock moved)
      // may have turned the connection before this call, and its reaction may still be running.
      await untilPasses(async () => expect(await listConnectionSubscriptions(app.services, client.client.clientId, user.connection.id)).toHaveLength(0), { message: 'the subscriptions removed', ...WAIT });
      await untilPasses(() => expect(receiver.received.filter((r) => r.path === path)).toHaveLength(1), { message: 'the needs_reauth webhook', ...WAIT });
      const event = JSON.parse(receiver.received.find((r) => r.path === path)!.body);
      expect(event).toMatchObject({ type: 'connection.needs_reauth', data: { connectionId: user.connection.id, reason: 'refresh_token_rejected' } });
    });
  }

  it('sends connection.disconnected when a connection is disconnected', async () => {
    const client = await createTestClient(app, { webhookUrl: `${receiver.url}/gone` });
    const user = await connectUser(app, { client });
    const res = await fetch(`${app.url}/api/connections/${user.connection.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${client.apiKey}` } });
    expect(res.status).toBe(200);
    await untilPasses(() => expect(receiver.received.filter((r) => r.path === '/gone')).toHaveLength(1), { message: 'the disconnected webhook', ...WAIT });
    const event = JSON.parse(receiver.received.find((r) => r.path === '/gone')!.body);
    expect(event).toMatchObject({ type: 'connection.disconnected', data: { connectionId: user.connection.id, externalUserId: user.connection.externalUserId } });
  });
});
