// Serves the HTTP function declarations on /api/<route>, with the request and response semantics of the
// Azure Functions host: real HttpRequest objects in, HttpResponseInit (or HttpResponse) out, output bindings
// written before the response leaves, and a handler failure answered with a bare 500.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpResponseInit } from '@azure/functions';
import { HttpRequest, HttpResponse } from './azure-functions.js';
import type { StorageSettings } from '../../shared/config.js';
import { describeError } from '../../shared/logging.js';
import type { HttpFunctionDefinition } from '../../shared/runtime/function-definitions.js';
import { serializeCookie } from './cookies.js';
import type { InFlight } from './in-flight.js';
import { createContext, flushQueueOutputs, type HostLogger } from './invocation.js';
import { readBody } from './request-body.js';
import { compareTemplates, RouteTemplate, splitPath, type RouteMatch } from './routes.js';

export const ROUTE_PREFIX = 'api';
/** The Azure Functions host refuses request bodies over 100 MB (HTTP 413). */
export const DEFAULT_MAX_REQUEST_BODY_BYTES = 100 * 1024 * 1024;

export interface HttpDispatchOptions {
  definitions: readonly HttpFunctionDefinition[];
  storage: StorageSettings;
  logger: HostLogger;
  inFlight: InFlight;
  maxRequestBodyBytes: number;
  /** Base used when a request carries no usable Host header. */
  fallbackOrigin: () => string;
  isClosing: () => boolean;
  onQueuesWritten: (queueNames: string[]) => void;
  /** Where GET / redirects (the local console); 404 when unset, as on the Azure host. */
  rootRedirect?: string;
}

interface Route {
  def: HttpFunctionDefinition;
  template: RouteTemplate;
  methods: Set<string>;
}

const NULL_BODY_STATUSES = new Set([204, 205, 304]);

export function createHttpDispatcher(options: HttpDispatchOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const routes: Route[] = options.definitions
    .map((def) => ({ def, template: new RouteTemplate(def.route), methods: new Set(def.methods.map((m) => m.toUpperCase())) }))
    .sort((a, b) => compareTemplates(a.template, b.template));

  return (req, res) => {
    dispatch(req, res).catch((error: unknown) => {
      // Only a bug in the host itself lands here: answer if still possible, never crash.
      options.logger.host('error', `request failed in the host: ${describeError(error)}`);
      if (!res.headersSent) sendEmpty(res, 500);
      else res.destroy();
    });
  };

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (options.isClosing()) return sendEmpty(res, 503, { Connection: 'close' });
    const method = (req.method ?? 'GET').toUpperCase();
    const rawPath = (req.url ?? '/').split('?')[0]!;
    const below = belowPrefix(rawPath);
    if (rawPath === '/' && options.rootRedirect && (method === 'GET' || method === 'HEAD')) {
      return sendEmpty(res, 302, { Location: options.rootRedirect, 'Cache-Control': 'no-store' });
    }
    if (below === undefined) return sendEmpty(res, 404);

    const chosen = findRoute(routes, splitPath(below), method);
    if (chosen === 'not-found') return sendEmpty(res, 404);
    if ('allowed' in chosen) {
      // The Azure host answers 404 here; 405 with Allow tells a developer what went wrong (README: Local host).
      return sendEmpty(res, 405, { Allow: chosen.allowed.join(', ') });
    }

    const body = await readBody(req, options.maxRequestBodyBytes);
    if (body === 'too-large') return sendEmpty(res, 413, { Connection: 'close' }, () => req.destroy());

    const request = new HttpRequest({
      method,
      url: absoluteUrl(req, options.fallbackOrigin()),
      headers: flattenHeaders(req),
      params: chosen.match.params,
      body: body.length > 0 && method !== 'GET' && method !== 'HEAD' ? { bytes: body } : undefined,
    });
    const def = chosen.route.def;
    const startedAt = performance.now();
    const context = createContext(def, options.logger, { params: chosen.match.params });

    await options.inFlight.track(
      (async () => {
        let response: HttpResponse;
        try {
          const result: unknown = await def.handler(request, context);
          response = toHttpResponse(result);
          options.onQueuesWritten(await flushQueueOutputs(def, context, options.storage));
        } catch (error) {
          context.error(`Executed '${def.name}' (Failed): ${describeError(error)}`);
          return sendEmpty(res, 500);
        }
        await writeResponse(res, response, method === 'HEAD');
        context.debug(`${method} ${rawPath} -> ${response.status} in ${Math.round(performance.now() - startedAt)} ms`);
      })(),
    );
  }
}

/**
 * The first route, most specific first, whose template matches and which takes the method; else the methods
 * the matching routes take (for 405), or not-found. Stops at the first fit: no work per route after it.
 */
function findRoute(routes: readonly Route[], parts: readonly string[], method: string): { route: Route; match: RouteMatch } | { allowed: string[] } | 'not-found' {
  const allowed = new Set<string>();
  for (const route of routes) {
    const match = route.template.matchSegments(parts);
    if (!match) continue;
    if (route.methods.has(method)) return { route, match };
    for (const m of route.methods) allowed.add(m);
  }
  return allowed.size === 0 ? 'not-found' : { allowed: [...allowed].sort() };
}

function belowPrefix(path: string): string | undefined {
  const prefix = `/${ROUTE_PREFIX}`;
  if (path.toLowerCase() === prefix || path.toLowerCase() === `${prefix}/`) return '';
  if (!path.toLowerCase().startsWith(`${prefix}/`)) return undefined;
  return path.slice(prefix.length + 1).replace(/\/$/, '');
}

function absoluteUrl(req: IncomingMessage, fallbackOrigin: string): string {
  const host = req.headers.host;
  if (host) {
    try {
      return new URL(req.url ?? '/', `http://${host}`).href;
    } catch {
      // A malformed Host header: fall back to the listening address.
    }
  }
  return new URL(req.url ?? '/', fallbackOrigin).href;
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** As the worker does: an HttpResponse as is, an object through `new HttpResponse(init)`, nothing as 204. */
function toHttpResponse(result: unknown): HttpResponse {
  if (result === undefined || result === null) return new HttpResponse({ status: 204 });
  if (result instanceof HttpResponse) return result;
  if (typeof result !== 'object') {
    throw new Error('The HTTP response must be an object with optional properties "body", "status", "headers", and "cookies".');
  }
  return new HttpResponse(result as HttpResponseInit);
}

async function writeResponse(res: ServerResponse, response: HttpResponse, isHead: boolean): Promise<void> {
  const noBody = isHead || NULL_BODY_STATUSES.has(response.status);
  const body = noBody ? undefined : Buffer.from(await response.arrayBuffer());
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') res.setHeader(name, value);
  }
  const setCookies = [...response.headers.getSetCookie(), ...response.cookies.map(serializeCookie)];
  if (setCookies.length > 0) res.setHeader('Set-Cookie', setCookies);
  if (body) res.setHeader('Content-Length', body.length);
  res.writeHead(response.status);
  res.end(body);
}

function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}, after?: () => void): void {
  res.writeHead(status, { ...headers, 'Content-Length': '0' });
  res.end(after);
}
