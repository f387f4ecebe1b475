// Graceful shutdown: close() stops accepting work, stops timers and pollers, and waits for running
// invocations (up to its bound) before it resolves.
import { describe, expect, it } from 'vitest';
import { startLocalHost } from '../../dev/host/index.js';
import { enqueue, getQueue } from '../../shared/queues/queue-client.js';
import { holdsThroughout, untilPasses } from '../support/wait-for.js';
import { latch, storage, uniqueQueueName } from './support.js';

describe('local host close()', () => {
  it('lets an in-flight request finish, then refuses connections and stops timers and pollers', async () => {
    const entered = latch();
    const release = latch();
    let ticks = 0;
    const queueName = uniqueQueueName('closing');
    const consumed: unknown[] = [];
    const host = await startLocalHost({
      definitions: [
        {
          kind: 'http',
          name: 'slow',
          route: 'slow',
          methods: ['GET'],
          authLevel: 'anonymous',
          handler: async () => {
            entered.resolve();
            await release.promise;
            return { jsonBody: { finished: true } };
          },
        },
        { kind: 'timer', name: 'tick', schedule: '* * * * * *', handler: () => void (ticks += 1) },
        { kind: 'queue', name: 'consume', queueName, handler: (item) => void consumed.push(item) },
      ],
      port: 0,
      storage: storage(),
      log: () => {},
      queues: { maxPollingIntervalMs: 200 },
    });

    const pending = fetch(`${host.url}/api/slow`);
    await entered.promise;
    let closed = false;
    const closing = host.close().then(() => {
      closed = true;
    });
    await holdsThroughout(() => !closed, { message: 'close() waiting for the request in flight', duration: 200 });
    expect(closed).toBe(false);

    release.resolve();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ finished: true });
    await closing;
    expect(closed).toBe(true);

    await expect(fetch(`${host.url}/api/slow`)).rejects.toThrow();

    // Nothing runs after close: no timer ticks, no message taken from the queue.
    const ticksAtClose = ticks;
    await enqueue(storage(), queueName, { late: true });
    await holdsThroughout(() => ticks === ticksAtClose && consumed.length === 0, { message: 'nothing running after close', duration: 1_500 });
    expect(ticks).toBe(ticksAtClose);
    expect(consumed).toEqual([]);
    const queue = await getQueue(storage(), queueName);
    expect((await queue.peekMessages()).peekedMessageItems).toHaveLength(1);
  });

  it('returns after its bound when an invocation never ends', async () => {
    const entered = latch();
    const host = await startLocalHost({
      definitions: [
        {
          kind: 'http',
          name: 'stuck',
          route: 'stuck',
          methods: ['GET'],
          authLevel: 'anonymous',
          handler: async () => {
            entered.resolve();
            return new Promise(() => {});
          },
        },
      ],
      port: 0,
      storage: storage(),
      log: () => {},
      shutdownTimeoutMs: 300,
    });
    const pending = fetch(`${host.url}/api/stuck`).catch((error: unknown) => error);
    await entered.promise;
    await host.close();
    // The connection is cut, so the client sees an error rather than waiting for ever.
    await untilPasses(async () => expect(await pending).toBeInstanceOf(Error), { message: 'the pending request to fail', timeout: 5_000 });
  });
});
