// Group commit of queue puts against the run's Azurite: concurrent callers share puts, every item arrives
// exactly once, each caller resolves only after Storage holds its items, and batches stay within 64 KB.
import { describe, expect, it } from 'vitest';
import { decodeQueueMessage, encodeQueueMessage, enqueueGrouped, getQueue } from '../../shared/queues/queue-client.js';
import { GroupCommitQueue, MAX_QUEUE_MESSAGE_BYTES } from '../../shared/queues/group-commit.js';
import { getConfig } from '../../shared/config.js';

async function drain(queueName: string): Promise<unknown[][]> {
  const queue = await getQueue(getConfig().storage, queueName);
  const messages: unknown[][] = [];
  for (;;) {
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
    if (receivedMessageItems.length === 0) return messages;
    for (const m of receivedMessageItems) {
      messages.push(decodeQueueMessage(m.messageText) as unknown[]);
      await queue.deleteMessage(m.messageId, m.popReceipt);
    }
  }
}

describe('enqueueGrouped', () => {
  it('serves 200 concurrent callers with fewer puts, each item exactly once, durable when the caller resolves', async () => {
    const queueName = 'group-commit';
    const items = Array.from({ length: 200 }, (_, i) => ({ kind: 'changes', n: i }));
    const storage = getConfig().storage;
    const queue = await getQueue(storage, queueName);
    await Promise.all(
      items.map(async (item) => {
        await enqueueGrouped(storage, queueName, [item]);
        // Resolved: the message holding this item is in the queue already.
        const { peekedMessageItems } = await queue.peekMessages({ numberOfMessages: 32 });
        expect(peekedMessageItems.length).toBeGreaterThan(0);
      }),
    );
    const messages = await drain(queueName);
    expect(messages.length).toBeLessThan(items.length);
    expect(messages.every((m) => Array.isArray(m))).toBe(true);
    const seen = messages.flat().map((m) => (m as { n: number }).n).sort((a, b) => a - b);
    expect(seen).toEqual(items.map((i) => i.n));
  });
});

describe('GroupCommitQueue', () => {
  it('gathers while a put is in flight, and splits a batch that would pass 64 KB once base64-encoded', async () => {
    const sent: string[] = [];
    let release!: () => void;
    const firstPut = new Promise<void>((resolve) => (release = resolve));
    const group = new GroupCommitQueue(async (encoded) => {
      sent.push(encoded);
      if (sent.length === 1) await firstPut;
    });
    const first = group.put([{ n: -1 }]);
    const big = 'x'.repeat(1000);
    const rest = Array.from({ length: 120 }, (_, n) => group.put([{ n, big }]));
    expect(sent).toHaveLength(1); // the other 120 wait for the put in flight
    release();
    await Promise.all([first, ...rest]);
    expect(sent.length).toBeGreaterThanOrEqual(3); // 120 kB of items cannot fit one or two messages
    for (const encoded of sent) expect(encoded.length).toBeLessThanOrEqual(MAX_QUEUE_MESSAGE_BYTES);
    expect(sent.flatMap((e) => decodeQueueMessage(e) as { n: number }[]).map((i) => i.n)).toEqual([-1, ...rest.map((_, n) => n)]);
  });

  it('rejects every caller of a failed put, and refuses an item that alone exceeds 64 KB', async () => {
    const group = new GroupCommitQueue(() => Promise.reject(new Error('storage down')));
    await expect(Promise.all([group.put([1]), group.put([2])])).rejects.toThrow('storage down');
    const huge = 'y'.repeat(MAX_QUEUE_MESSAGE_BYTES);
    expect(encodeQueueMessage([huge]).length).toBeGreaterThan(MAX_QUEUE_MESSAGE_BYTES);
    await expect(new GroupCommitQueue(() => Promise.resolve()).put([huge])).rejects.toThrow('64 KB');
  });
});
