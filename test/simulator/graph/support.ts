// Test helpers: an in-process simulator (default modules and seed), real Graph clients built with the app's
// own factory, the control API, and a local HTTP receiver for webhooks.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@microsoft/microsoft-graph-client';
import { SIMULATED_CLIENT_ID } from '../../../dev/simulator/seed.js';
import { createGraphClient } from '../../../shared/graph/client.js';
import { simulatorTransports } from '../../../dev/simulated-microsoft.js';
import { SEED_ROOMS, SEED_TENANT, SEED_USERS } from '../../../dev/simulator/seed.js';
import { startSimulator, type RunningSimulator } from '../../../dev/simulator/server.js';
import { waitFor } from '../../support/wait-for.js';

export { SEED_ROOMS, SEED_TENANT, SEED_USERS };

export interface Who {
  userId?: string;
  scopes?: string[];
  roles?: string[];
}

export const ADELE: Who = { userId: SEED_USERS.adele.id, scopes: ['User.Read', 'Calendars.ReadWrite', 'offline_access'] };
export const APP_ONLY: Who = { roles: ['Calendars.ReadWrite', 'User.Read.All'] };

export interface GraphSim {
  sim: RunningSimulator;
  client(who?: Who, maxRetries?: number): Client;
  control<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  token(who?: Who): Promise<string>;
  close(): Promise<void>;
}

export async function startGraphSim(): Promise<GraphSim> {
  const sim = await startSimulator();
  const token = (who: Who = ADELE) => sim.state.identity.issueGraphToken({ tenantId: SEED_TENANT.id, appId: SIMULATED_CLIENT_ID, ...who });
  return {
    sim,
    token,
    client: (who = ADELE, maxRetries = 3) =>
      createGraphClient({
        getAccessToken: () => token(who),
        config: { graphBaseUrl: 'https://graph.microsoft.com' },
        fetch: simulatorTransports(sim.url).fetch,
        maxRetries,
        retryDelaySeconds: 1,
      }),
    async control<T>(method: string, path: string, body?: unknown) {
      const res = await fetch(sim.url + path, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
    },
    close: () => sim.close(),
  };
}

export interface Received {
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** How validation requests are answered: echo the token (Graph's rule) or something else. */
  validation: 'echo' | 'wrong-body' | 'json' | 'status-500';
  /** Statuses for the next notification POSTs (then 202). */
  statuses: number[];
  notifications(): Record<string, unknown>[];
  /** Resolves when a received request satisfies the predicate (already or later); fails naming `what` when none does in time. */
  waitFor(predicate: (r: Received) => boolean, what: string): Promise<Received>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = {
    url: '',
    received: [],
    validation: 'echo',
    statuses: [],
    notifications: () =>
      receiver.received.filter((r) => !r.query.has('validationToken')).flatMap((r) => (JSON.parse(r.body) as { value: Record<string, unknown>[] }).value),
    waitFor: (predicate, what) => waitFor(() => receiver.received.find(predicate), { message: `the receiver getting ${what}` }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      const r: Received = { path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const token = url.searchParams.get('validationToken');
      if (token !== null) {
        if (receiver.validation === 'echo') res.writeHead(200, { 'Content-Type': 'text/plain' }).end(token);
        else if (receiver.validation === 'wrong-body') res.writeHead(200, { 'Content-Type': 'text/plain' }).end(encodeURIComponent(token));
        else if (receiver.validation === 'json') res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token }));
        else res.writeHead(500).end();
      } else res.writeHead(receiver.statuses.shift() ?? 202).end();
      receiver.received.push(r);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}

/** An event body with sensible defaults. */
export function eventBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subject: 'Haircut',
    body: { contentType: 'text', content: 'Booked online' },
    start: { dateTime: '2030-03-04T09:00:00', timeZone: 'UTC' },
    end: { dateTime: '2030-03-04T09:30:00', timeZone: 'UTC' },
    ...overrides,
  };
}
