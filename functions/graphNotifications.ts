// POST /api/graph/notifications (anonymous): Graph's change notifications for our calendar subscriptions.
// Handshake echo, or clientState check + grouped enqueue + 202 (shared/sync/notification-endpoint.ts).
import { httpHandler } from '../shared/http/handle.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { receiveGraphPost } from '../shared/sync/notification-endpoint.js';

export const graphNotifications = httpHandler((request, context) => {
  const { store, config } = getServices();
  return receiveGraphPost(request, context, store, config.storage);
});

export const graphNotificationsFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'graphNotifications',
  route: 'graph/notifications',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: graphNotifications,
};
