// The local host's body reading, over real loopback HTTP: a body in several chunks arrives whole, one past
// the limit (declared or counted) is refused, and a client gone before the end of its body settles the read
// instead of leaving it pending.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readBody } from '../../dev/host/request-body.js';

let server: Server | undefined;
afterEach(() => server?.close());

/** A server that hands each request to `onRequest` and answers 200 unless the test destroys the request. */
async function serve(onRequest: (req: IncomingMessage) => void): Promise<string> {
  server = createServer((req, res) => {
    onRequest(req);
    req.once('end', () => res.end());
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

function send(url: string, headers: Record<string, string>, chunks: string[], then: 'end' | 'destroy') {
  const req = httpRequest(url, { method: 'POST', headers });
  req.on('error', () => {});
  const next = (i: number) => {
    if (i < chunks.length) req.write(chunks[i], () => setImmediate(() => next(i + 1)));
    else if (then === 'end') req.end();
  };
  next(0);
  return req;
}

describe('readBody', () => {
  it('returns a body sent in several chunks whole and in order', async () => {
    let read!: Promise<Buffer | 'too-large'>;
    const url = await serve((req) => (read = readBody(req, 1000)));
    send(url, {}, ['one ', 'two ', 'three'], 'end');
    await expect.poll(() => read !== undefined, { timeout: 5000 }).toBe(true);
    expect(String(await read)).toBe('one two three');
  });

  it('refuses a body over the limit, declared or counted as it streams', async () => {
    const reads: Promise<Buffer | 'too-large'>[] = [];
    const url = await serve((req) => reads.push(readBody(req, 8)));
    send(url, { 'content-length': '9' }, ['123456789'], 'end');
    send(url, {}, ['12345', '6789'], 'end');
    await expect.poll(() => reads.length, { timeout: 5000 }).toBe(2);
    expect(await Promise.all(reads)).toEqual(['too-large', 'too-large']);
  });

  it('rejects when the client leaves before the end of its body', async () => {
    let outcome: string | undefined;
    const url = await serve((req) => {
      readBody(req, 1000).then(
        () => (outcome = 'resolved'),
        (error: Error) => (outcome = `rejected: ${error.message}`),
      );
      // The first bytes have arrived: now the client goes.
      req.once('data', () => client.destroy());
    });
    const client = send(url, { 'content-length': '100' }, ['only the start'], 'end');
    await expect.poll(() => outcome, { timeout: 5000 }).toMatch(/^rejected: /);
  });
});
