// Every busy calendar of a connection is served by a Graph subscription, kept in step with the connection's
// busyCalendarIds: missing ones created (then the calendar fully synced), extra ones deleted. The default
// calendar uses the documented mailbox resource (/users/{id}/events); a secondary calendar tries its own
// (undocumented) resource and, when Graph refuses it, shares the mailbox one. Graph allows one
// subscription per app, resource and changeType, so a second owner of the same calendar (another booking
// system, a reconnect) shares the existing subscription instead of displacing it (share rows).
// Runs on the calendar-sync queue, never inside the connect redirect, so a slow handshake or a Graph
// failure is retried by the queue rather than failing the user's sign-in.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@microsoft/microsoft-graph-client';
import { categorizeGraphError } from '../graph/client.js';
import {
  calendarEventsResource,
  createSubscription,
  defaultCalendarId,
  deleteSubscription,
  isUnsupportedResource,
  mailboxEventsResource,
  subscriptionExpiry,
} from '../graph/subscriptions.js';
import { enqueue } from '../queues/queue-client.js';
import type { Services } from '../services.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { isShareRow, type SubscriptionEntity } from '../store/repositories/subscriptions.js';
import { forgetCalendar, markCalendarStale } from './busy-cache.js';
import { hashClientState, newClientState } from './client-state.js';
import { forgetSubscription } from './subscription-lookup.js';
import { CALENDAR_SYNC_QUEUE, type ChangesMessage, type ResyncMessage, type SubscriptionsMessage } from './sync-messages.js';

export const NOTIFICATIONS_ROUTE = '/api/graph/notifications';
export const LIFECYCLE_ROUTE = '/api/graph/lifecycle';

/** Every subscription record and share row of a connection (its owner index: one partition query). */
export function listConnectionSubscriptions(services: Services, clientId: string, connectionId: string): Promise<SubscriptionEntity[]> {
  return services.store.subscriptions.listOwnerRecords(clientId, connectionId);
}

/** Asks the queue to bring the connection's subscriptions in line with its busy calendars. */
export async function requestSubscriptionSync(services: Services, connection: Pick<ConnectionEntity, 'partitionKey' | 'rowKey'>): Promise<void> {
  const message: SubscriptionsMessage = {
    kind: 'subscriptions',
    clientId: connection.partitionKey,
    connectionId: connection.rowKey,
    receivedAt: new Date().toISOString(),
  };
  await enqueue(services.config.storage, CALENDAR_SYNC_QUEUE, message);
}

/** A delta round for a calendar no notification covers (as if one had arrived). */
export async function requestDeltaRound(services: Services, connection: Pick<ConnectionEntity, 'partitionKey' | 'rowKey'>, calendarId: string, subscriptionId: string): Promise<void> {
  const message: ChangesMessage = { kind: 'changes', clientId: connection.partitionKey, connectionId: connection.rowKey, calendarId, subscriptionId, receivedAt: new Date().toISOString() };
  await enqueue(services.config.storage, CALENDAR_SYNC_QUEUE, message);
}

export async function requestFullSync(services: Services, connection: Pick<ConnectionEntity, 'partitionKey' | 'rowKey'>, calendarId: string, subscriptionId?: string): Promise<void> {
  const message: ResyncMessage = {
    kind: 'resync',
    clientId: connection.partitionKey,
    connectionId: connection.rowKey,
    calendarId,
    ...(subscriptionId ? { subscriptionId } : {}),
    receivedAt: new Date().toISOString(),
  };
  await enqueue(services.config.storage, CALENDAR_SYNC_QUEUE, message);
}

/**
 * Serves one calendar with a subscription: a new one (recorded, clientState hashed), or a share of the one
 * Graph already holds for the same resource (409 "Subscription Id <id> already exists for the requested
 * combination", https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks).
 */
