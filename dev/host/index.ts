// The local host: serves the same FunctionDefinition objects that functions/index.ts registers with the
// Azure Functions host, without Azure Functions Core Tools. HTTP on /api/<route>, timers on their NCRONTAB
// schedules, queue triggers by polling Azurite, storageQueue outputs written after each invocation.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StorageSettings } from '../../shared/config.js';
import type {
  FunctionDefinition,
  HttpFunctionDefinition,
  QueueFunctionDefinition,
  TimerFunctionDefinition,
} from '../../shared/runtime/function-definitions.js';
import { createHttpDispatcher, DEFAULT_MAX_REQUEST_BODY_BYTES } from './http-dispatch.js';
import { InFlight } from './in-flight.js';
import { HostLogger, type HostLogLevel, type LogSink } from './invocation.js';
import { DEFAULT_QUEUE_SETTINGS, QueuePoller, type QueueSettings } from './queue-poller.js';
import { TimerRunner } from './timers.js';

export { poisonQueueName, type QueueSettings } from './queue-poller.js';

export interface LocalHostOptions {
  definitions: readonly FunctionDefinition[];
  /** 0 picks a free port. */
  port: number;
  /** Interface to listen on; loopback unless told otherwise. */
  hostname?: string;
  storage: StorageSettings;
  /** Where log lines go (already redacted); console.info when omitted. */
  log?: LogSink;
  logLevel?: HostLogLevel;
  /** host.json `extensions.queues`; the host's defaults when omitted. */
  queues?: Partial<QueueSettings>;
  /** Time zone of timer schedules (the Azure host uses UTC unless WEBSITE_TIME_ZONE is set). */
  timeZone?: string;
  maxRequestBodyBytes?: number;
  /** How long close() waits for running invocations. */
  shutdownTimeoutMs?: number;
  /** Where GET / redirects (npm start points it at the local console); 404 when unset. */
  rootRedirect?: string;
}

export interface LocalHost {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  assertUniqueNames(options.definitions);
  const logger = new HostLogger(options.log ?? ((line) => console.info(line)), options.logLevel ?? 'info');
  const inFlight = new InFlight();
  const hostname = options.hostname ?? '127.0.0.1';
  const queueSettings: QueueSettings = { ...DEFAULT_QUEUE_SETTINGS, ...options.queues };
  let url = '';
  let closing = false;

  const pollers = options.definitions
    .filter((d): d is QueueFunctionDefinition => d.kind === 'queue')
    .map((def) => new QueuePoller({ def, storage: options.storage, settings: queueSettings, logger, inFlight, onQueuesWritten }));
  // A message sent by this host is looked at right away, as the Azure host's queue listener does.
  function onQueuesWritten(queueNames: string[]): void {
    for (const poller of pollers) if (queueNames.includes(poller.queueName)) poller.poke();
  }

  // Built before listening, so that a bad route or schedule fails start-up instead of a request.
  const timers = new TimerRunner({
    definitions: options.definitions.filter((d): d is TimerFunctionDefinition => d.kind === 'timer'),
    storage: options.storage,
    logger,
    inFlight,
    timeZone: options.timeZone ?? 'UTC',
    onQueuesWritten,
  });
  const dispatcher = createHttpDispatcher({
    definitions: options.definitions.filter((d): d is HttpFunctionDefinition => d.kind === 'http'),
    storage: options.storage,
    logger,
    inFlight,
    maxRequestBodyBytes: options.maxRequestBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES,
    fallbackOrigin: () => url,
    isClosing: () => closing,
    onQueuesWritten,
    rootRedirect: options.rootRedirect,
  });

  const server: Server = createServer(dispatcher);
  server.on('clientError', (_error, socket) => {
    // Malformed HTTP: answer 400 as Node's default would, without an unhandled error.
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`;

  timers.start();
  for (const poller of pollers) poller.start();
  logger.host('info', `local host listening on ${url} with ${options.definitions.length} function(s)`);

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closed ??= (async () => {
        closing = true;
        const timeoutMs = options.shutdownTimeoutMs ?? 10_000;
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        timers.stop();
        const pollersStopped = Promise.all(pollers.map((p) => p.stop()));
        const drained = await inFlight.drain(timeoutMs);
        if (!drained) logger.host('warn', `shutdown: ${inFlight.size} invocation(s) still running after ${timeoutMs} ms, leaving them`);
        await Promise.race([pollersStopped, new Promise((resolve) => setTimeout(resolve, drained ? timeoutMs : 0).unref())]);
        server.closeAllConnections();
        await serverClosed;
        logger.host('info', 'local host stopped');
      })();
      return closed;
    },
  };
}

function assertUniqueNames(definitions: readonly FunctionDefinition[]): void {
  const seen = new Set<string>();
  for (const def of definitions) {
    if (seen.has(def.name)) throw new Error(`Two functions are named "${def.name}"`);
    seen.add(def.name);
  }
}
