// HTTP semantics of the local host: the same request and response behaviour as the Azure Functions host.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startLocalHost, type LocalHost } from '../../dev/host/index.js';
import { httpHandler, readJson } from '../../shared/http/handle.js';
import type { FunctionDefinition } from '../../shared/runtime/function-definitions.js';
import { logCollector, storage } from './support.js';

const logs = logCollector();

const definitions: FunctionDefinition[] = [
  {
    kind: 'http',
    name: 'echo',
    route: 'items/{id}/{*rest}',
    methods: ['GET', 'POST'],
    authLevel: 'anonymous',
    handler: async (request) => ({
      status: 201,
      headers: { 'x-reply': 'yes' },
      cookies: [
        { name: 'session', value: 'abc', httpOnly: true, sameSite: 'Lax', path: '/' },
        { name: 'theme', value: 'dark', maxAge: 60 },
      ],
      jsonBody: {
        method: request.method,
        params: request.params,
        q: request.query.getAll('q'),
        header: request.headers.get('x-test'),
        url: request.url,
        body: await request.text(),
      },
    }),
  },
  {
    kind: 'http',
    name: 'optional',
    route: 'opt/{name?}',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (request) => ({ jsonBody: { name: request.params.name ?? null } }),
  },
  {
    kind: 'http',
    name: 'userById',
    route: 'users/{id:int}',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (request) => ({ body: `id ${request.params.id}` }),
  },
  {
    kind: 'http',
    name: 'userMe',
    route: 'users/me',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: () => ({ body: 'me' }),
  },
  {
    kind: 'http',
    name: 'createThing',
    route: 'things',
    methods: ['POST'],
    authLevel: 'anonymous',
    handler: httpHandler(async (request) => {
      const body = await readJson(request, z.object({ name: z.string() }));
      return { status: 201, jsonBody: { name: body.name } };
    }),
  },
  {
    kind: 'http',
    name: 'boom',
    route: 'boom',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (_request, context) => {
      context.log('about to fail with access_token=abc.def.ghi');
      throw new Error('kaboom with secret=hunter2');
    },
  },
  {
    kind: 'http',
    name: 'notAnObject',
    route: 'not-an-object',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: (() => 'plain string') as never,
  },
  {
    kind: 'http',
    name: 'noContent',
    route: 'no-content',
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: () => ({ status: 204, body: 'dropped' }),
  },
  {
    kind: 'http',
    name: 'nothing',
    route: 'nothing',
    methods: ['DELETE'],
    authLevel: 'anonymous',
    handler: () => undefined as never,
  },
];

let host: LocalHost;

beforeAll(async () => {
  host = await startLocalHost({ definitions, port: 0, storage: storage(), log: logs.log });
});
afterAll(async () => {
  await host?.close();
});

describe('local host HTTP', () => {
  it('passes route params, query, headers, method and body to the handler', async () => {
    const res = await fetch(`${host.url}/api/items/42/a/b%20c?q=1&q=2`, {
      method: 'POST',
      headers: { 'x-test': 'hello', 'content-type': 'text/plain' },
      body: 'payload',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-reply')).toBe('yes');
    expect(await res.json()).toEqual({
      method: 'POST',
      params: { id: '42', rest: 'a/b c' },
      q: ['1', '2'],
      header: 'hello',
      url: `${host.url}/api/items/42/a/b%20c?q=1&q=2`,
      body: 'payload',
    });
  });

  it('turns cookies into Set-Cookie headers', async () => {
    const res = await fetch(`${host.url}/api/items/1`);
    expect(res.status).toBe(201);
    expect(res.headers.getSetCookie()).toEqual(['session=abc; Path=/; HttpOnly; SameSite=Lax', 'theme=dark; Max-Age=60']);
  });

  it('matches routes case-insensitively, with optional params and literal segments before constrained ones', async () => {
    expect(await (await fetch(`${host.url}/api/OPT/ann`)).json()).toEqual({ name: 'ann' });
    expect(await (await fetch(`${host.url}/api/opt`)).json()).toEqual({ name: null });
    expect(await (await fetch(`${host.url}/api/users/7`)).text()).toBe('id 7');
    expect(await (await fetch(`${host.url}/api/users/me`)).text()).toBe('me');
    expect((await fetch(`${host.url}/api/users/abc`)).status).toBe(404);
  });

  it('answers 404 for an unknown route and for paths outside /api', async () => {
    expect((await fetch(`${host.url}/api/nope`)).status).toBe(404);
    expect((await fetch(`${host.url}/items/1`)).status).toBe(404);
  });

  it('answers 405 with Allow for a known route and a wrong method', async () => {
    const res = await fetch(`${host.url}/api/things`, { method: 'GET' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('lets malformed JSON reach the handler, whose 400 problem is returned', async () => {
    const res = await fetch(`${host.url}/api/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ code: 'invalid_json' });

    const ok = await fetch(`${host.url}/api/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x' }),
    });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ name: 'x' });
  });

  it('answers a throwing handler with a bare 500, logs it redacted, and keeps serving', async () => {
    const res = await fetch(`${host.url}/api/boom`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('');
    const text = logs.lines.join('\n');
    expect(text).toContain("Executed 'boom' (Failed)");
    expect(text).toContain('about to fail');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('abc.def.ghi');

    expect((await fetch(`${host.url}/api/not-an-object`)).status).toBe(500);
    expect((await fetch(`${host.url}/api/items/1`)).status).toBe(201);
  });

  it('drops the body of a 204 and answers 204 when the handler returns nothing', async () => {
    const res = await fetch(`${host.url}/api/no-content`);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect((await fetch(`${host.url}/api/nothing`, { method: 'DELETE' })).status).toBe(204);
  });

  it('passes on a body that arrives in several chunks, whole and in order', async () => {
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(`${host.url}/api/items/1/chunks`, { method: 'POST', headers: { 'content-type': 'text/plain' } });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.write('first ');
      req.flushHeaders();
      setImmediate(() => req.end('second'));
    });
    expect(status).toBe(201);
    expect((JSON.parse(text) as { body: string }).body).toBe('first second');
  });

  it('refuses a body over 100 MB with 413 without reading it', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${host.url}/api/things`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(100 * 1024 * 1024 + 1) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"name":"x"');
    });
    expect(status).toBe(413);
    expect((await fetch(`${host.url}/api/opt/still-up`)).status).toBe(200);
  });
});

describe('local host start-up', () => {
  it('refuses a route template it cannot serve', async () => {
    await expect(
      startLocalHost({
        definitions: [{ kind: 'http', name: 'bad', route: 'a/{*rest}/b', methods: ['GET'], authLevel: 'anonymous', handler: () => ({}) }],
        port: 0,
        storage: storage(),
        log: () => {},
      }),
    ).rejects.toThrow(/catch-all/);
  });

  it('counts a streamed body against the limit', async () => {
    const small = await startLocalHost({ definitions, port: 0, storage: storage(), log: () => {}, maxRequestBodyBytes: 16 });
    try {
      const res = await fetch(`${small.url}/api/things`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'a name longer than sixteen bytes' }),
      });
      expect(res.status).toBe(413);
    } finally {
      await small.close();
    }
  });
});
