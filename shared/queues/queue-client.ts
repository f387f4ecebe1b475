// Queue Storage access shared by the app and the local host. Messages are JSON, base64-encoded, which is
// what the Azure Functions queue trigger expects by default (host.json messageEncoding "base64").
import type * as QueueSdk from '@azure/storage-queue';
import type { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import type { StorageSettings } from '../config.js';
import { azureCredential } from '../auth/azure-credential.js';
import { GroupCommitQueue } from './group-commit.js';

const services = new Map<string, QueueServiceClient>();

// The Queue SDK (with the XML parser under it) is imported on the first queue call, not at start-up: the
// Functions host waits for the entry point's import before it serves anything.
let queueSdk: Promise<typeof QueueSdk> | undefined;

export async function getQueueServiceClient(storage: StorageSettings): Promise<QueueServiceClient> {
  const key = storage.connectionString ?? storage.queueEndpoint ?? '';
  let client = services.get(key);
  if (!client) {
    const { QueueServiceClient } = await (queueSdk ??= import('@azure/storage-queue'));
    client = services.get(key); // another caller may have built it while the SDK loaded
    if (client) return client;
    const options = { retryOptions: { maxTries: 2, tryTimeoutInMs: storage.timeoutMs } };
    if (storage.connectionString) {
      client = QueueServiceClient.fromConnectionString(storage.connectionString, options);
    } else if (storage.queueEndpoint) {
      client = new QueueServiceClient(storage.queueEndpoint, azureCredential(storage), options);
    } else {
      throw new Error('No queue endpoint configured');
    }
    services.set(key, client);
  }
  return client;
}

/** Queue clients whose queue exists, by service and queue name: built and created once per process. */
const ready = new Map<string, Promise<QueueClient>>();

/**
 * A queue client whose queue exists (created once per process). The client is kept too: building one
 * (its request pipeline) is a measurable part of a notification's acknowledgement, which puts on every request.
 */
export function getQueue(storage: StorageSettings, queueName: string): Promise<QueueClient> {
  const key = `${storage.connectionString ?? storage.queueEndpoint ?? ''}\n${storage.queueNamePrefix ?? ''}${queueName}`;
  let queue = ready.get(key);
  if (!queue) {
    queue = getQueueServiceClient(storage).then(async (service) => {
      const client = service.getQueueClient(`${storage.queueNamePrefix ?? ''}${queueName}`);
      await client.createIfNotExists();
      return client;
    });
    // A failed create is tried again by the next caller, not remembered.
    queue.catch(() => ready.delete(key));
    ready.set(key, queue);
  }
  return queue;
}

export function encodeQueueMessage(message: unknown): string {
  const text = typeof message === 'string' ? message : JSON.stringify(message);
  return Buffer.from(text, 'utf8').toString('base64');
}

/** Decodes as the Functions host does: base64 when it is valid base64, then JSON when it parses. */
export function decodeQueueMessage(messageText: string): unknown {
  let text = messageText;
  if (/^[A-Za-z0-9+/]*={0,2}$/.test(messageText) && messageText.length % 4 === 0) {
    text = Buffer.from(messageText, 'base64').toString('utf8');
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Sends one message; `delaySeconds` hides it until then (used for retries with backoff). */
export async function enqueue(storage: StorageSettings, queueName: string, message: unknown, delaySeconds = 0): Promise<void> {
  const queue = await getQueue(storage, queueName);
  await queue.sendMessage(encodeQueueMessage(message), { visibilityTimeout: delaySeconds > 0 ? Math.ceil(delaySeconds) : undefined });
}

const groups = new Map<string, GroupCommitQueue>();

/**
 * Sends the items as part of a group commit (shared/queues/group-commit.ts): concurrent callers share one
 * put, whose message is a JSON array; resolves once Storage has the message. The queue's trigger handles
 * both arrays and single messages.
 */
export async function enqueueGrouped(storage: StorageSettings, queueName: string, items: readonly unknown[]): Promise<void> {
  if (items.length === 0) return;
  const queue = await getQueue(storage, queueName);
  let group = groups.get(queue.url);
  if (!group) {
    group = new GroupCommitQueue(async (encoded) => {
      await queue.sendMessage(encoded);
    });
    groups.set(queue.url, group);
  }
  await group.put(items);
}
