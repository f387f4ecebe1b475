// Throughput and latency of POST /api/graph/notifications on the local host (Azurite in memory): every
// request is a distinct, valid change notification (one of 100 known subscriptions, a fresh etag), so each
// one is checked (subscription + clientState) and enqueued through the output binding. No processor runs,
// so only the endpoint is measured. BENCH_DURATION_S (10), BENCH_CONNECTIONS (10).
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { startAzurite } from '../dev/azurite.js';
import { startLocalHost } from '../dev/host/index.js';
import { freePort } from '../dev/host/ports.js';
import { getConfig, resetConfig } from '../shared/config.js';
import { getServices } from '../shared/services.js';
import { hashClientState, newClientState } from '../shared/sync/client-state.js';
import { report } from './lib/sync-fixture.js';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodeStats?: Record<string, { count: number }>;
}
interface CannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  setupRequest?: (req: { body?: string }) => { body?: string };
}
type Autocannon = (options: { url: string; connections: number; duration: number; requests: CannonRequest[] }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const duration = Number(process.env.BENCH_DURATION_S ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);

const azurite = await startAzurite();
const port = await freePort();
process.env.AzureWebJobsStorage = azurite.connectionString;
process.env.M365_SIMULATOR_URL ??= 'http://127.0.0.1:9';
process.env.LOCAL_SECRETS_PATH = ':memory:';
process.env.PUBLIC_BASE_URL = `http://127.0.0.1:${port}`;
resetConfig();
const config = getConfig();
const { graphNotificationsFunction } = await import('../functions/graphNotifications.js');
const host = await startLocalHost({ definitions: [graphNotificationsFunction], port, storage: config.storage, logLevel: 'error' });

const subs = await Promise.all(
  Array.from({ length: 100 }, async () => {
    const sub = { subscriptionId: randomUUID(), clientState: newClientState(), calendarId: `cal-${randomUUID()}` };
    await getServices().store.subscriptions.createSubscription({
      subscriptionId: sub.subscriptionId,
      clientId: 'bench',
      connectionId: randomUUID(),
      calendarId: sub.calendarId,
      resource: `/users/x/calendars/${sub.calendarId}/events`,
      clientStateHash: hashClientState(sub.clientState),
      expiresAt: new Date(Date.now() + 86_400_000),
      createdAt: new Date(),
    });
    return sub;
  }),
);

let n = 0;
function body(): string {
  const sub = subs[n++ % subs.length]!;
  const id = `AAMk${n}`;
  return JSON.stringify({
    value: [
      {
        subscriptionId: sub.subscriptionId,
        subscriptionExpirationDateTime: new Date(Date.now() + 86_400_000).toISOString(),
        changeType: 'updated',
        resource: `Users/x/Events/${id}`,
        resourceData: { '@odata.type': '#Microsoft.Graph.Event', '@odata.id': `Users/x/Events/${id}`, '@odata.etag': `W/"${n}"`, id },
        clientState: sub.clientState,
        tenantId: '84bd8158-6d4d-4958-8b9f-9d6445542f95',
      },
    ],
  });
}

try {
  const first = await fetch(`${host.url}/api/graph/notifications`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body() });
  if (first.status !== 202) throw new Error(`the endpoint answered ${first.status}: ${await first.text()}`);
  const result = await autocannon({
    url: host.url,
    connections,
    duration,
    requests: [{ method: 'POST', path: '/api/graph/notifications', headers: { 'Content-Type': 'application/json' }, setupRequest: (req) => ({ ...req, body: body() }) }],
  });
  const rps = Math.round(result.requests.average);
  console.info(
    `notifications: ${rps} POSTs/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms ` +
      `(${result.requests.total} requests, ${connections} connections, ${duration} s, ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts)`,
  );
  report('notifications', 'throughput', rps, 'POSTs/s');
  report('notifications', 'latency p50', result.latency.p50, 'ms');
  report('notifications', 'latency p99', result.latency.p99, 'ms');
  report('notifications', 'non-2xx or errors', result.non2xx + result.errors + result.timeouts, 'count');
} finally {
  await host.close();
  await azurite.close();
}
