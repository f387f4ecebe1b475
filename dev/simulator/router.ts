// A minimal router for the simulator's HTTP server: method + path pattern (`:name` segments) -> handler.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SimRequest {
  method: string;
  /** Path without query, as received (not lower-cased). */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  params: Record<string, string>;
  /** The raw body (empty for GET). */
  body: Buffer;
  url: URL;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON. */
  body?: unknown;
}

export type SimHandler = (req: SimRequest, res: ServerResponse) => Promise<SimResponse | void> | SimResponse | void;

interface Route {
  method: string;
  parts: string[];
  handler: SimHandler;
}

export class Router {
  private routes: Route[] = [];

  on(method: string, pattern: string, handler: SimHandler): this {
    this.routes.push({ method: method.toUpperCase(), parts: split(pattern), handler });
    return this;
  }

  /** Finds a handler; path segments match case-insensitively (Graph paths are case-insensitive). */
  match(method: string, path: string): { handler: SimHandler; params: Record<string, string> } | { allowed: string[] } | undefined {
    const parts = split(path);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchParts(route.parts, parts);
      if (!params) continue;
      if (route.method === method.toUpperCase() || route.method === '*') return { handler: route.handler, params };
      allowed.push(route.method);
    }
    return allowed.length ? { allowed } : undefined;
  }
}

function split(path: string): string[] {
  return path.split('/').filter(Boolean);
}

function matchParts(pattern: string[], actual: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === '*') {
      params['*'] = actual.slice(i).map(safeDecode).join('/');
      return params;
    }
    const a = actual[i];
    if (a === undefined) return undefined;
    if (p.startsWith(':')) params[p.slice(1)] = safeDecode(a);
    else if (p.toLowerCase() !== a.toLowerCase()) return undefined;
  }
  return pattern.length === actual.length ? params : undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
