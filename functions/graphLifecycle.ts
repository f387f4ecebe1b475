// POST /api/graph/lifecycle (anonymous): Graph's lifecycle notifications (reauthorizationRequired,
// subscriptionRemoved, missed; https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events). Same checks as the change endpoint; the queue processor acts.
import { httpHandler } from '../shared/http/handle.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { receiveGraphPost } from '../shared/sync/notification-endpoint.js';

export const graphLifecycle = httpHandler((request, context) => {
  const { store, config } = getServices();
  return receiveGraphPost(request, context, store, config.storage);
});

export const graphLifecycleFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'graphLifecycle',
  route: 'graph/lifecycle',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: graphLifecycle,
};
