// Group commit of queue puts against the run's Azurite: concurrent callers share puts, every item arrives
// exactly once, and each caller resolves only after Storage holds its items (the promises' semantics in
// detail: test/unit/group-commit.test.ts).
import { describe, expect, it } from 'vitest';
import { decodeQueueMessage, enqueueGrouped, getQueue } from '../../shared/queues/queue-client.js';
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
