// Group commit's promises: each caller resolves only once the put holding its items is acknowledged, a
// failed put rejects exactly its callers, what arrives while a put is in flight gathers into the next one,
// and messages stay within 64 KB once base64-encoded. The puts here are
// controlled by the test (settled one by one) so that the order of events is the test's, not the machine's.
import { describe, expect, it } from 'vitest';
import { decodeQueueMessage, encodeQueueMessage } from '../../shared/queues/queue-client.js';
import { GroupCommitQueue, MAX_QUEUE_MESSAGE_BYTES } from '../../shared/queues/group-commit.js';

interface Put {
  items: unknown[];
  ack(): void;
  fail(error: Error): void;
}

/** A queue whose puts wait until the test settles them. */
function controlledQueue() {
  const puts: Put[] = [];
  const group = new GroupCommitQueue(
    (encoded) =>
      new Promise<void>((resolve, reject) => {
        puts.push({ items: decodeQueueMessage(encoded) as unknown[], ack: resolve, fail: reject });
      }),
  );
  return { group, puts };
}

/** Whether a promise has settled, and how, once pending callbacks have run. */
async function stateOf(promise: Promise<void>): Promise<'pending' | 'resolved' | 'rejected'> {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
  return state;
}

describe('GroupCommitQueue', () => {
  it('puts the first caller at once, gathers everyone after it into the next put, and resolves each with its own put', async () => {
    const { group, puts } = controlledQueue();
    const first = group.put(['a']);
    const gathered = [['b'], ['c', 'd'], ['e']].map((items) => group.put(items));
    expect(puts.map((p) => p.items)).toEqual([['a']]);
    for (const caller of gathered) expect(await stateOf(caller)).toBe('pending');

    puts[0]!.ack();
    expect(await stateOf(first)).toBe('resolved');
    // The next put leaves as the first is acknowledged, with every item gathered meanwhile, in order.
    expect(puts.map((p) => p.items)).toEqual([['a'], ['b', 'c', 'd', 'e']]);
    for (const caller of gathered) expect(await stateOf(caller)).toBe('pending');
    const late = group.put(['f']);
    puts[1]!.ack();
    for (const caller of gathered) expect(await stateOf(caller)).toBe('resolved');
    expect(await stateOf(late)).toBe('pending');
    expect(puts.map((p) => p.items)).toEqual([['a'], ['b', 'c', 'd', 'e'], ['f']]);
    puts[2]!.ack();
    expect(await stateOf(late)).toBe('resolved');
  });

  it('rejects exactly the callers of a failed put: those gathered behind it go in the next put and resolve', async () => {
    const { group, puts } = controlledQueue();
    const lost = [group.put(['lost-1'])];
    const kept = [group.put(['kept-1']), group.put(['kept-2'])];
    puts[0]!.fail(new Error('storage down'));
    await expect(lost[0]).rejects.toThrow('storage down');
    expect(puts[1]!.items).toEqual(['kept-1', 'kept-2']);
    for (const caller of kept) expect(await stateOf(caller)).toBe('pending');
    const afterFailure = group.put(['lost-2']);
    puts[1]!.ack();
    for (const caller of kept) expect(await stateOf(caller)).toBe('resolved');
    // After a failure the queue still works, and a later failure again takes only its own callers.
    expect(puts[2]!.items).toEqual(['lost-2']);
    puts[2]!.fail(new Error('down again'));
    await expect(afterFailure).rejects.toThrow('down again');
  });

  it('splits a gathered batch that would pass 64 KB once base64-encoded, keeping every item once and in order', async () => {
    const sent: string[] = [];
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const group = new GroupCommitQueue(async (encoded) => {
      sent.push(encoded);
      if (sent.length === 1) await blocked;
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

  it('fills a message up to the limit and no further', async () => {
    const sent: string[] = [];
    const group = new GroupCommitQueue(async (encoded) => void sent.push(encoded), 400);
    const item = 'z'.repeat(50); // 52 bytes of JSON, 53 with its comma
    const blocker = group.put(['first']);
    const rest = Array.from({ length: 10 }, () => group.put([item]));
    await Promise.all([blocker, ...rest]);
    const gathered = sent.slice(1);
    for (const encoded of gathered) expect(encoded.length).toBeLessThanOrEqual(400);
    // 400 base64 characters hold 300 bytes: "[" + 5 items of 52 + 4 commas + "]" = 266, a sixth would be 319.
    expect(gathered.map((e) => (decodeQueueMessage(e) as unknown[]).length)).toEqual([5, 5]);
  });

  it('refuses an item that alone exceeds 64 KB, and rejects every caller of a failed put', async () => {
    const huge = 'y'.repeat(MAX_QUEUE_MESSAGE_BYTES);
    expect(encodeQueueMessage([huge]).length).toBeGreaterThan(MAX_QUEUE_MESSAGE_BYTES);
    await expect(new GroupCommitQueue(() => Promise.resolve()).put([huge])).rejects.toThrow('64 KB');
    const group = new GroupCommitQueue(() => Promise.reject(new Error('storage down')));
    await expect(Promise.all([group.put([1]), group.put([2]), group.put([3])])).rejects.toThrow('storage down');
  });
});
