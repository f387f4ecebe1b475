// Shared set-up of the push-sync benches: the harness's world (in-memory Azurite, an in-process simulator,
// the app's settings pointed at both), simulated users with delegated tokens, and a count of the Graph HTTP
// requests this process sends (every fetch to the simulator's /v1.0 — exactly what Graph would see).
import { createServer, type Server } from 'node:http';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { RunningAzurite } from '../../dev/azurite.js';
import type { RunningSimulator } from '../../dev/simulator/server.js';
import { SEED_TENANT } from '../../dev/simulator/seed.js';
import { SIMULATED_CLIENT_ID } from '../../dev/simulator/seed.js';
import { createGraphClient } from '../../shared/graph/client.js';
import { getServices, type Services } from '../../shared/services.js';
import { CLIENT_PARTITION } from '../../shared/store/repositories/clients.js';
import type { ConnectionEntity } from '../../shared/store/repositories/connections.js';
import { simJson } from '../../test/support/simulator-control.js';
import { startWorld } from '../../test/support/world.js';

export interface SyncFixture {
  azurite: RunningAzurite;
  sim: RunningSimulator;
  services: Services;
  graphRequests(): number;
  /** A delegated Graph client for a simulated user (tokens minted by the simulator, cached). */
  graphForUser(userId: string): Client;
  addUser(name: string): { id: string; userPrincipalName: string };
  /** The simulator's control API (`path` below /_sim). */
  control<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export async function startSyncFixture(publicBaseUrl?: string): Promise<SyncFixture> {
  const world = await startWorld({ publicBaseUrl });
  const { azurite, sim } = world;
  const services = getServices();

  let graphRequests = 0;
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith(`${sim.url}/v1.0`)) graphRequests += 1;
    return realFetch(input, init);
  };

  const tokens = new Map<string, Promise<string>>();
  const clients = new Map<string, Client>();
  return {
    azurite,
    sim,
    services,
    graphRequests: () => graphRequests,
    graphForUser(userId) {
      let client = clients.get(userId);
      if (!client) {
        const token = () => {
          let t = tokens.get(userId);
          if (!t) {
            t = sim.state.identity.issueGraphToken({ tenantId: SEED_TENANT.id, appId: SIMULATED_CLIENT_ID, userId, scopes: ['User.Read', 'Calendars.ReadWrite'] });
            tokens.set(userId, t);
          }
          return t;
        };
        client = createGraphClient({ config: services.config, fetch: services.transports.fetch, getAccessToken: token, retryDelaySeconds: 1 });
        clients.set(userId, client);
      }
      return client;
    },
    addUser(name) {
      return sim.state.directory.addUser({ tenantId: SEED_TENANT.id, userPrincipalName: `${name}@${SEED_TENANT.domain}` });
    },
    // Not counted: only /v1.0 requests are Graph's.
    control: (method, path, body) => simJson(sim.url, method, path, body),
    async close() {
      globalThis.fetch = realFetch;
      await world.close();
    },
  };
}

/** A booking-system client row, once per client id (sync ignores work for clients it does not know). */
async function seedClient(services: Services, clientId: string): Promise<void> {
  if (await services.store.clients.get(CLIENT_PARTITION, clientId)) return;
  await services.store.clients.upsert({
    partitionKey: CLIENT_PARTITION,
    rowKey: clientId,
    name: clientId,
    apiKeyHashes: [],
    allowedReturnOrigins: [],
    createdAt: new Date(),
  });
}

/** A connection row as the connect flow would leave it (no token cache: the benches mint tokens). */
export async function seedConnection(services: Services, user: { id: string; userPrincipalName: string }, busyCalendarIds: string[], clientId = 'bench-client'): Promise<ConnectionEntity> {
  await seedClient(services, clientId);
  const entity: ConnectionEntity = {
    partitionKey: clientId,
    rowKey: crypto.randomUUID(),
    externalUserId: user.userPrincipalName,
    status: 'active',
    tenantId: SEED_TENANT.id,
    objectId: user.id,
    upn: user.userPrincipalName,
    busyCalendarIds,
    createdAt: new Date(),
  };
  await services.store.connections.create(entity);
  return entity;
}

export function report(bench: string, metric: string, value: number, unit: string): void {
  console.info(`RESULT ${JSON.stringify({ bench, metric, value, unit })}`);
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  }));
}

/** The handshake receiver the simulator validates notificationUrl / lifecycleNotificationUrl against. */
export async function startHandshakeEcho(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const token = new URL(req.url ?? '/', 'http://x').searchParams.get('validationToken');
    req.resume();
    res.writeHead(token === null ? 202 : 200, { 'Content-Type': 'text/plain' }).end(token ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}
