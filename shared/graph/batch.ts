// JSON batching (https://learn.microsoft.com/en-us/graph/json-batching, https://learn.microsoft.com/en-us/graph/throttling-limits): requests go out in $batch calls of at most 20, one batch in flight per
// mailbox (Graph hands Outlook at most four items of a batch at a time, so one batch per mailbox keeps us at
// Outlook's four concurrent requests per mailbox), and items answered 429/503 are sent again, in a new batch,
// after the longest Retry-After among them (bounded). Nothing else is followed: callers handle nextLinks and
// every other status themselves, from the per-item results.
import type { Client } from '@microsoft/microsoft-graph-client';
import { setTimeout as sleep } from 'node:timers/promises';
import { GRAPH_ORIGIN } from './client.js';
import { withImmutableIds } from './immutable-ids.js';

export const MAX_BATCH_SIZE = 20;
/** Outlook's per-mailbox concurrency, which a single batch already saturates. */
export const MAILBOX_CONCURRENCY = 4;

export interface BatchRequestItem {
  /** Unique (case-insensitively) among the items of one runBatch call. */
  id: string;
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Relative to the version root: `/me/calendars/{id}/calendarView?...` (see relativeGraphUrl). */
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Which mailbox the item touches, e.g. a UPN; items without one count as one mailbox ("me"). */
  mailbox?: string;
}

export interface BatchItemResult {
  id: string;
  status: number;
  /** Header names as Graph sent them; read them with headerOf(). */
  headers: Record<string, string>;
  body?: unknown;
  /** How many times the item was sent (1 when it was not retried). */
  attempts: number;
}

export interface BatchOptions {
  /** How many times an item answered 429/503 is sent again (default 3). */
  maxItemRetries?: number;
  /** Upper bound on one wait, whatever Retry-After says (default 30 s). */
  maxRetryAfterSeconds?: number;
  /** Wait when a retryable item has no Retry-After: 1 s, doubled on each retry (default 1). */
  defaultRetryAfterSeconds?: number;
  /** Batches for different mailboxes in flight at once (default 4). */
  maxParallelMailboxes?: number;
  /** Applied to every $batch HTTP call (e.g. AbortSignal.timeout). */
  signal?: () => AbortSignal | undefined;
}

const RETRYABLE = new Set([429, 503]);

/** Sends the items with $batch and returns one result per item id (the last answer when retried). */
export async function runBatch(client: Client, items: readonly BatchRequestItem[], options: BatchOptions = {}): Promise<Map<string, BatchItemResult>> {
  assertUniqueIds(items);
  const byMailbox = new Map<string, BatchRequestItem[]>();
  for (const item of items) {
    const key = (item.mailbox ?? 'me').toLowerCase();
    byMailbox.set(key, [...(byMailbox.get(key) ?? []), item]);
  }
  const results = new Map<string, BatchItemResult>();
  const queues = [...byMailbox.values()];
  const parallel = Math.max(1, options.maxParallelMailboxes ?? 4);
  const workers = Array.from({ length: Math.min(parallel, queues.length) }, async () => {
    for (let queue = queues.shift(); queue; queue = queues.shift()) {
      for (const result of await runMailbox(client, queue, options)) results.set(result.id, result);
    }
  });
  await Promise.all(workers);
  return results;
}

/** One mailbox's items: chunks of 20, one after another, each with its own retry rounds. */
async function runMailbox(client: Client, items: readonly BatchRequestItem[], options: BatchOptions): Promise<BatchItemResult[]> {
  const out: BatchItemResult[] = [];
  for (let i = 0; i < items.length; i += MAX_BATCH_SIZE) out.push(...(await runChunk(client, items.slice(i, i + MAX_BATCH_SIZE), options)));
  return out;
}

