// The Microsoft 365 simulator: a real HTTP server standing in for the identity platform and the subset
// of Microsoft Graph that the app uses. Modules register their routes on one router.
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols, https://learn.microsoft.com/en-us/graph/overview
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Router, type SimRequest, type SimResponse } from './router.js';
import { SimState } from './state.js';

/** A simulator module: registers its routes and keeps whatever state it needs. */
export type SimModule = (router: Router, state: SimState, sim: { baseUrl: () => string }) => void;

export interface RunningSimulator {
  url: string;
  state: SimState;
  close(): Promise<void>;
}

export interface SimulatorOptions {
  port?: number;
  host?: string;
  modules?: SimModule[];
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const state = new SimState();
  const router = new Router();
  let baseUrl = '';
  const modules = options.modules ?? (await import('./modules.js')).defaultModules;
  for (const register of modules) register(router, state, { baseUrl: () => baseUrl });

  const server: Server = createServer((req, res) => {
    handle(router, req, res).catch((error: unknown) => {
      console.error('simulator error', error);
      if (!res.headersSent) send(res, { status: 500, body: { error: { code: 'InternalServerError', message: 'Simulator failure' } } });
      else res.end();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  baseUrl = `http://${options.host ?? '127.0.0.1'}:${address.port}`;
  return {
    url: baseUrl,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(router: Router, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://simulator');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      send(res, { status: 413, body: { error: { code: 'RequestEntityTooLarge', message: 'The request body is too large.' } } });
      return;
    }
    chunks.push(chunk);
  }
  const method = req.method ?? 'GET';
  const found = router.match(method, url.pathname);
  if (!found) {
    send(res, { status: 404, body: { error: { code: 'ResourceNotFound', message: `No route for ${method} ${url.pathname}` } } });
    return;
  }
  if ('allowed' in found) {
    send(res, {
      status: 405,
      headers: { Allow: found.allowed.join(', ') },
      body: { error: { code: 'MethodNotAllowed', message: `${method} is not allowed here` } },
    });
    return;
  }
  const simReq: SimRequest = {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    params: found.params,
    body: Buffer.concat(chunks),
    url,
  };
  const result = await found.handler(simReq, res);
  if (result) send(res, result);
}

export function send(res: ServerResponse, result: SimResponse): void {
  const headers: Record<string, string> = { ...result.headers };
  let payload: string | Buffer | undefined;
  if (result.body === undefined || result.body === null) payload = undefined;
  else if (typeof result.body === 'string' || Buffer.isBuffer(result.body)) payload = result.body;
  else {
    payload = JSON.stringify(result.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  }
  res.writeHead(result.status, headers);
  res.end(payload);
}
