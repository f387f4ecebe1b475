// Anonymous notification floods must not starve the API: 10 loops POST batches of made-up subscription ids
// to /api/graph/notifications (the most a POST may carry) for BENCH_FLOOD_S seconds (15), while a booking
// system creates bookings and reads busy time. Printed: that traffic's p99 and 5xx count with the flood, the
// same traffic's p99 alone (the same-run baseline) and their ratio, and what the flood got.
// Goal: p99 under 2 s and no 5xx for the booking system. Everything is real: Azurite, the simulator, the
// local host over HTTP.
import { randomUUID } from 'node:crypto';
import { MAX_NOTIFICATION_ITEMS } from '../shared/sync/notification-intake.js';
import { startAppHost } from '../test/support/app-host.js';
import { connectUser } from '../test/support/connect-user.js';
import { startWorld } from '../test/support/world.js';

const FLOOD_S = Number(process.env.BENCH_FLOOD_S ?? 15);
const BASELINE_S = Math.min(5, FLOOD_S);
const FLOOD_LOOPS = 10;
const BOOKING_WORKERS = 2;

const world = await startWorld();
const app = await startAppHost();

const report = (metric: string, value: number, unit: string) => console.info(`RESULT ${JSON.stringify({ bench: 'notification-flood', metric, value, unit })}`);

interface Sample {
  ms: number;
  status: number;
}

function p(samples: Sample[], q: number): number {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  return sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!) : NaN;
}

async function timed(url: string, init: RequestInit): Promise<Sample> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, init);
    await res.arrayBuffer();
    return { ms: performance.now() - t0, status: res.status };
  } catch {
    return { ms: performance.now() - t0, status: 599 };
  }
}

/** A booking system's traffic: a booking create, then a busy read, over and over, until `until`. */
async function bookingTraffic(apiKey: string, connectionId: string, until: number, out: Sample[]): Promise<void> {
  const headers = { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' };
  for (let i = 0; performance.now() < until; i += 1) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    out.push(
      await timed(`${app.url}/api/bookings`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ bookingId: `flood-${randomUUID()}`, connectionId, subject: 'Bench', start: `2032-02-${day}T09:00:00`, end: `2032-02-${day}T09:30:00`, timeZone: 'UTC' }),
      }),
    );
    out.push(await timed(`${app.url}/api/connections/${connectionId}/busy?start=2032-02-01T00:00:00Z&end=2032-02-08T00:00:00Z`, { headers }));
  }
}

/** One attacker loop: POSTs of made-up subscription ids, as fast as they are answered. */
async function floodLoop(until: number, out: Sample[]): Promise<void> {
  while (performance.now() < until) {
    const value = Array.from({ length: MAX_NOTIFICATION_ITEMS }, () => ({ subscriptionId: randomUUID(), clientState: 'guess', changeType: 'updated', resource: 'Users/x/Events/y' }));
    out.push(await timed(`${app.url}/api/graph/notifications`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ value }) }));
  }
}

try {
  const user = await connectUser(app);
  const run = async (seconds: number, flood: boolean) => {
    const until = performance.now() + seconds * 1000;
    const legit: Sample[] = [];
    const attack: Sample[] = [];
    await Promise.all([
      ...Array.from({ length: BOOKING_WORKERS }, () => bookingTraffic(user.apiKey, user.connection.id, until, legit)),
      ...(flood ? Array.from({ length: FLOOD_LOOPS }, () => floodLoop(until, attack)) : []),
    ]);
    return { legit, attack };
  };

  const baseline = await run(BASELINE_S, false);
  const flooded = await run(FLOOD_S, true);
  const fivexx = (s: Sample[]) => s.filter((x) => x.status >= 500).length;
  const basP99 = p(baseline.legit, 0.99);
  const floodP99 = p(flooded.legit, 0.99);
  console.info(`booking system alone (${BASELINE_S} s): ${baseline.legit.length} requests, p50 ${p(baseline.legit, 0.5)} ms, p99 ${basP99} ms, 5xx ${fivexx(baseline.legit)}`);
  console.info(`with ${FLOOD_LOOPS} flood loops (${FLOOD_S} s): ${flooded.legit.length} requests, p50 ${p(flooded.legit, 0.5)} ms, p99 ${floodP99} ms, 5xx ${fivexx(flooded.legit)}`);
  const byStatus = new Map<number, number>();
  for (const s of flooded.attack) byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + 1);
  const statuses = [...byStatus].map(([status, n]) => `${status}: ${n}`).join(', ');
  console.info(`flood: ${flooded.attack.length} POSTs of ${MAX_NOTIFICATION_ITEMS} made-up ids (${statuses}), p50 ${p(flooded.attack, 0.5)} ms`);
  report('booking system p99 under flood (goal < 2000)', floodP99, 'ms');
  report('booking system 5xx under flood (goal 0)', fivexx(flooded.legit), 'responses');
  report('booking system requests under flood', flooded.legit.length, 'requests');
  report('booking system p99 alone', basP99, 'ms');
  report('p99 under flood / alone', Math.round((floodP99 / basP99) * 10) / 10, 'x');
  report('flood POSTs answered', flooded.attack.length, 'requests');
  if (floodP99 >= 2000 || fivexx(flooded.legit) > 0) process.exitCode = 1;
} finally {
  await app.close();
  await world.close();
}
