// Acknowledgement throughput and latency of POST /api/graph/notifications on the local host, beside three
// other servers answering the same requests in the same run: a bare node:http server that answers 202
// (the floor), the lean peer (bench/lib/webhooks-sample-peer.ts: the database-lookup path of Microsoft's
// nodejs-webhooks-sample with only Express, express.json() and an in-memory lookup, the stricter
// comparison) and the sample as written (bench/lib/webhooks-sample-as-written.ts: its whole middleware
// chain, its logging and a SQLite database opened per lookup; what it prints goes to /dev/null, written as
// stdout would be). Azurite and the load generator (autocannon) each run in a process of their own, so this
// process's thread serves only the endpoints, as an instance in Azure does. Every request is a distinct,
// valid change notification (one of 100 known subscriptions, a fresh etag): looked up, clientState checked,
// and group-committed to the calendar-sync queue before its 202. No processor runs, so only the
// acknowledgement is measured.
// Phases: bare, lean peer, sample and app at BENCH_CONNECTIONS (10), then all four at 100 connections,
// BENCH_DURATION_S (10) each; BENCH_NOTIFICATION_ROUNDS (1) repeats them, interleaved, and the best round of
// each is kept. Before each connection count, every server gets BENCH_WARMUP_S (2) of the same load, not
// measured, so that all are compared warm (compiled code, the app's subscription cache filled) as a serving
// instance is. The load average is printed beside the figures: on a shared machine it says how far to trust
// them; the CPU this process spends per answered request is the steadier comparison.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { startLocalHost } from '../dev/host/index.js';
import { freePort } from '../dev/host/ports.js';
import { getConfig } from '../shared/config.js';
import { getServices } from '../shared/services.js';
import { hashClientState, newClientState } from '../shared/sync/client-state.js';
import { notificationBody, runNotificationLoad, type LoadResult, type LoadSpec } from './lib/notification-load.js';
import { startStorage } from '../test/support/world.js';
import { report } from './lib/sync-fixture.js';
import { devNullStdout, startWebhooksSampleAsWritten } from './lib/webhooks-sample-as-written.js';
import { startWebhooksSamplePeer } from './lib/webhooks-sample-peer.js';

const durationS = Number(process.env.BENCH_DURATION_S ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const rounds = Number(process.env.BENCH_NOTIFICATION_ROUNDS ?? 1);
const warmupS = Number(process.env.BENCH_WARMUP_S ?? 2);
const PATH = '/api/graph/notifications';

const port = await freePort();
const { azurite } = await startStorage({ publicBaseUrl: `http://127.0.0.1:${port}` });
const config = getConfig();
const { graphNotificationsFunction } = await import('../functions/graphNotifications.js');
const host = await startLocalHost({ definitions: [graphNotificationsFunction], port, storage: config.storage, logLevel: 'error' });

// The floor: node:http reading the body and answering 202, nothing else.
const bare = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(202).end());
});
await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;

// One at a time: concurrent creates race on the subscription counter (telemetry only) and warn about it.
const subscriptions: { subscriptionId: string; clientState: string }[] = [];
for (let i = 0; i < 100; i += 1) {
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
  subscriptions.push({ subscriptionId: sub.subscriptionId, clientState: sub.clientState });
}

const clientStates = new Map(subscriptions.map((s) => [s.subscriptionId, s.clientState]));
const peer = await startWebhooksSamplePeer(PATH, clientStates);
const sampleStdout = devNullStdout();
const sampleAsWritten = await startWebhooksSampleAsWritten(PATH, clientStates, sampleStdout.stream);

const describe = (r: LoadResult) =>
  `${r.requestsPerSecond}/s, p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms (${r.total} requests, ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts)`;

