// Point 7: tokens for later Graph calls, against a simulator of this file's own (its clock and revocations
// must not disturb other test files): refresh, revocation -> needs_reauth, concurrent refreshes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/server.js';
import { createMsalClient } from '../../shared/auth/msal-client.js';
import { entraClientCredential, GRAPH_SCOPES } from '../../shared/auth/entra-credentials.js';
import { ConnectionTokenCachePlugin, TokenCacheConflictError, tokenCacheBinding } from '../../shared/auth/token-cache-plugin.js';
import {
  createConnectLinkForReauth,
  getAccessToken,
  markNeedsReauth,
  NeedsReauthError,
  withConnectionGraph,
} from '../../shared/auth/connection-tokens.js';
import type { ConnectionEntity } from '../../shared/store/repositories/connections.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, json, nextHop, type ConnectedUser } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';

let sim: RunningSimulator;
let app: AppHost;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  app = await startAppHost({ simulatorUrl: sim.url });
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
});

async function row(user: ConnectedUser): Promise<ConnectionEntity> {
  return (await app.services.store.connections.require(user.client.clientId, user.connection.id)).entity;
}

async function storedCache(user: ConnectedUser): Promise<{ AccessToken: Record<string, { secret: string }>; RefreshToken: Record<string, unknown>; Account: Record<string, unknown> }> {
  const entity = await row(user);
  return JSON.parse(await app.services.envelope.decryptString(entity.tokenCache!, tokenCacheBinding(entity.partitionKey, entity.rowKey)));
}

