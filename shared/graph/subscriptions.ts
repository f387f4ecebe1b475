// Graph subscription calls for calendar events (https://learn.microsoft.com/en-us/graph/api/resources/subscription): create, renew (PATCH),
// delete, list; and the batch items the renewal timer sends ($batch, https://learn.microsoft.com/en-us/graph/json-batching). Request builders and response readers are
// separate so the single calls and the batched ones share them.
import type { Client } from '@microsoft/microsoft-graph-client';
import { categorizeGraphError } from './client.js';
import type { BatchRequestItem } from './batch.js';

/** Outlook events: at most 10,080 minutes (https://learn.microsoft.com/en-us/graph/api/resources/subscription#subscription-lifetime; older pages said 4,230);
 * we ask for a little less. */
export const MAX_SUBSCRIPTION_MINUTES = 10_080;
export const SUBSCRIPTION_MARGIN_MINUTES = 60;
export const CHANGE_TYPES = 'created,updated,deleted';
const CALL_TIMEOUT_MS = 15_000;

/**
 * The documented resource for a user's events: "Changes to all events in a user's mailbox:
 * /users/{id}/events" (https://learn.microsoft.com/en-us/graph/outlook-change-notifications-overview).
 * Outlook is seen to notify only the default calendar's changes on it. The object id, not the UPN, so the
 * mailbox resolves unambiguously ("Mailbox info is stale" otherwise, same page).
 */
export function mailboxEventsResource(objectId: string): string {
  return `/users/${encodeURIComponent(objectId)}/events`;
}

/**
 * One calendar's events: not in Microsoft's reference, only observed to work. Used for secondary calendars
 * only, and given up for the mailbox resource as soon as Graph refuses it (isUnsupportedResource).
 */
export function calendarEventsResource(objectId: string, calendarId: string): string {
  return `/users/${encodeURIComponent(objectId)}/calendars/${encodeURIComponent(calendarId)}/events`;
}

/** Graph's refusal of a resource it does not support: 400 "... of parameter 'Resource' is not supported". */
export function isUnsupportedResource(error: unknown): boolean {
  return categorizeGraphError(error) === 'bad_request' && /resource/i.test(String((error as Error)?.message)) && /not supported/i.test(String((error as Error)?.message));
}

/** The id of the mailbox's default calendar (GET /me/calendar). */
export async function defaultCalendarId(client: Client): Promise<string> {
  const calendar = (await client.api('/me/calendar').select('id').options({ signal: AbortSignal.timeout(CALL_TIMEOUT_MS) }).get()) as { id: string };
  return calendar.id;
}

export function subscriptionExpiry(now = new Date()): Date {
  return new Date(now.getTime() + (MAX_SUBSCRIPTION_MINUTES - SUBSCRIPTION_MARGIN_MINUTES) * 60_000);
}

export interface CreateSubscriptionRequest {
  resource: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string;
  clientState: string;
  expirationDateTime: Date;
}

export interface GraphSubscription {
  id: string;
  resource: string;
  expirationDateTime: string;
  notificationUrl?: string;
  clientState?: string | null;
}

/** POST /subscriptions: 201 with the subscription; Graph validates both URLs first (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks). */
export async function createSubscription(client: Client, request: CreateSubscriptionRequest): Promise<GraphSubscription> {
  return (await client
    .api('/subscriptions')
    .options({ signal: AbortSignal.timeout(CALL_TIMEOUT_MS * 2) }) // the handshake to our endpoints runs inside it
    .post({
      changeType: CHANGE_TYPES,
      notificationUrl: request.notificationUrl,
      // Only settable at creation (https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events).
      lifecycleNotificationUrl: request.lifecycleNotificationUrl,
      resource: request.resource,
      expirationDateTime: request.expirationDateTime.toISOString(),
      clientState: request.clientState,
    })) as GraphSubscription;
}

/** PATCH /subscriptions/{id}: renews and also reauthorizes (one PATCH, no separate reauthorize:
 * https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events#responding-to-reauthorizationrequired-notifications). */
export async function renewSubscription(client: Client, subscriptionId: string, expiry: Date): Promise<GraphSubscription> {
  return (await client
    .api(`/subscriptions/${encodeURIComponent(subscriptionId)}`)
    .options({ signal: AbortSignal.timeout(CALL_TIMEOUT_MS) })
    .patch({ expirationDateTime: expiry.toISOString() })) as GraphSubscription;
}

export function renewSubscriptionItem(id: string, subscriptionId: string, expiry: Date, mailbox?: string): BatchRequestItem {
  return { id, method: 'PATCH', url: `/subscriptions/${encodeURIComponent(subscriptionId)}`, body: { expirationDateTime: expiry.toISOString() }, mailbox };
}

/** DELETE /subscriptions/{id}: 204; a subscription Graph no longer has counts as deleted. */
export async function deleteSubscription(client: Client, subscriptionId: string): Promise<void> {
  try {
    await client.api(`/subscriptions/${encodeURIComponent(subscriptionId)}`).options({ signal: AbortSignal.timeout(CALL_TIMEOUT_MS) }).delete();
  } catch (error) {
    if (categorizeGraphError(error) !== 'not_found') throw error;
  }
}

/** GET /subscriptions: with a delegated token, the ones this app holds for the signed-in user. */
export async function listSubscriptions(client: Client): Promise<GraphSubscription[]> {
  const out: GraphSubscription[] = [];
  let page = (await client.api('/subscriptions').options({ signal: AbortSignal.timeout(CALL_TIMEOUT_MS) }).get()) as {
    value?: GraphSubscription[];
    '@odata.nextLink'?: string;
  };
  for (let pages = 1; ; pages += 1) {
    out.push(...(page.value ?? []));
    const next = page['@odata.nextLink'];
    if (!next || pages >= 50) return out;
    page = await client.api(next).get();
  }
}
