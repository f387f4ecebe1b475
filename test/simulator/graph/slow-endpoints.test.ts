// A notification endpoint that answers slowly is throttled as Graph documents
// (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks, "Throttling"): more than 10%
// of answers over the 3-second timeout in a 10-minute window marks it slow (new notifications wait 10
// minutes); more than 15% of retries over the 10-second retry timeout marks it drop (new notifications are
// dropped, and the subscription hears missed).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait-for.js';
import { ADELE, type GraphSim, eventBody, startGraphSim } from './support.js';

let g: GraphSim;
beforeAll(async () => {
  g = await startGraphSim();
});
afterAll(() => g.close());
beforeEach(async () => {
  // One POST per create (created + updated together) and no random challenges: the counts are the subject.
  await g.control('PATCH', '/_sim/settings', { notificationLatencyMs: 0, reauthorizationRatePerHour: 0 });
});

interface Endpoint {
  url: string;
  /** Requests (after validation) held this long before the answer; 0 answers at once. */
  holdMs: number;
  lifecycle: string[];
  close(): Promise<void>;
}
let endpoint: Endpoint;
afterEach(async () => {
  await endpoint?.close();
  await g.control('POST', '/_sim/reset');
});

async function startEndpoint(): Promise<Endpoint> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://endpoint');
      const token = url.searchParams.get('validationToken');
      if (token !== null) return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end(token);
      if (url.searchParams.has('lifecycle')) {
        for (const n of (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { value: { lifecycleEvent: string }[] }).value) ep.lifecycle.push(n.lifecycleEvent);
        return void res.writeHead(202).end();
      }
      if (ep.holdMs > 0) setTimeout(() => res.writeHead(202).end(), ep.holdMs).unref();
      else res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const ep: Endpoint = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    holdMs: 0,
    lifecycle: [],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return ep;
}

interface Delivery {
  status: string;
  payload: { value: { resourceData?: { id?: string } }[] };
}
const deliveries = async () => (await g.control<{ value: Delivery[] }>('GET', '/_sim/graph/notifications')).body.value;
const deliveryOf = async (eventId: string) => (await deliveries()).find((d) => d.payload.value.some((n) => n.resourceData?.id === eventId));
const health = async () => (await g.control<{ value: { url: string; state: string; answers: number }[] }>('GET', '/_sim/graph/endpoints')).body.value.find((e) => e.url === endpoint.url);

async function subscribe(): Promise<void> {
  await g.client(ADELE).api('/subscriptions').post({
    changeType: 'created,updated,deleted',
    resource: '/me/events',
    expirationDateTime: new Date(g.sim.state.clock.now() + 2 * 86_400_000).toISOString(),
    notificationUrl: endpoint.url,
    lifecycleNotificationUrl: `${endpoint.url}?lifecycle=1`,
  });
}

/** Creates events one by one: each makes one notification POST. */
async function createEvents(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) ids.push((await g.client(ADELE).api('/me/events').post(eventBody({ subject: `n${i}` }))).id as string);
  return ids;
}

describe('slow notification endpoints', () => {
  it('marks an endpoint slow when over 10% of answers exceed 3 s in 10 minutes: new notifications then wait 10 minutes', { timeout: 60_000 }, async () => {
    endpoint = await startEndpoint();
    await subscribe();
    await createEvents(100);
    await waitFor(async () => ((await health())?.answers ?? 0) >= 100 || undefined, { message: '100 fast answers' });
    expect((await health())?.state).toBe('normal');

    endpoint.holdMs = 4_000;
    await createEvents(15);
    await waitFor(async () => ((await health())?.state === 'slow' ? true : undefined), { message: 'the slow state', timeout: 20_000 });
    endpoint.holdMs = 0;

    const [later] = await createEvents(1);
    const waiting = await waitFor(() => deliveryOf(later!), { message: 'the next notification' });
    expect(waiting.status).toBe('retrying');
    await g.control('POST', '/_sim/clock/advance', { minutes: 10 });
    await waitFor(async () => ((await deliveryOf(later!))?.status === 'delivered' ? true : undefined), { message: 'the delayed delivery' });
  });

  it('drops new notifications when over 15% of retries exceed the 10-second retry timeout, and sends missed', { timeout: 60_000 }, async () => {
    endpoint = await startEndpoint();
    await subscribe();
    await createEvents(100);
    await waitFor(async () => ((await health())?.answers ?? 0) >= 100 || undefined, { message: '100 fast answers' });

    // Thirty notifications time out at 3 s, then their retries (10 s later) time out at 10 s.
    endpoint.holdMs = 60_000;
    await createEvents(30);
    await waitFor(async () => ((await deliveries()).filter((d) => d.status === 'retrying').length >= 30 ? true : undefined), { message: '30 first attempts timed out', timeout: 20_000 });
    await g.control('POST', '/_sim/clock/advance', { ms: 10_000 });
    await waitFor(async () => ((await health())?.state === 'drop' ? true : undefined), { message: 'the drop state', timeout: 25_000 });
    endpoint.holdMs = 0;

    const [lost] = await createEvents(1);
    expect((await waitFor(() => deliveryOf(lost!), { message: 'the next notification' })).status).toBe('dropped');
    await waitFor(async () => (endpoint.lifecycle.includes('missed') ? true : undefined), { message: 'missed' });
  });
});
