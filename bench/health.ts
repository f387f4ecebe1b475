// Throughput and latency of GET /api/health on the local host, started in this process against an
// in-memory Azurite. Prints requests/s and p50/p99 latency. BENCH_DURATION_S (10) and BENCH_CONNECTIONS (10).
import { createRequire } from 'node:module';
import { startAzurite } from '../dev/azurite.js';
import { startLocalHost } from '../dev/host/index.js';
import { getConfig, resetConfig } from '../shared/config.js';
import { useSimulator } from '../dev/simulated-microsoft.js';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: { url: string; connections: number; duration: number }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const duration = Number(process.env.BENCH_DURATION_S ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);

const azurite = await startAzurite();
process.env.AzureWebJobsStorage = azurite.connectionString;
// A simulated run whose Microsoft 365 is never reached.
useSimulator(process.env.M365_SIMULATOR_URL ?? 'http://127.0.0.1:9');
process.env.LOCAL_SECRETS_PATH = ':memory:';
resetConfig();
const config = getConfig();

const { definitions } = await import('../functions/definitions.js');
const health = definitions.find((d) => d.kind === 'http' && d.route.replace(/^\/+|\/+$/g, '').toLowerCase() === 'health');
if (!health) {
  console.error('bench/health: functions/definitions.ts has no HTTP function on route "health"; nothing to measure');
  await azurite.close();
  process.exit(1);
}

const host = await startLocalHost({ definitions, port: 0, storage: config.storage, logLevel: 'warn' });
const url = `${host.url}/api/health`;
try {
  const first = await fetch(url);
  if (first.status !== 200) throw new Error(`GET /api/health answered ${first.status}, not 200: ${await first.text()}`);

  const result = await autocannon({ url, connections, duration });
  const requestsPerSecond = Math.round(result.requests.average);
  console.info(
    `health: ${requestsPerSecond} requests/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms ` +
      `(${result.requests.total} requests, ${connections} connections, ${duration} s, ${result.non2xx} non-2xx, ${result.errors} errors)`,
  );
  // Machine-readable lines for bench/run-all.ts.
  const report = (metric: string, value: number, unit: string) => console.info(`RESULT ${JSON.stringify({ bench: 'health', metric, value, unit })}`);
  report('throughput', requestsPerSecond, 'requests/s');
  report('latency p50', result.latency.p50, 'ms');
  report('latency p99', result.latency.p99, 'ms');
  report('non-2xx responses', result.non2xx + result.errors + result.timeouts, 'count');
} finally {
  await host.close();
  await azurite.close();
}
