// POST /api/graph/lifecycle (anonymous): Graph's lifecycle notifications (reauthorizationRequired,
// subscriptionRemoved, missed; https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events). Same checks as the change endpoint; the queue processor acts.
import { apiRoute } from '../shared/http/api-route.js';
import { graphPostRoute } from '../shared/sync/notification-endpoint.js';

export const graphLifecycleFunction = apiRoute(graphPostRoute('graphLifecycle', 'graph/lifecycle'));
