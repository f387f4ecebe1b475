// Helpers for the hardening tests: the HTTP routes the local host serves, read from functions/definitions.ts
// and the local console's (so a new route is fuzzed without touching these tests), raw HTTP requests (any method, raw bytes, raw query strings),
// and a snapshot of every table the run's app owns.
import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { consoleFunctions } from '../../dev/console/functions.js';
import { definitions } from '../../functions/definitions.js';
import type { HttpFunctionDefinition } from '../../shared/runtime/function-definitions.js';
import type { StorageSettings } from '../../shared/config.js';
import { createTableClient, createTableServiceClient } from '../../shared/store/index.js';

/** Every HTTP route `npm start` serves against the simulator: the app's and the local console's. */
export const httpRoutes: readonly HttpFunctionDefinition[] = [...definitions, ...consoleFunctions(process.env.M365_SIMULATOR_URL!)].filter(
  (d): d is HttpFunctionDefinition => d.kind === 'http',
);

/** The `{name}` parameters of a route template (`{id}`, `{id?}`, `{*rest}`, `{id:int}`). */
export function routeParams(route: string): string[] {
  return [...route.matchAll(/\{\*?([A-Za-z0-9_]+)\??(?::[^}]*)?\}/g)].map((m) => m[1]!);
}

/** The route with each parameter replaced by its (already URL-encoded) value. */
export function fillRoute(route: string, values: Record<string, string>): string {
  return route.replace(/\{\*?([A-Za-z0-9_]+)\??(?::[^}]*)?\}/g, (_, name: string) => values[name] ?? 'x');
}

/** Where a route's answers are shaped: browser pages, Graph's endpoints, or the JSON API. */
export function routeKind(def: HttpFunctionDefinition): 'html' | 'graph' | 'console' | 'json' {
  if (def.route.startsWith('graph/')) return 'graph';
  // The local console (a development tool, dev/console): pages, assets, form posts and a webhook receiver.
  if (def.route === 'console' || def.route.startsWith('console/')) return 'console';
  if (def.description?.auth === 'browserPage') return 'html';
  return 'json';
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

/** One HTTP/1.1 request with exactly these bytes: no method, header or body rules of fetch applied. */
export function rawRequest(baseUrl: string, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers: { ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const all = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: all, text: all.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A table prefix for one test file, so its snapshot sees only its own app's rows. */
export function newTablePrefix(): string {
  return `h${randomBytes(5).toString('hex')}`;
}

/** Every row of every table whose name starts with `prefix`, as comparable JSON (etags included). */
export async function snapshotTables(storage: StorageSettings, prefix: string, exclude: (table: string, row: Record<string, unknown>) => boolean = () => false): Promise<Record<string, string[]>> {
  const service = createTableServiceClient(storage);
  const snapshot: Record<string, string[]> = {};
  for await (const table of service.listTables()) {
    const name = table.name ?? '';
    if (!name.startsWith(prefix)) continue;
    const rows: string[] = [];
    for await (const entity of createTableClient(storage, name).listEntities()) {
      const row = entity as Record<string, unknown>;
      if (exclude(name.slice(prefix.length), row)) continue;
      const { timestamp: _timestamp, ...rest } = row;
      const sorted = Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
      rows.push(JSON.stringify(sorted, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)));
    }
    // A table created empty (lazily, on first use) holds no state.
    if (rows.length > 0) snapshot[name.slice(prefix.length)] = rows.sort();
  }
  return snapshot;
}

/** The security headers every HTML page must carry (shared/http/html.ts). */
export function missingSecurityHeaders(headers: Record<string, string | string[] | undefined> | Headers): string[] {
  const get = (name: string) => (headers instanceof Headers ? headers.get(name) : ((headers[name] as string | undefined) ?? null));
  const missing: string[] = [];
  const csp = get('content-security-policy') ?? '';
  if (!/default-src 'none'/.test(csp)) missing.push("CSP default-src 'none'");
  if (!/frame-ancestors 'none'/.test(csp) && get('x-frame-options')?.toUpperCase() !== 'DENY') missing.push('frame-ancestors / X-Frame-Options');
  if (get('x-content-type-options') !== 'nosniff') missing.push('X-Content-Type-Options');
  if (!get('referrer-policy')) missing.push('Referrer-Policy');
  return missing;
}
