// Azurite (Table and Queue) for `npm start`, the tests and the benches, in a child process of its own
// (dev/azurite-process.ts): in Azure, Storage is a separate service, so sharing the app's thread would put
// Azurite's work on the app's bill. The caller gets endpoints, a connection string, the services' request
// counts (the benches' storage-operation figures), and restart/close.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AzuriteOptions, AzuriteRequestCounts } from './azurite-server.js';
import type { AzuriteReply, AzuriteRequest } from './azurite-process.js';

export { DEV_ACCOUNT } from './azurite-server.js';
export type { AzuriteOptions, AzuriteRequestCounts } from './azurite-server.js';

export interface RunningAzurite {
  tableEndpoint: string;
  queueEndpoint: string;
  /** An explicit development-account connection string for both services. */
  connectionString: string;
  /** Requests each service has received since it (re)started. */
  requestCounts(): Promise<AzuriteRequestCounts>;
  /**
   * Stops and starts Azurite again on the same ports and data folder (in-memory data does not survive),
   * staying down `downMs` in between: a storage outage, as the chaos run injects one.
   */
  restart(options?: { downMs?: number }): Promise<void>;
  /** The child process's id now (a restart changes it): the benches read its CPU time. */
  pid(): number | undefined;
  close(): Promise<void>;
}

// Azurite's well-known development account (public, documented; not a secret).
export const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function azuriteConnectionString(tableEndpoint: string, queueEndpoint: string): string {
  return [
    'DefaultEndpointsProtocol=http',
    'AccountName=devstoreaccount1',
    `AccountKey=${DEV_ACCOUNT_KEY}`,
    `TableEndpoint=${tableEndpoint}`,
    `QueueEndpoint=${queueEndpoint}`,
  ].join(';');
}

// Generous: on a loaded machine the child's start (and, from TypeScript, tsx's) can take a while.
const START_TIMEOUT_MS = 120_000;
const CLOSE_TIMEOUT_MS = 10_000;

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const started = await startChild(options);
  let child = started.child;
  const first = started.ready;
  const ports = { tablePort: portOf(first.tableEndpoint), queuePort: portOf(first.queueEndpoint) };
  return {
    tableEndpoint: first.tableEndpoint,
    queueEndpoint: first.queueEndpoint,
    connectionString: azuriteConnectionString(first.tableEndpoint, first.queueEndpoint),
    async requestCounts() {
      const reply = untilReply(child, 'counts', START_TIMEOUT_MS);
      child.send({ type: 'counts' } satisfies AzuriteRequest);
      const { table, queue } = await reply;
      return { table, queue };
    },
    pid: () => child.pid,
    async restart({ downMs = 0 } = {}) {
      await stopChild(child);
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      ({ child } = await startChild({ ...options, ...ports }));
    },
    close: () => stopChild(child),
  };
}

async function startChild(options: AzuriteOptions): Promise<{ child: ChildProcess; ready: ReplyOf<'ready'> }> {
  const child = spawnAzurite(options);
  try {
    return { child, ready: await untilReply(child, 'ready', START_TIMEOUT_MS) };
  } catch (error) {
    await stopChild(child); // never leave a half-started Azurite holding ports
    throw error;
  }
}

function spawnAzurite(options: AzuriteOptions): ChildProcess {
  // Under tsx or vitest this module is TypeScript: the child needs tsx's loader; built, it is plain JS.
  const typescript = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(`./azurite-process.${typescript ? 'ts' : 'js'}`, import.meta.url));
  const child = fork(entry, [], {
    execArgv: typescript ? ['--import', 'tsx'] : [],
    env: { ...process.env, AZURITE_PROCESS_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return child;
}

type ReplyOf<T extends AzuriteReply['type']> = Extract<AzuriteReply, { type: T }>;

function untilReply<T extends 'ready' | 'counts'>(child: ChildProcess, type: T, timeoutMs: number): Promise<ReplyOf<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`Azurite did not answer "${type}" within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (reply: AzuriteReply) => {
      if (reply.type === type) finish(undefined, reply as ReplyOf<T>);
      else if (reply.type === 'failed') finish(new Error(`Azurite failed to start: ${reply.message}`));
    };
    const onExit = (code: number | null) => finish(new Error(`Azurite exited (${code}) before "${type}"`));
    function finish(error?: Error, reply?: ReplyOf<T>) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(reply!);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send({ type: 'close' } satisfies AzuriteRequest);
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), CLOSE_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function portOf(endpoint: string): number {
  return Number(new URL(endpoint).port);
}
