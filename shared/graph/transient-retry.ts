// Reads that must not fail on a passing fault: a Graph read repeated while Graph throttles (429), is
// unavailable (503), times out at its gateway (504) or the connection drops, waiting as long as Graph's
// Retry-After asks (https://learn.microsoft.com/en-us/graph/throttling) and no longer than a deadline.
// Only for reads: repeating them changes nothing. (The Graph client's own handler already retries each
// request a few times; this outlasts it, and covers network failures it does not retry.)
import { setTimeout as sleep } from 'node:timers/promises';
import { retryAfterSeconds } from './client.js';
import { graphStatus, isGraphAnswer, isGraphTimeout } from './graph-problems.js';

const TRANSIENT_STATUSES = new Set([429, 503, 504]);
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 8_000;

export function isTransientGraphError(error: unknown): boolean {
  const status = graphStatus(error);
  if (status !== undefined && TRANSIENT_STATUSES.has(status)) return true;
  return !isGraphAnswer(error) && isGraphTimeout(error);
}

/** Runs `read` until it succeeds, fails for good, or the next wait would pass `deadline` (epoch ms). */
export async function retryTransientReads<T>(read: () => Promise<T>, deadline: number): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await read();
    } catch (error) {
      if (!isTransientGraphError(error)) throw error;
      const backoff = Math.min(FIRST_BACKOFF_MS * 2 ** attempt, MAX_BACKOFF_MS);
      const waitMs = Math.max((retryAfterSeconds(error) ?? 0) * 1000, backoff);
      if (Date.now() + waitMs >= deadline) throw error;
      await sleep(waitMs);
    }
  }
}
