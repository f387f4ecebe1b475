// Team availability from the busy cache: findAvailability() over N connections (default 50, the request's
// maximum) whose every busy calendar is synced and covers the window, so no Graph request is made.
// A week, 30-minute slots, everyone must be free.
// Prints per call, for the summary rows (the current path) and, interleaved, the same call with the summaries
// removed (every owner read from its busy partition): the median and p90 wall time, the app's CPU, the Table
// requests Azurite received, their ratio, and a bare in-memory computation of the same answer.
// Runs for real against Azurite in its own process. BENCH_AVAILABILITY_CONNECTIONS, BENCH_AVAILABILITY_RUNS.
import { randomUUID } from 'node:crypto';
import { startAzurite } from '../dev/azurite.js';
import { SIMULATED_CLIENT_ID } from '../dev/simulator/seed.js';
import { startSimulator } from '../dev/simulator/server.js';
import { findAvailability, MAX_SLOTS, type AvailabilityRequest } from '../shared/availability/availability.js';
import { findSlots } from '../shared/availability/slots.js';
import { getServices } from '../shared/services.js';
import { busySummaryPartition } from '../shared/store/repositories/busy.js';
import { refreshBusySummary } from '../shared/sync/busy-summary.js';
import { replaceCalendarBusy, type CachedEvent } from '../shared/sync/busy-cache.js';
import { DEFAULT_BUSY_SHOW_AS, mergeBusySpans } from '../shared/sync/merge-busy.js';

const CONNECTIONS = Number(process.env.BENCH_AVAILABILITY_CONNECTIONS ?? 50);
const RUNS = Number(process.env.BENCH_AVAILABILITY_RUNS ?? 20);
const CALENDARS = ['cal-a', 'cal-b'];
const EVENTS_PER_CALENDAR = 10;

const azurite = await startAzurite();
// The app's settings point at the simulator; a cached answer makes no Graph request to it.
const sim = await startSimulator({ port: 0 });
process.env.M365_SIMULATOR_URL = sim.url;
process.env.AzureWebJobsStorage = azurite.connectionString;
process.env.LOCAL_SECRETS_PATH = ':memory:';
process.env.ENTRA_CLIENT_ID ??= SIMULATED_CLIENT_ID;
const services = getServices();
const report = (metric: string, value: number, unit: string) => console.info(`RESULT ${JSON.stringify({ bench: 'availability', metric, value, unit })}`);

const DAY = 24 * 3600_000;
const base = Date.UTC(2031, 4, 5);
const window = { start: new Date(base - DAY), end: new Date(base + 30 * DAY) };
const clientId = `bench-${randomUUID().slice(0, 8)}`;
const eventsByConnection: CachedEvent[][] = [];

