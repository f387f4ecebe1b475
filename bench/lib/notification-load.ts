// The notification bench's load generator, run in a process of its own (forked by runNotificationLoad) so
// that the server under test keeps its thread: autocannon POSTs distinct, valid change notifications, one of
// the given subscriptions each, with a fresh resource id and etag, so each one is checked and enqueued.
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface LoadSpec {
  url: string;
  path: string;
  connections: number;
  durationS: number;
  subscriptions: { subscriptionId: string; clientState: string }[];
}

export interface LoadResult {
  requestsPerSecond: number;
  total: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
interface CannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  setupRequest?: (req: { body?: string }) => { body?: string };
}
type Autocannon = (options: { url: string; connections: number; duration: number; requests: CannonRequest[] }) => Promise<AutocannonResult>;

type FromGenerator = { type: 'started' } | { type: 'result'; result: LoadResult };

/**
 * Runs the load from a child process and returns what autocannon measured. `onStarted` is called when the
 * child has started and is about to send the first request: what this process spends forking the child is
 * not the server's work, so a CPU measurement of the server starts there.
 */
export function runNotificationLoad(spec: LoadSpec, onStarted?: () => void): Promise<LoadResult> {
  const typescript = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(import.meta.url);
  const child = fork(entry, [], { execArgv: typescript ? ['--import', 'tsx'] : [], env: { ...process.env, NOTIFICATION_LOAD_SPEC: JSON.stringify(spec) } });
  return new Promise((resolve, reject) => {
    child.on('message', (message: FromGenerator) => {
      if (message.type === 'started') onStarted?.();
      else resolve(message.result);
    });
    child.once('exit', (code) => reject(new Error(`load generator exited (${code}) without a result`)));
  });
}

export function notificationBody(spec: LoadSpec, n: number): string {
  const sub = spec.subscriptions[n % spec.subscriptions.length]!;
  const id = `AAMk${process.pid}-${n}`;
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

async function generate(spec: LoadSpec): Promise<LoadResult> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  let n = 0;
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationS,
    requests: [
      { method: 'POST', path: spec.path, headers: { 'Content-Type': 'application/json' }, setupRequest: (req) => ({ ...req, body: notificationBody(spec, n++) }) },
    ],
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

if (process.env.NOTIFICATION_LOAD_SPEC && process.send) {
  const spec = JSON.parse(process.env.NOTIFICATION_LOAD_SPEC) as LoadSpec;
  createRequire(import.meta.url)('autocannon'); // loaded before 'started': the measured span is the load alone
  await new Promise<void>((resolve) => process.send!({ type: 'started' } satisfies FromGenerator, () => resolve()));
  const result = await generate(spec);
  process.send({ type: 'result', result } satisfies FromGenerator, () => process.exit(0));
}
