// What every invocation needs, whatever its trigger: a real InvocationContext whose log lines are redacted,
// and, once the handler has returned, the storageQueue output bindings written to Azurite as the host does.
import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import type { LogLevel, TriggerMetadata } from '@azure/functions';
import { InvocationContext } from './azure-functions.js';
import type { StorageSettings } from '../../shared/config.js';
import { redact } from '../../shared/logging.js';
import { enqueue } from '../../shared/queues/queue-client.js';
import { isQueueOutput, type FunctionDefinition } from '../../shared/runtime/function-definitions.js';

export type HostLogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogSink = (line: string) => void;

const RANK: Record<HostLogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const FROM_FUNCTIONS: Record<LogLevel, HostLogLevel | undefined> = {
  trace: 'debug',
  debug: 'debug',
  information: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'error',
  none: undefined,
};

/** Writes one redacted, timestamped line per log call at or above the minimum level. */
export class HostLogger {
  constructor(
    private readonly sink: LogSink,
    private readonly minLevel: HostLogLevel = 'info',
  ) {}

  write(level: HostLogLevel, source: string, args: unknown[]): void {
    if (RANK[level] < RANK[this.minLevel]) return;
    const text = redact(format(...args));
    this.sink(`${new Date().toISOString()} ${level.padEnd(5)} [${source}] ${text}`);
  }

  host(level: HostLogLevel, ...args: unknown[]): void {
    this.write(level, 'host', args);
  }
}

const TRIGGER_TYPE = { http: 'httpTrigger', timer: 'timerTrigger', queue: 'queueTrigger' } as const;
const TRIGGER_NAME = { http: 'request', timer: 'timer', queue: 'queueItem' } as const;

export function createContext(def: FunctionDefinition, logger: HostLogger, triggerMetadata?: TriggerMetadata): InvocationContext {
  const invocationId = randomUUID();
  const source = `${def.name} ${invocationId.slice(0, 8)}`;
  return new InvocationContext({
    invocationId,
    functionName: def.name,
    triggerMetadata,
    logHandler: (level, ...args) => {
      const mapped = FROM_FUNCTIONS[level];
      if (mapped) logger.write(mapped, source, args);
    },
    options: {
      trigger: { type: TRIGGER_TYPE[def.kind], name: TRIGGER_NAME[def.kind] },
      extraOutputs: def.extraOutputs ?? [],
      extraInputs: [],
    },
  });
}

/**
 * Sends what the handler set on each storageQueue output: one message, or one per element of an array
 * (as the host does). Returns the names of the queues written, so their pollers can look right away.
 */
export async function flushQueueOutputs(def: FunctionDefinition, context: InvocationContext, storage: StorageSettings): Promise<string[]> {
  const written: string[] = [];
  for (const output of def.extraOutputs ?? []) {
    if (!isQueueOutput(output)) continue;
    const value: unknown = context.extraOutputs.get(output);
    if (value === undefined || value === null) continue;
    const messages = Array.isArray(value) ? value : [value];
    for (const message of messages) await enqueue(storage, output.queueName, message);
    if (messages.length > 0) written.push(output.queueName);
  }
  return written;
}
