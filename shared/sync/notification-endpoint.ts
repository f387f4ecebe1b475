// The HTTP side shared by POST /api/graph/notifications and /api/graph/lifecycle: handshake echo, or intake
// and enqueue through the storageQueue output binding, then 202 (graph.md §2.2: "validate and persist the
// notification in a queue ... and return 202 Accepted"). If the binding cannot write, the host answers
// 5xx, which is what Graph needs to retry.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { readJson } from '../http/handle.js';
import { problem } from '../http/problem.js';
import type { Store } from '../store/index.js';
import { checkValidationToken, MAX_NOTIFICATION_BODY_BYTES, notificationBodySchema, takeNotifications } from './notification-intake.js';
import { calendarSyncOutput } from './sync-messages.js';

const PLAIN_TEXT = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' };

export async function receiveGraphPost(request: HttpRequest, context: InvocationContext, store: Store): Promise<HttpResponseInit> {
  // graph.md §1: the token is in the query string, already URL-decoded by URLSearchParams; echo it as
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
  const result = await takeNotifications(store, body.value);
  for (const d of result.dropped) {
    // Never the clientState (graph.md §2.5 says why it is a secret); the id helps find a stale subscription.
    context.warn(`notification dropped: ${d.reason} subscription=${(d.subscriptionId ?? '-').slice(0, 64)}`);
  }
  if (result.messages.length > 0) context.extraOutputs.set(calendarSyncOutput, result.messages);
  const unauthenticated = new Set(['malformed', 'unknown_subscription', 'client_state_mismatch']);
  if (body.value.length > 0 && result.accepted === 0 && result.dropped.every((d) => unauthenticated.has(d.reason))) {
    // Nothing in the POST was ours: 202 would invite more; Graph itself never gets here with our clientState.
    return problem(403, 'notification_rejected', 'No notification in the request matched a known subscription and clientState.');
  }
  return { status: 202 };
}
