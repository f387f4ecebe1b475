// POST /api/graph/notifications (anonymous): Graph's change notifications for our calendar subscriptions.
// Handshake echo, or clientState check + grouped enqueue + 202 (shared/sync/notification-endpoint.ts).
import { apiRoute } from '../shared/http/api-route.js';
import { graphPostRoute } from '../shared/sync/notification-endpoint.js';

export const graphNotificationsFunction = apiRoute(graphPostRoute('graphNotifications', 'graph/notifications'));