async function runChunk(client: Client, chunk: readonly BatchRequestItem[], options: BatchOptions): Promise<BatchItemResult[]> {
  const maxRetries = options.maxItemRetries ?? 3;
  const cap = options.maxRetryAfterSeconds ?? 30;
  const fallback = options.defaultRetryAfterSeconds ?? 1;
  const done = new Map<string, BatchItemResult>();
  let pending = [...chunk];
  for (let attempt = 1; pending.length > 0; attempt += 1) {
    const answers = await postBatch(client, pending, options.signal?.());
    const retry: BatchRequestItem[] = [];
    let waitSeconds = 0;
    for (const item of pending) {
      const answer = answers.get(item.id.toLowerCase()) ?? missingAnswer(item.id);
      done.set(item.id, { ...answer, id: item.id, attempts: attempt });
      if (RETRYABLE.has(answer.status) && attempt <= maxRetries) {
        retry.push(item);
        const after = Number(headerOf(answer.headers, 'Retry-After'));
        waitSeconds = Math.max(waitSeconds, Number.isFinite(after) && after >= 0 ? after : fallback * 2 ** (attempt - 1));
      }
    }
    pending = retry;
    if (pending.length > 0) await sleep(Math.min(waitSeconds, cap) * 1000 + Math.random() * 50);
  }
  return chunk.map((item) => done.get(item.id)!);
}

interface RawAnswer {
  id?: string;
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

async function postBatch(client: Client, items: readonly BatchRequestItem[], signal: AbortSignal | undefined): Promise<Map<string, Omit<BatchItemResult, 'attempts'>>> {
  const requests = items.map((item) => {
    const hasBody = item.body !== undefined;
    const given = { ...item.headers };
    const preferKey = Object.keys(given).find((k) => k.toLowerCase() === 'prefer');
    const prefer = preferKey ? given[preferKey] : undefined;
    if (preferKey) delete given[preferKey];
    const headers = { ...(hasBody ? { 'Content-Type': 'application/json' } : {}), ...given, Prefer: withImmutableIds(prefer) };
    return {
      id: item.id,
      method: item.method,
      url: item.url,
      headers,
      ...(hasBody ? { body: item.body } : {}),
    };
  });
  let call = client.api('/$batch');
  if (signal) call = call.options({ signal });
  const response = (await call.post({ requests })) as { responses?: RawAnswer[] };
  const answers = new Map<string, Omit<BatchItemResult, 'attempts'>>();
  for (const r of response.responses ?? []) {
    if (typeof r.id !== 'string') continue;
    answers.set(r.id.toLowerCase(), { id: r.id, status: r.status ?? 500, headers: r.headers ?? {}, body: r.body });
  }
  return answers;
}

function missingAnswer(id: string): Omit<BatchItemResult, 'attempts'> {
  return { id, status: 502, headers: {}, body: { error: { code: 'MissingBatchResponse', message: 'Graph returned no answer for this item.' } } };
}

function assertUniqueIds(items: readonly BatchRequestItem[]): void {
  const seen = new Set<string>();
  for (const item of items) {
    const key = item.id.toLowerCase();
    if (seen.has(key)) throw new Error(`duplicate batch item id ${item.id}`);
    seen.add(key);
  }
}

/** A header of a batch item, whatever its letter case. */
export function headerOf(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/** An absolute Graph URL (an @odata.nextLink) as the relative URL a batch item needs. */
export function relativeGraphUrl(url: string): string {
  let path = url.startsWith(GRAPH_ORIGIN) ? url.slice(GRAPH_ORIGIN.length) : url.replace(/^https?:\/\/[^/]+/i, '');
  path = path.replace(/^\/(v1\.0|beta)(?=\/)/i, '');
  return path.startsWith('/') ? path : `/${path}`;
}

/** Graph's error code and message of a failed item, for logs and problems. */
export function itemError(result: BatchItemResult): { code: string; message: string } {
  const error = (result.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return { code: String(error?.code ?? `http_${result.status}`), message: String(error?.message ?? '') };
}