try {
  const ids: string[] = [];
  for (let c = 0; c < CONNECTIONS; c += 1) {
    const id = randomUUID();
    ids.push(id);
    await services.store.connections.create({
      partitionKey: clientId,
      rowKey: id,
      externalUserId: `avail-${id}`,
      status: 'active',
      objectId: randomUUID(),
      busyCalendarIds: CALENDARS,
      createdAt: new Date(),
    });
    const all: CachedEvent[] = [];
    for (const calendarId of CALENDARS) {
      // Spread over the week: each connection busy at its own hours, so the common slots are non-trivial.
      const events = Array.from({ length: EVENTS_PER_CALENDAR }, (_, i) => {
        const start = new Date(base + (i % 7) * DAY + (8 + ((c + i) % 9)) * 3600_000 + (calendarId === 'cal-b' ? 30 * 60_000 : 0));
        return { eventId: `${calendarId}-${i}`, start, end: new Date(start.getTime() + 45 * 60_000), showAs: 'busy' };
      });
      await replaceCalendarBusy(services.store, { partitionKey: clientId, rowKey: id }, calendarId, window, events, 'https://graph.microsoft.com/v1.0/delta-link', new Date());
      all.push(...events);
    }
    eventsByConnection.push(all);
  }

  const request: AvailabilityRequest = {
    connectionIds: ids,
    start: new Date(base).toISOString(),
    end: new Date(base + 7 * DAY).toISOString(),
    durationMinutes: 30,
  };
  const span = { start: Date.parse(request.start), end: Date.parse(request.end) };
  // The same answer with every event already in memory: the floor storage reads add to.
  const bare = () =>
    findSlots(
      eventsByConnection.map((events) => ({ busy: mergeBusySpans(events.map((e) => ({ start: e.start.getTime(), end: e.end.getTime(), showAs: e.showAs })), span.start, span.end, DEFAULT_BUSY_SHOW_AS) })),
      [{ members: ids.map((_, i) => i), minimum: ids.length }],
      { window: span, durationMs: 30 * 60_000, stepMs: 30 * 60_000, anchor: span.start, bufferBeforeMs: 0, bufferAfterMs: 0, earliest: -Infinity, latest: Infinity, limit: MAX_SLOTS, explain: false },
    ).slots;

  const first = await findAvailability(services, clientId, request); // warm: modules, clients, table handles
  if (first.connections.some((c) => c.source !== 'cache')) throw new Error('availability bench: a connection was not answered from the cache');
  if (first.slots.length !== bare().length) throw new Error(`availability bench: ${first.slots.length} slots, the in-memory computation ${bare().length}`);

  // The same call with the summaries removed: every owner read from its busy partition (the path before
  // summaries, and still the one for an owner whose summary was never written). Interleaved with the summary
  // path, so both meet the same load.
  const summaryPartition = busySummaryPartition(clientId);
  const dropSummaries = () => Promise.all(ids.map((id) => services.store.busy.summaries.delete(summaryPartition, id)));
  const restoreSummaries = () => Promise.all(ids.map((id) => refreshBusySummary(services.store, { partitionKey: clientId, rowKey: id })));
  const measure = async (into: { times: number[]; cpu: number[]; tableRequests: number[] }) => {
    const before = (await azurite.requestCounts()).table;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const answer = await findAvailability(services, clientId, request);
    into.times.push(performance.now() - t0);
    const c1 = process.cpuUsage(c0);
    into.cpu.push((c1.user + c1.system) / 1000);
    into.tableRequests.push((await azurite.requestCounts()).table - before);
    if (answer.slots.length !== first.slots.length) throw new Error('availability bench: the two paths disagree');
  };
  const summaryPath = { times: [] as number[], cpu: [] as number[], tableRequests: [] as number[] };
  const partitionPath = { times: [] as number[], cpu: [] as number[], tableRequests: [] as number[] };
  const bareTimes: number[] = [];
  await dropSummaries();
  await findAvailability(services, clientId, request); // warm the partition path too
  await restoreSummaries();
  for (let run = 0; run < RUNS; run += 1) {
    await measure(summaryPath);
    await dropSummaries();
    await measure(partitionPath);
    await restoreSummaries();
    const t1 = performance.now();
    bare();
    bareTimes.push(performance.now() - t1);
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const pct = (xs: number[], p: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
  const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
  const bareMedian = pct(bareTimes, 0.5);
  const load = process.platform === 'linux' ? (await import('node:os')).loadavg()[0]!.toFixed(1) : 'n/a';
  const describe = (name: string, path: typeof summaryPath) => {
    const requests = Math.min(...path.tableRequests);
    return (
      `${name}: median ${round(pct(path.times, 0.5), 1)} ms, p90 ${round(pct(path.times, 0.9), 1)} ms, app CPU ${round(pct(path.cpu, 0.5), 1)} ms a call, ` +
      `${requests} Table requests a call (${round(requests / CONNECTIONS)} per connection)`
    );
  };
  console.info(
    `availability: ${CONNECTIONS} cached connections x ${CALENDARS.length} calendars, a week of 30-minute slots, ${RUNS} calls each, interleaved; load average ${load}\n` +
      `  ${describe('summary rows (current)', summaryPath)}\n` +
      `  ${describe('busy partitions (no summaries)', partitionPath)}\n` +
      `  summary / partition: ${round(pct(summaryPath.times, 0.5) / pct(partitionPath.times, 0.5))} wall, ${round(pct(summaryPath.cpu, 0.5) / pct(partitionPath.cpu, 0.5))} app CPU; ` +
      `the same answer in memory ${round(bareMedian, 3)} ms (summary path ${Math.round(pct(summaryPath.times, 0.5) / Math.max(bareMedian, 0.001))}x)`,
  );
  const median = pct(summaryPath.times, 0.5);
  report(`median ms, ${CONNECTIONS} cached connections`, round(median, 1), 'ms');
  report(`p90 ms, ${CONNECTIONS} cached connections`, round(pct(summaryPath.times, 0.9), 1), 'ms');
  report(`app CPU ms per call, ${CONNECTIONS} cached connections`, round(pct(summaryPath.cpu, 0.5), 1), 'ms');
  report('Table requests per call', Math.min(...summaryPath.tableRequests), 'requests');
  report(`median ms without summaries (busy partitions), ${CONNECTIONS} cached connections`, round(pct(partitionPath.times, 0.5), 1), 'ms');
  report('Table requests per call without summaries', Math.min(...partitionPath.tableRequests), 'requests');
  report('summary / partition path, wall', round(median / pct(partitionPath.times, 0.5)), 'x');
  report('in-memory computation of the same answer', round(bareMedian, 3), 'ms');
} finally {
  await sim.close();
  await azurite.close();
}
