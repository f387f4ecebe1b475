// The HTTP side shared by POST /api/graph/notifications and /api/graph/lifecycle: handshake echo, or intake
// and enqueue, then 202: validate, persist in a queue, and answer 202 Accepted within 3 seconds
// (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks#receive-notifications). The enqueue is a group commit (shared/queues/group-commit.ts): concurrent POSTs share one
// queue put, and each 202 waits for the put that holds its messages. If the put fails the request fails
// (5xx), which is what Graph needs to retry.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { readJson } from '../http/handle.js';
import { problem } from '../http/problem.js';
import type { RouteDeclaration } from '../http/route.js';
import type { StorageSettings } from '../config.js';
import type { Store } from '../store/index.js';
import { checkValidationToken, MAX_NOTIFICATION_BODY_BYTES, MAX_NOTIFICATION_ITEMS, notificationBodySchema, takeNotifications, type IntakeResult } from './notification-intake.js';
import { recordOrphans } from './orphan-reports.js';
import { enqueueGrouped } from '../queues/queue-client.js';
import { CALENDAR_SYNC_QUEUE } from './sync-messages.js';

const PLAIN_TEXT = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' };

export async function receiveGraphPost(request: HttpRequest, context: InvocationContext, store: Store, storage: StorageSettings): Promise<HttpResponseInit> {
  // https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks: the token is in the query string, already URL-decoded by URLSearchParams; echo it as
  // text/plain within 10 s, and nothing else.
  const token = request.query.get('validationToken');
  if (token !== null) {
    const checked = checkValidationToken(token);
    if (!checked.ok) {
      context.warn(`validation request refused: ${checked.reason}`);
      return { status: 400, headers: PLAIN_TEXT, body: 'invalid validationToken' };
    }
    return { status: 200, headers: PLAIN_TEXT, body: checked.token };
  }

  const body = await readJson(request, notificationBodySchema, MAX_NOTIFICATION_BODY_BYTES);
  if (body.value.length > MAX_NOTIFICATION_ITEMS)
    return problem('too_many_notifications', `A POST may carry at most ${MAX_NOTIFICATION_ITEMS} notifications.`, { field: 'value' });
  const result = await takeNotifications(store, body.value);
  logDropped(context, result.dropped);
  await enqueueGrouped(storage, CALENDAR_SYNC_QUEUE, result.messages);
  // Graph's way: 202 even when nothing matched. Graph retries any other answer for up to 4 hours
  // (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks#receive-notifications),
  // so a subscription whose record is gone would keep posting and count against the endpoint's health.
  // Its id is recorded for reconciliation to delete.
  await recordOrphans(store, result.dropped, context);
  return { status: 202 };
}

/** One line per reason, not per item: a flood must not become a flood of log lines. */
function logDropped(context: InvocationContext, dropped: IntakeResult['dropped']): void {
  const byReason = new Map<string, { n: number; example?: string }>();
  for (const d of dropped) {
    const entry = byReason.get(d.reason) ?? { n: 0, example: d.subscriptionId };
    entry.n += 1;
    byReason.set(d.reason, entry);
  }
  // Never the clientState (a secret shared with Graph); an id helps find a stale subscription.
  for (const [reason, { n, example }] of byReason) context.warn(`notifications dropped: ${n} ${reason} (e.g. subscription=${(example ?? '-').slice(0, 64)})`);
}

/** The declaration of either endpoint: anyone may POST (Graph proves itself by clientState); the answer is Graph's protocol, passed on as it is. */
export function graphPostRoute(name: string, route: string): RouteDeclaration<'none', undefined, undefined, undefined, Record<number, undefined>> {
  return {
    name,
    route,
    method: 'POST',
    auth: 'none',
    answers: { 200: undefined, 202: undefined },
    problems: [],
    handle: async ({ services, request, context }) => ({ raw: await receiveGraphPost(request, context, services.store, services.config.storage) }),
  };
}