try {
  const spec = (url: string, c: number): LoadSpec => ({ url, path: PATH, connections: c, durationS, subscriptions });
  const first = await fetch(`${host.url}${PATH}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: notificationBody(spec(host.url, 1), 0) });
  if (first.status !== 202) throw new Error(`the endpoint answered ${first.status}: ${await first.text()}`);
  const best = (a: LoadResult | undefined, b: LoadResult) => (a && a.requestsPerSecond >= b.requestsPerSecond ? a : b);
  // CPU this process spent per answered request (every server under test runs here; the load generator and
  // Azurite do not), from the generator's start to its result: on a shared, loaded machine a fairer
  // comparison than requests per second.
  const cpu = { bare: [0, 0], peer: [0, 0], sample: [0, 0], app: [0, 0] };
  const measured = async (which: keyof typeof cpu, url: string, c: number): Promise<LoadResult> => {
    let start = process.cpuUsage();
    const result = await runNotificationLoad(spec(url, c), () => (start = process.cpuUsage()));
    const used = process.cpuUsage(start);
    cpu[which][0]! += (used.user + used.system) / 1000;
    cpu[which][1]! += result.total;
    return result;
  };
  const perRequest = (which: keyof typeof cpu) => cpu[which][0]! / Math.max(1, cpu[which][1]!);
  const ratio = (a: number, b: number) => a / Math.max(0.001, b);
  const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
  for (const c of [...new Set([connections, 100])]) {
    if (warmupS > 0) for (const url of [bareUrl, peer.url, sampleAsWritten.url, host.url]) await runNotificationLoad({ ...spec(url, c), durationS: warmupS });
    sampleAsWritten.forgetSessions();
    const loadBefore = load();
    for (const k of Object.keys(cpu) as (keyof typeof cpu)[]) cpu[k] = [0, 0];
    const lookupsBefore = { ...sampleAsWritten.lookups };
    let floor: LoadResult | undefined;
    let lean: LoadResult | undefined;
    let sample: LoadResult | undefined;
    let app: LoadResult | undefined;
    let queuePuts = 0;
    let appTotal = 0;
    let sampleTotal = 0;
    let sessionsKept = 0;
    for (let round = 0; round < rounds; round += 1) {
      floor = best(floor, await measured('bare', bareUrl, c));
      lean = best(lean, await measured('peer', peer.url, c));
      const written = await measured('sample', sampleAsWritten.url, c);
      sessionsKept += sampleAsWritten.forgetSessions();
      sampleTotal += written.total;
      sample = best(sample, written);
      const before = await azurite.requestCounts();
      const ours = await measured('app', host.url, c);
      const after = await azurite.requestCounts();
      queuePuts += after.queue - before.queue;
      appTotal += ours.total;
      app = best(app, ours);
    }
    const lookupsMade = sampleAsWritten.lookups.made - lookupsBefore.made;
    const lookupsFound = sampleAsWritten.lookups.found - lookupsBefore.found;
    console.info(`notifications, ${c} connections: load average (1, 5, 15 min) ${loadBefore} before, ${load()} after (2 cores)`);
    const rate = (r: LoadResult | undefined) => Math.max(1, r!.requestsPerSecond);
    const appVsPeer = app!.requestsPerSecond / rate(lean);
    const appVsSample = app!.requestsPerSecond / rate(sample);
    const appVsBare = app!.requestsPerSecond / rate(floor);
    const peerVsBare = lean!.requestsPerSecond / rate(floor);
    const sampleVsBare = sample!.requestsPerSecond / rate(floor);
    console.info(`notifications, ${c} connections: app ${describe(app!)}`);
    console.info(`notifications, ${c} connections: peer (nodejs-webhooks-sample's lookup path, lean) ${describe(lean!)}`);
    console.info(
      `notifications, ${c} connections: sample as written (nodejs-webhooks-sample's middleware, logging, SQLite per lookup) ${describe(sample!)}; ` +
        `${lookupsFound} of ${lookupsMade} lookups found their subscription (${sampleTotal} requests answered), ${sessionsKept} sessions left in its memory store`,
    );
    console.info(`notifications, ${c} connections: bare node:http ${describe(floor!)}`);
    console.info(
      `notifications, ${c} connections: app / peer = ${appVsPeer.toFixed(2)}, app / sample as written = ${appVsSample.toFixed(2)}, app / bare = ${appVsBare.toFixed(3)}, ` +
        `peer / bare = ${peerVsBare.toFixed(3)}, sample as written / bare = ${sampleVsBare.toFixed(3)}; ` +
        `${queuePuts} queue puts for ${appTotal} acknowledged POSTs; p99 under 500 ms: ${app!.p99 < 500 ? 'yes' : 'NO'}; at least the peer's throughput: ${appVsPeer >= 1 ? 'yes' : 'NO'}; ` +
        `at least the sample's as written: ${appVsSample >= 1 ? 'yes' : 'NO'}`,
    );
    const cpuRatio = ratio(perRequest('app'), perRequest('peer'));
    const cpuVsSample = ratio(perRequest('app'), perRequest('sample'));
    console.info(
      `notifications, ${c} connections: CPU of this process per answered request: app ${perRequest('app').toFixed(2)} ms, peer ${perRequest('peer').toFixed(2)} ms, ` +
        `sample as written ${perRequest('sample').toFixed(2)} ms, bare ${perRequest('bare').toFixed(2)} ms; app / peer = ${cpuRatio.toFixed(2)}, app / sample as written = ${cpuVsSample.toFixed(2)}, ` +
        `peer / bare = ${ratio(perRequest('peer'), perRequest('bare')).toFixed(2)}, sample as written / bare = ${ratio(perRequest('sample'), perRequest('bare')).toFixed(2)}`,
    );
    const round2 = (n: number) => Math.round(n * 100) / 100;
    report('notifications', `app CPU per ack, ${c} connections`, round2(perRequest('app')), 'ms');
    report('notifications', `peer CPU per request, ${c} connections`, round2(perRequest('peer')), 'ms');
    report('notifications', `app / peer CPU per request, ${c} connections`, round2(cpuRatio), 'ratio');
    report('notifications', `ack throughput, ${c} connections`, app!.requestsPerSecond, 'POSTs/s');
    report('notifications', `peer (nodejs-webhooks-sample lookup path), ${c} connections`, lean!.requestsPerSecond, 'requests/s');
    report('notifications', `bare node:http, ${c} connections`, floor!.requestsPerSecond, 'requests/s');
    report('notifications', `app / peer, ${c} connections`, round2(appVsPeer), 'ratio');
    report('notifications', `app / bare, ${c} connections`, Math.round(appVsBare * 1000) / 1000, 'ratio');
    report('notifications', `latency p50, ${c} connections`, app!.p50, 'ms');
    report('notifications', `latency p99, ${c} connections`, app!.p99, 'ms');
    report('notifications', `peer latency p99, ${c} connections`, lean!.p99, 'ms');
    report('notifications', `queue puts per 1,000 acks, ${c} connections`, Math.round((queuePuts / Math.max(1, appTotal)) * 1000), 'puts');
    report('notifications', `non-2xx or errors, ${c} connections`, app!.non2xx + app!.errors + app!.timeouts, 'count');
    report('notifications', `sample as written (nodejs-webhooks-sample), ${c} connections`, sample!.requestsPerSecond, 'requests/s');
    report('notifications', `sample as written CPU per request, ${c} connections`, round2(perRequest('sample')), 'ms');
    report('notifications', `bare node:http CPU per request, ${c} connections`, round2(perRequest('bare')), 'ms');
    report('notifications', `app / sample as written, ${c} connections`, round2(appVsSample), 'ratio');
    report('notifications', `app / sample as written CPU per request, ${c} connections`, round2(cpuVsSample), 'ratio');
    report('notifications', `peer / bare, ${c} connections`, Math.round(peerVsBare * 1000) / 1000, 'ratio');
    report('notifications', `sample as written / bare, ${c} connections`, Math.round(sampleVsBare * 1000) / 1000, 'ratio');
    report('notifications', `sample as written latency p99, ${c} connections`, sample!.p99, 'ms');
    report('notifications', `sample as written non-2xx or errors, ${c} connections`, sample!.non2xx + sample!.errors + sample!.timeouts + (lookupsMade - lookupsFound), 'count');
  }
} finally {
  await host.close();
  bare.close();
  peer.close();
  sampleAsWritten.close();
  sampleStdout.close();
  await azurite.close();
}