describe('connection tokens', () => {
  it('refreshes silently once Graph refuses an access token the simulator clock has expired', async () => {
    const user = await connectUser(app);
    const before = await row(user);
    const me = await withConnectionGraph(before, (graph) => graph.api('/me').get(), app.services);
    expect(me.userPrincipalName).toBe(user.userPrincipalName);

    await simControl(sim.url, 'POST', '/clock/advance', { minutes: 61 });
    const again = await withConnectionGraph(before, (graph) => graph.api('/me').get(), app.services);
    expect(again.userPrincipalName).toBe(user.userPrincipalName);
    const after = await row(user);
    expect(after.lastTokenRefreshAt!.getTime()).toBeGreaterThan(before.lastTokenRefreshAt!.getTime());
    expect(after.tokenCache).not.toBe(before.tokenCache);
    // The refreshed cache still holds one account, one refresh token.
    const cache = await storedCache(user);
    expect(Object.keys(cache.Account)).toHaveLength(1);
    expect(Object.keys(cache.RefreshToken)).toHaveLength(1);
  });

  it('follows docs/local-development.md: revoke, move the simulator clock past the hour, call the API', async () => {
    const user = await connectUser(app);
    expect((await simControl(sim.url, 'POST', `/users/${user.userPrincipalName}/revoke-sign-in-sessions`)).status).toBe(200);
    expect((await simControl(sim.url, 'POST', '/clock/advance', { minutes: 61 })).status).toBe(200);
    const calendars = await fetch(`${app.url}/api/connections/${user.connection.id}/calendars`, { headers: { Authorization: `Bearer ${user.apiKey}` } });
    expect(calendars.status).toBe(409);
    expect((await json(calendars)).code).toBe('connection_needs_reauth');
    const view = await json(await fetch(`${app.url}/api/connections/${user.connection.id}`, { headers: { Authorization: `Bearer ${user.apiKey}` } }));
    expect(view.status).toBe('needs_reauth');
  });

  it('marks the connection needs_reauth when the refresh token is revoked, and a re-connect link restores it', async () => {
    const user = await connectUser(app);
    await simControl(sim.url, 'POST', `/users/${user.userPrincipalName}/revoke-sign-in-sessions`);
    const error = await getAccessToken(await row(user), { forceRefresh: true }, app.services).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NeedsReauthError);
    expect((error as NeedsReauthError).connection.status).toBe('needs_reauth');
    expect((await row(user)).status).toBe('needs_reauth');

    const view = await json(await fetch(`${app.url}/api/connections/${user.connection.id}`, { headers: { Authorization: `Bearer ${user.apiKey}` } }));
    expect(view.status).toBe('needs_reauth');
    const calendars = await fetch(`${app.url}/api/connections/${user.connection.id}/calendars`, { headers: { Authorization: `Bearer ${user.apiKey}` } });
    expect(calendars.status).toBe(409);
    expect((await json(calendars)).code).toBe('connection_needs_reauth');

    const link = await createConnectLinkForReauth(await row(user), app.services);
    let url = link.url;
    for (let i = 0; i < 3; i += 1) url = (await nextHop(url)).location!;
    const back = new URL(url);
    expect(back.searchParams.get('connectionId')).toBe(user.connection.id);
    expect((await row(user)).status).toBe('active');
    expect((await getAccessToken(await row(user), { forceRefresh: true }, app.services)).refreshed).toBe(true);
  });

  it('a refresh that dies with the old tokens after the user signed in again leaves the connection active', async () => {
    const user = await connectUser(app);
    await simControl(sim.url, 'POST', `/users/${user.userPrincipalName}/revoke-sign-in-sessions`);
    // What a keep-alive or sync read before the reconnect: the revoked sign-in's tokens.
    const stale = await row(user);
    const again = await connectUser(app, { client: user, userPrincipalName: user.userPrincipalName, externalUserId: user.connection.externalUserId });
    expect(again.connection.id).toBe(user.connection.id);
    const fresh = await row(user);
    expect(fresh.connectedAt!.getTime()).toBeGreaterThan(stale.connectedAt!.getTime());

    // The refresh with the stale tokens fails now, after the new sign-in was saved.
    expect(await markNeedsReauth(app.services, stale, new Error('invalid_grant'))).toBeUndefined();
    expect((await row(user)).status).toBe('active');
    expect((await getAccessToken(await row(user), { forceRefresh: true }, app.services)).refreshed).toBe(true);
    // The same failure with the current sign-in's tokens does turn it.
    expect(await markNeedsReauth(app.services, await row(user), new Error('invalid_grant'))).toBeInstanceOf(NeedsReauthError);
    expect((await row(user)).status).toBe('needs_reauth');
  });

  it('serializes two refreshes of one connection: the loser’s write is refused and it re-reads', async () => {
    const user = await connectUser(app);
    const entity = await row(user);
    const credential = await entraClientCredential(app.services);
    const clients = await Promise.all(
      [0, 1].map(async () => {
        const plugin = new ConnectionTokenCachePlugin(app.services, entity.partitionKey, entity.rowKey);
        return { plugin, msal: await createMsalClient(app.services, { credential, cachePlugin: plugin }) };
      }),
    );
    // Both read the same version of the row before either refreshes.
    const accounts = await Promise.all(clients.map((c) => c.msal.getTokenCache().getAccountByHomeId(entity.homeAccountId!)));
    const first = await clients[0]!.msal.acquireTokenSilent({ account: accounts[0]!, scopes: [...GRAPH_SCOPES], forceRefresh: true });
    const second = await clients[1]!.msal
      .acquireTokenSilent({ account: accounts[1]!, scopes: [...GRAPH_SCOPES], forceRefresh: true })
      .catch((e: unknown) => e);
    expect(second).toBeInstanceOf(TokenCacheConflictError);
    // The stored cache is the winner's.
    const cache = await storedCache(user);
    expect(Object.values(cache.AccessToken).map((t) => t.secret)).toEqual([first.accessToken]);
  });

  it('keeps the cache whole under concurrent getAccessToken refreshes', async () => {
    const user = await connectUser(app);
    const entity = await row(user);
    const results = await Promise.all([1, 2, 3, 4].map(() => getAccessToken(entity, { forceRefresh: true }, app.services)));
    const refreshedTokens = new Set(results.filter((r) => r.refreshed).map((r) => r.token));
    expect(refreshedTokens.size).toBeGreaterThanOrEqual(1);
    // Every caller got a token some refresh stored: losers used a winner's tokens, none refreshed over another.
    for (const r of results) expect(refreshedTokens.has(r.token)).toBe(true);
    const cache = await storedCache(user);
    expect(Object.keys(cache.Account)).toHaveLength(1);
    expect(Object.keys(cache.RefreshToken)).toHaveLength(1);
    expect(refreshedTokens.has(Object.values(cache.AccessToken)[0]!.secret)).toBe(true);
    // And the stored refresh token still works.
    expect((await getAccessToken(entity, { forceRefresh: true }, app.services)).refreshed).toBe(true);
  });
});
