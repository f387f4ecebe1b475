// POST /$batch: at most 20 requests with unique ids, dependsOn (424 for dependents of failed requests),
// at most 4 items running at once (Graph hands Outlook four at a time); each item passes through the same
// pipeline (counters, per-mailbox limits: a 5th concurrent item for a mailbox gets its own 429).
// https://learn.microsoft.com/en-us/graph/json-batching (20 requests, ids, dependsOn, 424, Content-Type with a
// body, base64 bodies, 200 for any parseable batch); each item counts against Outlook's per-mailbox limits and
// a throttled item alone gets 429: https://learn.microsoft.com/en-us/graph/throttling#throttling-and-batching,
// https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits
import { randomUUID } from 'node:crypto';
import type { SimResponse } from '../router.js';
import { type RequestIds, badRequest, errorResponse, GraphHttpError } from './errors.js';
import type { GraphRequest } from './pipeline.js';
import type { GraphWorld } from './world.js';

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  dependsOn: string[];
}

const MAX_REQUESTS = 20;
const PARALLEL = 4;

function parseBatch(raw: unknown): BatchItem[] {
  const requests = (raw as { requests?: unknown })?.requests;
  if (!Array.isArray(requests)) throw badRequest('Invalid batch payload format.');
  if (requests.length > MAX_REQUESTS)
    throw badRequest(`The number of requests in the batch (${requests.length}) exceeds the limit of ${MAX_REQUESTS}.`);
  const items = requests.map((r: unknown): BatchItem => {
    const x = (r ?? {}) as Record<string, unknown>;
    if (typeof x.id !== 'string' || !x.id) throw badRequest('Invalid batch payload format: every request needs an id.');
    if (typeof x.method !== 'string' || typeof x.url !== 'string') throw badRequest(`Invalid batch payload format: request ${x.id} needs a method and a url.`);
    const headers: Record<string, string> = {};
    if (x.headers && typeof x.headers === 'object') for (const [k, v] of Object.entries(x.headers)) headers[k.toLowerCase()] = String(v);
    const dependsOn = Array.isArray(x.dependsOn) ? x.dependsOn.map(String) : [];
    return { id: x.id, method: x.method.toUpperCase(), url: x.url, headers, body: x.body, dependsOn };
  });
  const ids = new Set<string>();
  for (const item of items) {
    const key = item.id.toLowerCase();
    if (ids.has(key)) throw badRequest(`Batch request has duplicate request id '${item.id}'.`);
    ids.add(key);
  }
  for (const item of items)
    for (const dep of item.dependsOn)
      if (!ids.has(dep.toLowerCase()) || dep.toLowerCase() === item.id.toLowerCase())
        throw badRequest(`Request ${item.id} depends on '${dep}', which is not a request of this batch.`);
  const byId = new Map(items.map((i) => [i.id.toLowerCase(), i]));
  const visiting = new Set<string>();
  const visit = (id: string): void => {
    if (visiting.has(id)) throw badRequest('Batch request dependsOn forms a cycle.');
    visiting.add(id);
    for (const dep of byId.get(id)!.dependsOn) visit(dep.toLowerCase());
    visiting.delete(id);
  };
  for (const id of byId.keys()) visit(id);
  return items;
}

function itemResponse(id: string, r: SimResponse): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) {
    if (['request-id', 'client-request-id', 'odata-version'].includes(k.toLowerCase())) continue;
    headers[k.toLowerCase() === 'content-type' ? 'Content-Type' : k] = v;
  }
  // The JS client parses an item's body only when headers["Content-Type"] (exactly) says JSON.
  if (r.body !== undefined && typeof r.body === 'object') headers['Content-Type'] = 'application/json';
  return { id, status: r.status, headers, ...(r.body !== undefined ? { body: r.body } : {}) };
}

export function registerBatchRoute(world: GraphWorld): void {
  world.pipeline.route('POST', '/$batch', 'any', async (req: GraphRequest) => {
    const items = parseBatch(req.json());
    const results = new Map<string, SimResponse>();
    const done = new Map<string, Promise<void>>();
    let running = 0;
    const waiters: (() => void)[] = [];
    const slot = async () => {
      while (running >= PARALLEL) await new Promise<void>((resolve) => waiters.push(resolve));
      running++;
    };
    const free = () => {
      running--;
      waiters.shift()?.();
    };
    const ids = (): RequestIds => ({ requestId: randomUUID(), clientRequestId: req.ids.clientRequestId, date: world.state.clock.date() });

    const run = async (item: BatchItem): Promise<void> => {
      await Promise.resolve(); // every item's promise is registered before any waits on another
      await Promise.all(item.dependsOn.map((d) => done.get(d.toLowerCase())));
      const failed = item.dependsOn.find((d) => (results.get(d.toLowerCase())?.status ?? 500) >= 400);
      if (failed) {
        results.set(item.id.toLowerCase(), errorResponse(new GraphHttpError(424, 'FailedDependency', `The request depends on request ${failed}, which failed.`), ids()));
        return;
      }
      await slot();
      try {
        results.set(item.id.toLowerCase(), await execute(item));
      } finally {
        free();
      }
    };

    const execute = async (item: BatchItem): Promise<SimResponse> => {
      if (/^https?:/i.test(item.url) || !item.url.startsWith('/'))
        return errorResponse(badRequest('Batch request urls must be relative, e.g. /me/events.'), ids());
      const hasBody = item.body !== undefined && item.body !== null;
      if (hasBody && !item.headers['content-type'])
        return errorResponse(badRequest('A Content-Type header is required for a batch request with a body.'), ids());
      const body = !hasBody ? Buffer.alloc(0) : typeof item.body === 'string' ? Buffer.from(item.body, 'base64') : Buffer.from(JSON.stringify(item.body));
      return world.pipeline.execute({
        caller: req.caller,
        method: item.method,
        url: item.url.replace(/^\/v1\.0(?=\/)/i, ''),
        headers: item.headers,
        body,
        ids: ids(),
      });
    };

    for (const item of items) done.set(item.id.toLowerCase(), run(item));
    await Promise.all(done.values());
    return { status: 200, body: { responses: items.map((i) => itemResponse(i.id, results.get(i.id.toLowerCase())!)) } };
  });
}
