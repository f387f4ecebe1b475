// POST /api/graph/lifecycle (anonymous): Graph's lifecycle notifications (reauthorizationRequired,
// subscriptionRemoved, missed; graph.md §3). Same checks as the change endpoint; the queue processor acts.
import { httpHandler } from '../shared/http/handle.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { receiveGraphPost } from '../shared/sync/notification-endpoint.js';
import { calendarSyncOutput } from '../shared/sync/sync-messages.js';

export const graphLifecycle = httpHandler((request, context) => receiveGraphPost(request, context, getServices().store));

export const graphLifecycleFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'graphLifecycle',
  route: 'graph/lifecycle',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraOutputs: [calendarSyncOutput],
  handler: graphLifecycle,
};
