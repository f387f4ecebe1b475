// Queue triggers and storageQueue outputs through the local host, against the run's Azurite.
import { output, type InvocationContext } from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { poisonQueueName, startLocalHost, type LocalHost } from '../../dev/host/index.js';
import { decodeQueueMessage, enqueue, getQueue } from '../../shared/queues/queue-client.js';
import { STORAGE_CONNECTION, type FunctionDefinition } from '../../shared/runtime/function-definitions.js';
import { logCollector, storage, uniqueQueueName } from './support.js';
import { untilPasses } from '../support/wait-for.js';

const hosts: LocalHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

async function start(definitions: FunctionDefinition[], log = logCollector().log): Promise<LocalHost> {
  const host = await startLocalHost({
    definitions,
    port: 0,
    storage: storage(),
    log,
    queues: { visibilityTimeoutSeconds: 0, maxPollingIntervalMs: 200 },
  });
  hosts.push(host);
  return host;
}

interface Received {
  item: unknown;
  metadata: InvocationContext['triggerMetadata'];
}

describe('local host queues', () => {
  it('delivers what an HTTP function puts on its queue output to the queue trigger, decoded', async () => {
    const queueName = uniqueQueueName('work');
    const workQueue = output.storageQueue({ queueName, connection: STORAGE_CONNECTION });
    const received: Received[] = [];
    const host = await start([
      {
        kind: 'http',
        name: 'submit',
        route: 'submit',
        methods: ['POST'],
        authLevel: 'anonymous',
        extraOutputs: [workQueue],
        handler: async (request, context) => {
          const body = (await request.json()) as { items: unknown[] };
          context.extraOutputs.set(workQueue, body.items);
          return { status: 202 };
        },
      },
      {
        kind: 'queue',
        name: 'worker',
        queueName,
        handler: (item, context) => {
          received.push({ item, metadata: context.triggerMetadata });
        },
      },
    ]);

    const items = [{ job: 1, text: 'héllo' }, { job: 2 }];
    const res = await fetch(`${host.url}/api/submit`, { method: 'POST', body: JSON.stringify({ items }) });
    expect(res.status).toBe(202);

    await untilPasses(() => expect(received).toHaveLength(2), { message: 'both messages at the trigger', timeout: 15_000, interval: 50 });
    expect(received.map((r) => r.item)).toEqual(expect.arrayContaining(items));
    const meta = received[0]!.metadata!;
    expect(meta.dequeueCount).toBe(1);
    expect(typeof meta.id).toBe('string');
    expect(Date.parse(String(meta.insertionTime))).not.toBeNaN();
    expect(decodeQueueMessage(String(meta.queueTrigger))).toEqual(received[0]!.item);

    // Processed messages are deleted.
    const queue = await getQueue(storage(), queueName);
    await untilPasses(async () => expect((await queue.getProperties()).approximateMessagesCount).toBe(0), { message: 'the queue to empty', timeout: 10_000 });
  });

  it('retries a failing message and moves it to <queue>-poison after 5 failed dequeues', async () => {
    const queueName = uniqueQueueName('fragile');
    const attempts: number[] = [];
    const logs = logCollector();
    await start(
      [
        {
          kind: 'queue',
          name: 'alwaysFails',
          queueName,
          handler: (_item, context) => {
            attempts.push(Number(context.triggerMetadata?.dequeueCount));
            throw new Error('cannot process this');
          },
        },
      ],
      logs.log,
    );

    const message = { bookingId: 'b-1', note: 'poison me' };
    await enqueue(storage(), queueName, message);

    const poison = await getQueue(storage(), poisonQueueName(queueName));
    const peeked = await untilPasses(
      async () => {
        const { peekedMessageItems } = await poison.peekMessages({ numberOfMessages: 5 });
        expect(peekedMessageItems).toHaveLength(1);
        return peekedMessageItems;
      },
      { message: 'the message on the poison queue', timeout: 20_000, interval: 100 },
    );
    expect(decodeQueueMessage(peeked[0]!.messageText)).toEqual(message);
    expect(attempts).toEqual([1, 2, 3, 4, 5]);
    const queue = await getQueue(storage(), queueName);
    expect((await queue.peekMessages()).peekedMessageItems).toHaveLength(0);
    expect(logs.lines.join('\n')).toContain(`moved to ${poisonQueueName(queueName)}`);
  });

  it('deletes a message that succeeds on a retry, without poisoning it', async () => {
    const queueName = uniqueQueueName('flaky');
    const attempts: number[] = [];
    await start([
      {
        kind: 'queue',
        name: 'failsOnce',
        queueName,
        handler: (_item, context) => {
          const count = Number(context.triggerMetadata?.dequeueCount);
          attempts.push(count);
          if (count < 2) throw new Error('transient');
        },
      },
    ]);
    await enqueue(storage(), queueName, 'plain text message');
    await untilPasses(() => expect(attempts).toEqual([1, 2]), { message: 'the second attempt', timeout: 15_000, interval: 50 });

    const queue = await getQueue(storage(), queueName);
    await untilPasses(async () => expect((await queue.getProperties()).approximateMessagesCount).toBe(0), { message: 'the queue to empty', timeout: 10_000 });
    const poison = await getQueue(storage(), poisonQueueName(queueName));
    expect((await poison.peekMessages()).peekedMessageItems).toHaveLength(0);
  });

  it('passes a queue trigger its own queue outputs on to the next queue', async () => {
    const first = uniqueQueueName('first');
    const second = uniqueQueueName('second');
    const next = output.storageQueue({ queueName: second, connection: STORAGE_CONNECTION });
    const seen: unknown[] = [];
    await start([
      {
        kind: 'queue',
        name: 'stepOne',
        queueName: first,
        extraOutputs: [next],
        handler: (item, context) => {
          context.extraOutputs.set(next, { from: 'stepOne', item });
        },
      },
      { kind: 'queue', name: 'stepTwo', queueName: second, handler: (item) => void seen.push(item) },
    ]);
    await enqueue(storage(), first, { n: 7 });
    await untilPasses(() => expect(seen).toEqual([{ from: 'stepOne', item: { n: 7 } }]), { message: 'the second step', timeout: 15_000, interval: 50 });
  });
});
