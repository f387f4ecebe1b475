// Outbound webhook throughput: BENCH_WEBHOOKS (1000) events emitted for one client, delivered by the real
// deliverWebhooks function on the local host (Azurite queue) to a loopback receiver that verifies every
// signature. Prints deliveries per second and the emit-to-receipt latency (p50, p99).
import { createServer } from 'node:http';
import { startLocalHost } from '../dev/host/index.js';
import { deliverWebhooksFunction } from '../functions/deliverWebhooks.js';
import { createClient } from '../shared/clients/manage-clients.js';
import { emitWebhookEvent } from '../shared/webhooks/emit.js';
import { WEBHOOK_EVENTS } from '../shared/webhooks/event-catalogue.js';
import { Webhook } from 'standardwebhooks';
import { pool, report, startSyncFixture } from './lib/sync-fixture.js';
import { waitFor } from '../test/support/wait-for.js';

const total = Number(process.env.BENCH_WEBHOOKS ?? 1000);
const received = new Map<string, number>();
let badSignatures = 0;
let secret = '';

const receiver = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => {
    try {
      new Webhook(secret).verify(body, req.headers as Record<string, string>, { jsonParse: false });
    } catch {
      badSignatures += 1;
    }
    received.set((JSON.parse(body) as { id: string }).id, performance.now());
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
const fx = await startSyncFixture();
const host = await startLocalHost({ definitions: [deliverWebhooksFunction], port: 0, storage: fx.services.config.storage, log: () => undefined });

try {
  const client = await createClient({ name: 'bench', allowedReturnOrigins: ['https://bench.example'], webhookUrl: receiverUrl }, fx.services);
  secret = client.signingSecret;
  const emittedAt = new Map<string, number>();
  const t0 = performance.now();
  await pool(Array.from({ length: total }, (_, i) => i), 16, async (i) => {
    const event = await emitWebhookEvent(fx.services.config.storage, client.clientId, 'busy.changed', { ...WEBHOOK_EVENTS['busy.changed'].example, start: new Date(i * 60_000).toISOString() });
    emittedAt.set(event.id, performance.now());
  });
  await waitFor(() => received.size >= total, { message: `all ${total} webhooks at the receiver`, timeout: 300_000, interval: 20 });
  const seconds = (performance.now() - t0) / 1000;
  const latencies = [...received].map(([id, at]) => at - emittedAt.get(id)!).sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  console.info(`webhook-delivery: ${total} events delivered in ${seconds.toFixed(1)} s, ${badSignatures} bad signatures`);
  report('webhook-delivery', 'deliveries per second', Math.round(total / seconds), 'per s');
  report('webhook-delivery', 'emit-to-receipt p50', Math.round(pct(50)), 'ms');
  report('webhook-delivery', 'emit-to-receipt p99', Math.round(pct(99)), 'ms');
  report('webhook-delivery', 'bad signatures', badSignatures, 'count');
} finally {
  await host.close();
  receiver.close();
  await fx.close();
}
