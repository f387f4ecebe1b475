// The console's own storage, as a booking system keeps its own: one table (`console`) holding
// - the browser session (PartitionKey 'session' / RowKey session id, from an HttpOnly cookie): the demo
//   client, its API key and signing secret (sealed with the app's envelope key), the connected user;
// - the webhook receiver index ('receiver' / receiverId -> session id);
// - the last webhooks received ('hooks-<receiverId>' / inverted time), signature verified or not.
import { randomBytes } from 'node:crypto';
import type { Services } from '../../shared/services.js';
import { TableRepository } from '../../shared/store/repository.js';
import { createTableClient } from '../../shared/store/table-client.js';

export const CONSOLE_TABLE = 'console';
export const SESSION_COOKIE = 'cb_console';
const SESSION_PARTITION = 'session';
const RECEIVER_PARTITION = 'receiver';

export interface DemoBooking {
  bookingId: string;
  eventId?: string;
  subject: string;
  start: string;
  end: string;
  status: string;
  /** For an online meeting: its provider, and its join URL once Outlook has set it up. */
  meetingProvider?: string;
  joinUrl?: string | null;
  /** A daily series of this many occurrences. */
  days?: number;
}

export interface ConsoleSession {
  partitionKey: typeof SESSION_PARTITION;
  rowKey: string;
  createdAt: Date;
  clientId?: string;
  clientName?: string;
  apiKeySealed?: string;
  signingSecretSealed?: string;
  /** The API key is shown on the next render only, then never again. */
  revealApiKey?: boolean;
  receiverId?: string;
  userPrincipalName?: string;
  timeZone?: string;
  connectLinkUrl?: string;
  connectionId?: string;
  bookings?: DemoBooking[];
  /** One-shot message for the next render (what the last action did, or why it failed). */
  flash?: { kind: 'ok' | 'error'; text: string };
}

interface ReceiverEntity {
  partitionKey: typeof RECEIVER_PARTITION;
  rowKey: string;
  sessionId: string;
}

export interface WebhookReceipt {
  partitionKey: string;
  rowKey: string;
  receivedAt: Date;
  eventId: string;
  type: string;
  verified: boolean;
  /** Why verification failed (missing_headers, stale_timestamp, bad_signature). */
  failure?: string;
  summary: string;
  /** busy.changed: the span whose busy time changed (ISO, UTC). */
  start?: string;
  end?: string;
}

type Row = ConsoleSession | ReceiverEntity | WebhookReceipt;

const stores = new WeakMap<Services, TableRepository<Row>>();

function table(services: Services): TableRepository<Row> {
  let repo = stores.get(services);
  if (!repo) {
    const { storage } = services.config;
    repo = new TableRepository<Row>(createTableClient(storage, `${storage.tableNamePrefix ?? ''}${CONSOLE_TABLE}`), storage.timeoutMs);
    stores.set(services, repo);
  }
  return repo;
}

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

export async function loadSession(services: Services, sessionId: string | undefined): Promise<ConsoleSession | undefined> {
  if (!sessionId || !SESSION_ID.test(sessionId)) return undefined;
  const found = await table(services).get(SESSION_PARTITION, sessionId);
  return found ? (found.entity as ConsoleSession) : undefined;
}

export function emptySession(sessionId = newSessionId()): ConsoleSession {
  return { partitionKey: SESSION_PARTITION, rowKey: sessionId, createdAt: new Date() };
}

/** One browser drives one session; last writer wins is enough here. */
export async function saveSession(services: Services, session: ConsoleSession): Promise<void> {
  await table(services).upsert(session);
}

export async function deleteSession(services: Services, session: ConsoleSession): Promise<void> {
  await table(services).delete(SESSION_PARTITION, session.rowKey);
}

export async function registerReceiver(services: Services, session: ConsoleSession): Promise<string> {
  const receiverId = randomBytes(16).toString('hex');
  await table(services).upsert({ partitionKey: RECEIVER_PARTITION, rowKey: receiverId, sessionId: session.rowKey });
  return receiverId;
}

export async function sessionOfReceiver(services: Services, receiverId: string): Promise<ConsoleSession | undefined> {
  if (!/^[0-9a-f]{32}$/.test(receiverId)) return undefined;
  const found = await table(services).get(RECEIVER_PARTITION, receiverId);
  return found ? loadSession(services, (found.entity as ReceiverEntity).sessionId) : undefined;
}

const hooksPartition = (receiverId: string) => `hooks-${receiverId}`;
// Newest first in key order.
const invertedTime = (ms: number) => String(9_999_999_999_999 - ms).padStart(13, '0') + randomBytes(3).toString('hex');

export async function storeWebhookReceipt(
  services: Services,
  receiverId: string,
  receipt: Omit<WebhookReceipt, 'partitionKey' | 'rowKey'>,
): Promise<void> {
  await table(services).create({ ...receipt, partitionKey: hooksPartition(receiverId), rowKey: invertedTime(receipt.receivedAt.getTime()) });
}

export async function listWebhookReceipts(services: Services, receiverId: string | undefined, limit = 10): Promise<WebhookReceipt[]> {
  if (!receiverId) return [];
  const page = await table(services).listPartition(hooksPartition(receiverId), { pageSize: limit });
  return page.items.map((v) => v.entity) as WebhookReceipt[];
}
