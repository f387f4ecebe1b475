// Helpers shared by the local-host tests: unique queue names, a log collector, a latch.
import { randomUUID } from 'node:crypto';
import { getConfig, type StorageSettings } from '../../shared/config.js';

export function storage(): StorageSettings {
  return getConfig().storage;
}

/** Queue names are shared by every test file of the run (one Azurite), so each test gets its own. */
export function uniqueQueueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function logCollector(): { lines: string[]; log: (line: string) => void } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}

/** A promise with its resolve function exposed, to hold a handler until the test lets it go. */
export function latch<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
