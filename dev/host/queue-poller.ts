// Runs queue-triggered functions by polling their Azurite queues as the Azure host's queue listener does:
// batches of up to 16 messages, a back-off up to maxPollingInterval while the queue is empty, delete on
// success, a retry after the visibility timeout on failure, and `<queue>-poison` after maxDequeueCount.
import type { QueueClient } from '@azure/storage-queue';
import type { StorageSettings } from '../../shared/config.js';
import { describeError } from '../../shared/logging.js';
import { decodeQueueMessage, getQueue } from '../../shared/queues/queue-client.js';
import type { QueueFunctionDefinition } from '../../shared/runtime/function-definitions.js';
import type { InFlight } from './in-flight.js';
import { createContext, flushQueueOutputs, type HostLogger } from './invocation.js';

/** The queue settings of host.json (`extensions.queues`), with the host's defaults. */
export interface QueueSettings {
  batchSize: number;
  maxDequeueCount: number;
  /** How long a failed message stays hidden before its next attempt. */
  visibilityTimeoutSeconds: number;
  maxPollingIntervalMs: number;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  batchSize: 16,
  maxDequeueCount: 5,
  visibilityTimeoutSeconds: 0,
  maxPollingIntervalMs: 2_000,
};

/** While a message is being processed it stays hidden this long (the host's function timeout is 5 min). */
export const PROCESSING_VISIBILITY_SECONDS = 5 * 60;
const MIN_POLLING_INTERVAL_MS = 100;

interface ReceivedMessage {
  messageId: string;
  popReceipt: string;
  messageText: string;
  dequeueCount: number;
  insertedOn: Date;
  expiresOn: Date;
  nextVisibleOn: Date;
}

export interface QueuePollerOptions {
  def: QueueFunctionDefinition;
  storage: StorageSettings;
  settings: QueueSettings;
  logger: HostLogger;
  inFlight: InFlight;
  onQueuesWritten: (queueNames: string[]) => void;
}

export function poisonQueueName(queueName: string): string {
  return `${queueName}-poison`;
}

export class QueuePoller {
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private interval = MIN_POLLING_INTERVAL_MS;
  private failingSince: number | undefined;

  constructor(private readonly options: QueuePollerOptions) {}

  get queueName(): string {
    return this.options.def.queueName;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Looks at the queue now instead of at the end of the current back-off (a message was just sent). */
  poke(): void {
    this.interval = MIN_POLLING_INTERVAL_MS;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let received = 0;
      try {
        received = await this.pollOnce();
        if (this.failingSince !== undefined) {
          this.options.logger.host('info', `queue ${this.queueName}: storage answers again`);
          this.failingSince = undefined;
        }
      } catch (error) {
        if (this.failingSince === undefined) {
          this.failingSince = Date.now();
          this.options.logger.host('warn', `queue ${this.queueName}: polling failed, backing off: ${describeError(error)}`);
        }
      }
      if (received > 0) {
        this.interval = MIN_POLLING_INTERVAL_MS;
        continue;
      }
      await this.sleep(this.interval);
      this.interval = Math.min(this.interval * 2, this.options.settings.maxPollingIntervalMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).then(() => {
      this.wake = undefined;
    });
  }

  /** Receives one batch and processes it; returns how many messages there were. */
  private async pollOnce(): Promise<number> {
    const queue = await getQueue(this.options.storage, this.queueName);
    const { receivedMessageItems } = await queue.receiveMessages({
      numberOfMessages: this.options.settings.batchSize,
      visibilityTimeout: PROCESSING_VISIBILITY_SECONDS,
    });
    if (receivedMessageItems.length === 0) return 0;
    const results = await Promise.allSettled(
      receivedMessageItems.map((message) => this.options.inFlight.track(this.process(queue, message))),
    );
    for (const result of results) {
      // Storage failed while settling a message: it becomes visible again and is retried.
      if (result.status === 'rejected') this.options.logger.host('warn', `queue ${this.queueName}: ${describeError(result.reason)}`);
    }
    return receivedMessageItems.length;
  }

  private async process(queue: QueueClient, message: ReceivedMessage): Promise<void> {
    const { def, settings } = this.options;
    // A message already past its last attempt (the process died mid-run) goes straight to poison.
    if (message.dequeueCount > settings.maxDequeueCount) return this.moveToPoison(queue, message);

    const context = createContext(def, this.options.logger, {
      id: message.messageId,
      queueTrigger: message.messageText,
      dequeueCount: message.dequeueCount,
      insertionTime: message.insertedOn.toISOString(),
      expirationTime: message.expiresOn.toISOString(),
      nextVisibleTime: message.nextVisibleOn.toISOString(),
      popReceipt: message.popReceipt,
    });
    try {
      await def.handler(decodeQueueMessage(message.messageText), context);
      this.options.onQueuesWritten(await flushQueueOutputs(def, context, this.options.storage));
    } catch (error) {
      context.error(`Executed '${def.name}' (Failed, attempt ${message.dequeueCount}): ${describeError(error)}`);
      if (message.dequeueCount >= settings.maxDequeueCount) return this.moveToPoison(queue, message);
      await queue.updateMessage(message.messageId, message.popReceipt, undefined, settings.visibilityTimeoutSeconds);
      return;
    }
    await queue.deleteMessage(message.messageId, message.popReceipt);
  }

  private async moveToPoison(queue: QueueClient, message: ReceivedMessage): Promise<void> {
    const poisonName = poisonQueueName(this.queueName);
    const poison = await getQueue(this.options.storage, poisonName);
    await poison.sendMessage(message.messageText);
    await queue.deleteMessage(message.messageId, message.popReceipt);
    this.options.logger.host(
      'warn',
      `queue ${this.queueName}: message ${message.messageId} failed ${message.dequeueCount} times, moved to ${poisonName}`,
    );
  }
}