export async function subscribeCalendar(services: Services, graph: Client, connection: ConnectionEntity, calendarId: string): Promise<SubscriptionEntity> {
  const objectId = connection.objectId!;
  const isDefault = (await defaultCalendarId(graph)) === calendarId;
  let resource = isDefault ? mailboxEventsResource(objectId) : calendarEventsResource(objectId, calendarId);
  // A secondary calendar on the mailbox resource is not notified (as Outlook behaves): it is polled.
  let unwatched = false;
  for (;;) {
    try {
      return await createAndRecord(services, graph, connection, calendarId, resource, unwatched);
    } catch (error) {
      // The per-calendar resource is not documented: when Graph refuses it, fall back to the documented one.
      if (resource !== mailboxEventsResource(objectId) && isUnsupportedResource(error)) {
        resource = mailboxEventsResource(objectId);
        unwatched = true;
        continue;
      }
      const existing = /Subscription Id ([0-9a-f-]{36})/i.exec(String((error as Error).message))?.[1];
      if (categorizeGraphError(error) !== 'conflict' || !existing) throw error;
      const owners = await ownersOnceRecorded(services, existing);
      const record = owners.find((o) => !isShareRow(o));
      if (!record) {
        // One we lost track of (its clientState is unknown to us): delete it and create ours.
        await deleteSubscription(graph, existing);
        return createAndRecord(services, graph, connection, calendarId, resource, unwatched);
      }
      const mine = owners.find((o) => o.clientId === connection.partitionKey && o.connectionId === connection.rowKey && o.calendarId === calendarId);
      if (mine) return mine;
      return services.store.subscriptions.addShare(record, { clientId: connection.partitionKey, connectionId: connection.rowKey, calendarId }, unwatched);
    }
  }
}

/** How long a subscription Graph holds may go without its record before we take it for one we lost. */
const RECORD_GRACE_MS = [250, 500, 1_000, 2_000, 4_000];

/**
 * The owners of a subscription Graph says exists. With none, another owner's create may have reached Graph
 * and not yet written its record: wait for it a few seconds before the caller takes the subscription for
 * lost (and deletes it, which would pull it from under that owner).
 */
async function ownersOnceRecorded(services: Services, subscriptionId: string): Promise<SubscriptionEntity[]> {
  let owners = await services.store.subscriptions.listOwners(subscriptionId);
  for (const delay of RECORD_GRACE_MS) {
    if (owners.some((o) => !isShareRow(o))) break;
    await sleep(delay);
    owners = await services.store.subscriptions.listOwners(subscriptionId);
  }
  return owners;
}

async function createAndRecord(
  services: Services,
  graph: Client,
  connection: ConnectionEntity,
  calendarId: string,
  resource: string,
  unwatched: boolean,
): Promise<SubscriptionEntity> {
  const clientState = newClientState();
  const base = services.config.publicBaseUrl;
  const request = {
    resource,
    notificationUrl: `${base}${NOTIFICATIONS_ROUTE}`,
    lifecycleNotificationUrl: `${base}${LIFECYCLE_ROUTE}`,
    clientState,
    expirationDateTime: subscriptionExpiry(),
  };
  const created = await createSubscription(graph, request);
  const saved = await services.store.subscriptions.createSubscription({
    subscriptionId: created.id,
    clientId: connection.partitionKey,
    connectionId: connection.rowKey,
    resource: request.resource,
    calendarId,
    clientStateHash: hashClientState(clientState),
    ...(unwatched ? { unwatched } : {}),
    expiresAt: new Date(Date.parse(created.expirationDateTime) || request.expirationDateTime.getTime()),
    createdAt: new Date(),
  });
  // A notification that raced the record (and was remembered as unknown) must not hide it for a minute.
  forgetSubscription(services.store, created.id);
  return saved.entity;
}

/**
 * Stops serving one calendar: a share row just goes; a record whose subscription others share passes to
 * the first of them (the Graph subscription stays); otherwise the subscription is deleted in Graph (a
 * missing one is fine) and here.
 */
export async function unsubscribe(services: Services, graph: Client | undefined, record: SubscriptionEntity): Promise<void> {
  const { subscriptions } = services.store;
  forgetSubscription(services.store, record.subscriptionId);
  if (isShareRow(record)) return subscriptions.deleteShare(record);
  const share = (await subscriptions.listOwners(record.subscriptionId)).find(isShareRow);
  if (share) return subscriptions.promoteShare(record, share);
  if (graph) await deleteSubscription(graph, record.subscriptionId);
  await subscriptions.deleteSubscription(record.subscriptionId);
}

/** Graph no longer has the subscription: its record and share rows go, and are returned (every owner it served). */
export async function forgetGoneSubscription(services: Services, subscriptionId: string): Promise<SubscriptionEntity[]> {
  const { subscriptions } = services.store;
  forgetSubscription(services.store, subscriptionId);
  const owners = await subscriptions.listOwners(subscriptionId);
  for (const share of owners.filter(isShareRow)) await subscriptions.deleteShare(share);
  await subscriptions.deleteSubscription(subscriptionId);
  return owners;
}

