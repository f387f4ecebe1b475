// GET /api/connections/{id}/busy?start=&end= (API key): merged busy intervals of the connection's busy
// calendars, from the busy cache or live.
import { busyQuery, busyResponse, readBusy, toBusyResponse } from '../shared/availability/busy.js';
import { windowOf } from '../shared/availability/time-window.js';
import { CONNECTION_PROBLEMS, connectionRouteParams, requireConnection, unknownConnection } from '../shared/bookings/connection-access.js';
import { GRAPH_PROBLEMS } from '../shared/graph/graph-problems.js';
import { apiRoute } from '../shared/http/api-route.js';

export const busyFunction = apiRoute({
  name: 'connectionBusy',
  route: 'connections/{id}/busy',
  method: 'GET',
  auth: 'apiKey',
  params: connectionRouteParams,
  unknownId: unknownConnection,
  query: busyQuery,
  answers: { 200: busyResponse },
  problems: [...CONNECTION_PROBLEMS, ...GRAPH_PROBLEMS],
  doc: { tag: 'Bookings', summary: 'Merged busy intervals (UTC) over the busy calendars' },
  handle: async ({ services, client, params, query }) => {
    const connection = await requireConnection(services, client.rowKey, params.id, 'id');
    return { status: 200, body: toBusyResponse(await readBusy(services, connection, windowOf(query), 'id')) };
  },
});
