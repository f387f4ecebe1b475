// Group commit's promises: each caller resolves only once the put holding its items is acknowledged, a
// failed put rejects exactly its callers, at most `maxInFlight` puts run at once and what arrives meanwhile
// gathers into the next one, and messages stay within 64 KB once base64-encoded. The puts here are
// controlled by the test (settled one by one) so that the order of events is the test's, not the machine's.
import { describe, expect, it } from 'vitest';
import { decodeQueueMessage, encodeQueueMessage } from '../../shared/queues/queue-client.js';
import { GroupCommitQueue, MAX_PUTS_IN_FLIGHT, MAX_QUEUE_MESSAGE_BYTES } from '../../shared/queues/group-commit.js';

interface Put {
  items: unknown[];
  ack(): void;
  fail(error: Error): void;
}

/** A queue whose puts wait until the test settles them. */
function controlledQueue(maxInFlight?: number) {
  const puts: Put[] = [];
  const group = new GroupCommitQueue(
    (encoded) =>
      new Promise<void>((resolve, reject) => {
        puts.push({ items: decodeQueueMessage(encoded) as unknown[], ack: resolve, fail: reject });
      }),
    MAX_QUEUE_MESSAGE_BYTES,
    maxInFlight,
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
  it('keeps two puts in flight by default and gathers everything after them into the next one', async () => {
    expect(MAX_PUTS_IN_FLIGHT).toBe(2);
    const { group, puts } = controlledQueue();
    const first = group.put(['a']);
    const second = group.put(['b']);
    const gathered = ['c', 'd', 'e'].map((item) => group.put([item]));
    // The first two leave at once (no caller waits a round trip for another's put); the rest wait for a slot.
    expect(puts.map((p) => p.items)).toEqual([['a'], ['b']]);

    // The second put is acknowledged first: only its caller resolves, and its slot takes what gathered.
    puts[1]!.ack();
    expect(await stateOf(second)).toBe('resolved');
    expect(await stateOf(first)).toBe('pending');
    expect(puts.map((p) => p.items)).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
    for (const caller of gathered) expect(await stateOf(caller)).toBe('pending');

    puts[2]!.ack();
    for (const caller of gathered) expect(await stateOf(caller)).toBe('resolved');
    expect(await stateOf(first)).toBe('pending');
    puts[0]!.ack();
    expect(await stateOf(first)).toBe('resolved');
    expect(puts).toHaveLength(3);
  });

  it('with one put in flight, everything after it waits and shares the next put', async () => {
    const { group, puts } = controlledQueue(1);
    const first = group.put([1]);
    const rest = [2, 3, 4].map((n) => group.put([n]));
    expect(puts.map((p) => p.items)).toEqual([[1]]);
    puts[0]!.ack();
    await first;
    expect(puts.map((p) => p.items)).toEqual([[1], [2, 3, 4]]);
    puts[1]!.ack();
    await Promise.all(rest);
  });

  it('rejects exactly the callers of a failed put: the put beside it and the next one still resolve', async () => {
    const { group, puts } = controlledQueue();
    const failed = group.put(['lost-1']);
    const beside = group.put(['kept-1']);
    const alsoFailed = group.put(['lost-2']);
    const next = group.put(['kept-2']);
    expect(puts.map((p) => p.items)).toEqual([['lost-1'], ['kept-1']]);
    puts[0]!.fail(new Error('storage down'));
    await expect(failed).rejects.toThrow('storage down');
    // The failed slot moves on to what gathered; its earlier callers are not carried into it.
    expect(puts[2]!.items).toEqual(['lost-2', 'kept-2']);
    puts[2]!.fail(new Error('still down'));
    await expect(alsoFailed).rejects.toThrow('still down');
    await expect(next).rejects.toThrow('still down');
    expect(await stateOf(beside)).toBe('pending');
    puts[1]!.ack();
    await expect(beside).resolves.toBeUndefined();
    // After the failures the queue still works.
    const later = group.put(['after']);
    expect(puts[3]!.items).toEqual(['after']);
    puts[3]!.ack();
    await expect(later).resolves.toBeUndefined();
  });

  it('splits a gathered batch that would pass 64 KB once base64-encoded, keeping every item once and in order', async () => {
    const sent: string[] = [];
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const group = new GroupCommitQueue(async (encoded) => {
      sent.push(encoded);
      if (sent.length === 1) await blocked;
    }, MAX_QUEUE_MESSAGE_BYTES, 1);
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
    const group = new GroupCommitQueue(async (encoded) => void sent.push(encoded), 400, 1);
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
