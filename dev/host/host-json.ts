// Reads the queue settings of host.json so that the local host retries and poisons messages exactly as
// the Azure host configured by the same file does.
import { readFileSync } from 'node:fs';
import type { QueueSettings } from './queue-poller.js';

/** "hh:mm:ss" (optionally "d.hh:mm:ss") to seconds; undefined when absent or malformed. */
export function timeSpanSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(value.trim());
  if (!m) return undefined;
  const [, days, h, min, s] = m;
  return Number(days ?? 0) * 86_400 + Number(h) * 3_600 + Number(min) * 60 + Number(s);
}

export function readQueueSettings(hostJsonPath: string): Partial<QueueSettings> {
  let queues: Record<string, unknown> = {};
  try {
    const hostJson = JSON.parse(readFileSync(hostJsonPath, 'utf8')) as { extensions?: { queues?: Record<string, unknown> } };
    queues = hostJson.extensions?.queues ?? {};
  } catch {
    return {};
  }
  const settings: Partial<QueueSettings> = {};
  if (typeof queues.batchSize === 'number') settings.batchSize = Math.min(32, Math.max(1, queues.batchSize));
  if (typeof queues.maxDequeueCount === 'number') settings.maxDequeueCount = queues.maxDequeueCount;
  const visibility = timeSpanSeconds(queues.visibilityTimeout);
  if (visibility !== undefined) settings.visibilityTimeoutSeconds = visibility;
  const polling = timeSpanSeconds(queues.maxPollingInterval);
  if (polling !== undefined) settings.maxPollingIntervalMs = Math.max(100, polling * 1000);
  return settings;
}
