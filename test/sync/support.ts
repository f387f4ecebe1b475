// Helpers for the push-sync tests: a local host serving only some definitions, subscription records
// seeded straight into the store, and the calendar-sync queue read without taking messages.
import { subscriptionExpiry } from '../../shared/graph/subscriptions.js';
import { randomUUID } from 'node:crypto';
import { freePort } from '../../dev/host/ports.js';
import { startLocalHost, type LocalHost } from '../../dev/host/index.js';
import { getConfig, resetConfig } from '../../shared/config.js';
import { decodeQueueMessage, getQueue } from '../../shared/queues/queue-client.js';
import type { FunctionDefinition } from '../../shared/runtime/function-definitions.js';
import { getServices, resetServices, type Services } from '../../shared/services.js';
import { hashClientState, newClientState } from '../../shared/sync/client-state.js';
import { CALENDAR_SYNC_QUEUE } from '../../shared/sync/sync-messages.js';

export async function startHostWith(definitions: readonly FunctionDefinition[], log?: (line: string) => void): Promise<{ host: LocalHost; services: Services }> {
  const port = await freePort();
  process.env.PUBLIC_BASE_URL = `http://127.0.0.1:${port}`;
  resetConfig();
  resetServices();
  const host = await startLocalHost({ definitions, port, storage: getConfig().storage, log: log ?? (() => undefined), logLevel: 'debug' });
  return { host, services: getServices() };
}

export interface SeededSubscription {
  subscriptionId: string;
  clientState: string;
  clientId: string;
  connectionId: string;
  calendarId: string;
}

export async function seedSubscription(services: Services, fields: Partial<SeededSubscription> = {}): Promise<SeededSubscription> {
  const seeded = {
    subscriptionId: fields.subscriptionId ?? randomUUID(),
    clientState: fields.clientState ?? newClientState(),
    clientId: fields.clientId ?? `client-${randomUUID().slice(0, 8)}`,
    connectionId: fields.connectionId ?? randomUUID(),
    calendarId: fields.calendarId ?? `cal-${randomUUID().slice(0, 8)}`,
  };
  await services.store.subscriptions.createSubscription({
    subscriptionId: seeded.subscriptionId,
    clientId: seeded.clientId,
    connectionId: seeded.connectionId,
    calendarId: seeded.calendarId,
    resource: `/users/x/calendars/${seeded.calendarId}/events`,
    clientStateHash: hashClientState(seeded.clientState),
    expiresAt: new Date(Date.now() + 6 * 86_400_000),
    createdAt: new Date(),
  });
  return seeded;
}

/** Every message now on the calendar-sync queue, without taking them (up to 32). */
export async function peekSyncQueue(services: Services): Promise<Record<string, unknown>[]> {
  const queue = await getQueue(services.config.storage, CALENDAR_SYNC_QUEUE);
  const { peekedMessageItems } = await queue.peekMessages({ numberOfMessages: 32 });
  // A message is one sync message or a group-committed array of them.
  return peekedMessageItems.flatMap((m) => [decodeQueueMessage(m.messageText)].flat() as Record<string, unknown>[]);
}

export async function clearSyncQueue(services: Services): Promise<void> {
  await (await getQueue(services.config.storage, CALENDAR_SYNC_QUEUE)).clearMessages();
}

/** The lifecycle notification the simulator sent for a subscription, once it has (its delivery record). */
export async function lifecycleSent(simulatorUrl: string, lifecycleEvent: string, subscriptionId: string): Promise<Record<string, unknown> | undefined> {
  const res = await fetch(`${simulatorUrl}/_sim/graph/notifications?subscriptionId=${encodeURIComponent(subscriptionId)}`);
  const { value } = (await res.json()) as { value: { kind: string; payload: { value: { lifecycleEvent?: string }[] } }[] };
  return value.find((d) => d.kind === 'lifecycle' && d.payload.value.some((n) => n.lifecycleEvent === lifecycleEvent));
}

export function notification(sub: SeededSubscription, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const eventId = `AAMk${randomUUID()}`;
  return {
    subscriptionId: sub.subscriptionId,
    subscriptionExpirationDateTime: new Date(Date.now() + 86_400_000).toISOString(),
    changeType: 'updated',
    resource: `Users/${randomUUID()}/Events/${eventId}`,
    resourceData: { '@odata.type': '#Microsoft.Graph.Event', '@odata.id': `Users/x/Events/${eventId}`, '@odata.etag': `W/"${randomUUID()}"`, id: eventId },
    clientState: sub.clientState,
    tenantId: '84bd8158-6d4d-4958-8b9f-9d6445542f95',
    ...overrides,
  };
}

export interface WebhookReceiver {
  url: string;
  events: { id: string; type: string; data: Record<string, unknown> }[];
  close(): Promise<void>;
}

/** A booking system's webhook endpoint: records every delivered event, answers 200. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const { createServer } = await import('node:http');
  const events: WebhookReceiver['events'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        events.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        // not ours
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/hooks`, events, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * A subscription of ours (our notification URL) that no record holds, as a crashed create or an old
 * deployment leaves behind. A documented resource with another changeType than ours (the same one would be a 409).
 */
export async function postUnrecordedSubscription(graph: { api(path: string): { post(body: unknown): Promise<unknown> } }, objectId: string, appUrl: string, changeType: 'created' | 'deleted', clientState: string): Promise<{ id: string }> {
  return (await graph.api('/subscriptions').post({
    changeType,
    resource: `/users/${objectId}/events`,
    notificationUrl: `${appUrl}/api/graph/notifications`,
    lifecycleNotificationUrl: `${appUrl}/api/graph/lifecycle`,
    clientState,
    expirationDateTime: subscriptionExpiry().toISOString(),
  })) as { id: string };
}