export interface SubscriptionChanges {
  created: string[];
  removed: string[];
}

/**
 * Makes the connection's subscriptions match its busy calendars. New calendars get a subscription and
 * then a full sync (queued); calendars no longer busy lose theirs and their cached busy time.
 */
export async function ensureCalendarSubscriptions(
  services: Services,
  graph: Client,
  connection: ConnectionEntity,
  known?: readonly SubscriptionEntity[],
): Promise<SubscriptionChanges> {
  const records = known ?? (await listConnectionSubscriptions(services, connection.partitionKey, connection.rowKey));
  const wanted = connection.status === 'active' && connection.objectId ? new Set(connection.busyCalendarIds ?? []) : new Set<string>();
  const changes: SubscriptionChanges = { created: [], removed: [] };
  const covered = new Set<string>();
  for (const record of records) {
    if (record.calendarId && wanted.has(record.calendarId) && !covered.has(record.calendarId)) {
      covered.add(record.calendarId);
      continue;
    }
    await unsubscribe(services, graph, record);
    if (record.calendarId && !wanted.has(record.calendarId)) await forgetCalendar(services.store, connection, record.calendarId);
    changes.removed.push(record.calendarId ?? '');
  }
  const states = await services.store.busy.listSyncStates(connection.rowKey);
  // Calendars without a subscription (shared ones) that are no longer busy calendars lose their cached busy time.
  for (const state of states) {
    if (wanted.has(state.calendarId) || changes.removed.includes(state.calendarId)) continue;
    await forgetCalendar(services.store, connection, state.calendarId);
    changes.removed.push(state.calendarId);
  }
  // A subscribed calendar never fully synced: an earlier run subscribed it and died (a storage outage, a
  // host killed) before its full sync was queued, and the queue runs the step again. Queued now, or nothing
  // would report what changed in Outlook before the subscription (nor keep its cache) until the hourly sweep.
  for (const calendarId of covered) {
    if (states.some((s) => s.calendarId === calendarId && s.status === 'synced')) continue;
    await requestFullSync(services, connection, calendarId);
  }
  for (const calendarId of wanted) {
    if (covered.has(calendarId)) continue;
    // A calendar someone else shares has no subscription: "Delegated permission supports subscribing to
    // items in folders in only the signed-in user's mailbox"
    // (https://learn.microsoft.com/en-us/graph/api/subscription-post-subscriptions#permissions). Its first
    // full sync is queued here; scheduled delta keeps it (shared/upkeep/shared-calendar-poll.ts).
    if (connection.sharedCalendars?.[calendarId] !== undefined) {
      if (await services.store.busy.getSyncState(connection.rowKey, calendarId)) continue;
      await markCalendarStale(services.store, connection, calendarId);
      await requestFullSync(services, connection, calendarId);
      changes.created.push(calendarId);
      continue;
    }
    // Until its first full sync the calendar is not served from the cache (no sync state, or a stale one).
    await markCalendarStale(services.store, connection, calendarId);
    const record = await subscribeCalendar(services, graph, connection, calendarId);
    await requestFullSync(services, connection, calendarId, record.subscriptionId);
    changes.created.push(calendarId);
  }
  return changes;
}

/** Disconnect: every subscription of the connection deleted (while a token still exists), cache forgotten. */
export async function removeConnectionSubscriptions(services: Services, graph: Client | undefined, connection: ConnectionEntity): Promise<void> {
  // Share rows first: a record then passes only to another owner's share, never to one of ours that is going too.
  const records = (await listConnectionSubscriptions(services, connection.partitionKey, connection.rowKey)).sort((a, b) => Number(isShareRow(b)) - Number(isShareRow(a)));
  for (const record of records) {
    try {
      await unsubscribe(services, graph, record);
    } catch {
      // Graph unreachable or the token is gone: drop our record anyway; Graph expires it within 7 days and
      // notifications for it are refused as unknown.
      await unsubscribe(services, undefined, record);
    }
  }
  for (const state of await services.store.busy.listSyncStates(connection.rowKey)) await forgetCalendar(services.store, connection, state.calendarId);
  for (const calendarId of connection.busyCalendarIds ?? []) await forgetCalendar(services.store, connection, calendarId);
}

