// Group commit for queue puts: while one put is in flight, the next callers' messages gather, and the
// next put carries them all as one queue message (a JSON array). Each caller's promise settles when the
// put that holds its messages has been acknowledged by Storage, so a caller that answers after it (the
// notification endpoint's 202) still answers only once its work is durable. One put then serves many
// concurrent requests instead of one put each.
//
// One put at a time, on purpose: a put costs the calling process several acknowledgements' worth of CPU
// (the Storage SDK's pipeline, XML, the socket write), and letting a second one leave while the first is
// out halved the acknowledgements a put carries and raised the CPU per acknowledgement at 10 and at 100
// connections without raising throughput (docs/benchmarks.md).
//
// A queue message may be up to 64 KB
// (https://learn.microsoft.com/en-us/azure/storage/queues/storage-queues-introduction#queue-storage-resources):
// a gathered batch larger than that, once base64-encoded as the Functions trigger expects, is split.
import { encodeQueueMessage } from './queue-client.js';

export const MAX_QUEUE_MESSAGE_BYTES = 64 * 1024;

interface Waiter {
  items: unknown[];
  /** Each item's JSON length in bytes, measured once. */
  sizes: number[];
  resolve(): void;
  reject(error: unknown): void;
}

export class GroupCommitQueue {
  private gathering: Waiter[] = [];
  private inFlight = false;

  /** `send` puts one encoded message (the text as it goes on the wire). */
  constructor(
    private readonly send: (encoded: string) => Promise<void>,
    private readonly maxMessageBytes = MAX_QUEUE_MESSAGE_BYTES,
  ) {}

  /** Resolves once every item is in a queue message Storage has acknowledged. */
  put(items: readonly unknown[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    // In an array, what JSON cannot represent (undefined) is written as null.
    const sizes = items.map((item) => Buffer.byteLength(JSON.stringify(item) ?? 'null'));
    if (sizes.some((bytes) => base64Length(bytes + 2) > this.maxMessageBytes)) return Promise.reject(new Error('queue message over 64 KB'));
    return new Promise<void>((resolve, reject) => {
      this.gathering.push({ items: [...items], sizes, resolve, reject });
      if (!this.inFlight) void this.flush();
    });
  }

  /** Puts what has gathered, then what gathered meanwhile, until nothing waits. */
  private async flush(): Promise<void> {
    this.inFlight = true;
    while (this.gathering.length > 0) {
      const batch = this.gathering;
      this.gathering = [];
      try {
        await Promise.all(this.messagesOf(batch).map((encoded) => this.send(encoded)));
        for (const waiter of batch) waiter.resolve();
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
    }
    this.inFlight = false;
  }

  /** The batch's items as few encoded messages as fit, each within the size limit. */
  private messagesOf(batch: Waiter[]): string[] {
    const messages: string[] = [];
    let current: unknown[] = [];
    let currentBytes = 2; // "[]"
    for (const waiter of batch) {
      waiter.items.forEach((item, i) => {
        const bytes = waiter.sizes[i]! + 1; // the comma
        if (current.length > 0 && base64Length(currentBytes + bytes) > this.maxMessageBytes) {
          messages.push(encodeQueueMessage(current));
          current = [];
          currentBytes = 2;
        }
        current.push(item);
        currentBytes += bytes;
      });
    }
    if (current.length > 0) messages.push(encodeQueueMessage(current));
    return messages;
  }
}

/** base64 turns every 3 bytes into 4. */
function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}
