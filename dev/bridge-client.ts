// Calendar Bridge's public API as a booking system calls it, with a client's API key: openapi-fetch over the
// types `npm run docs` generates (client/calendar-bridge-api.d.ts), as the README shows booking systems.
// The local console and the chaos run are booking systems of this kind; neither takes a shortcut into the app.
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from '../client/calendar-bridge-api.js';

export type BridgeClient = Client<paths>;

/** A client of the app at `baseUrl` (its origin, without /api); each request gives up after `timeoutMs`. */
export function bridgeClient(baseUrl: string, apiKey: string, timeoutMs = 30_000): BridgeClient {
  return createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${apiKey}` },
    fetch: (request) => fetch(request, { signal: AbortSignal.timeout(timeoutMs) }),
  });
}

/** A problem answer (application/problem+json) of the API, as an error. */
export class BridgeApiError extends Error {
  override name = 'BridgeApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The answer's data, read as `T` (the description leaves some answers' fields open); a BridgeApiError for a
 * 4xx/5xx, with the problem's code and detail.
 */
export async function answerOf<T>(call: Promise<{ data?: unknown; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) {
    const problem = (error ?? {}) as { code?: string; detail?: string; title?: string };
    const path = new URL(response.url).pathname;
    throw new BridgeApiError(response.status, problem.code ?? 'error', `${path}: ${response.status} ${problem.detail ?? problem.title ?? ''}`.trim());
  }
  return data as T;
}
