// GET /api/connections/{id}/busy?start=&end= (API key): merged busy intervals of the connection's busy
// calendars, from the busy cache or live.
import { connectionIdFromRoute, requireConnection } from '../shared/bookings/connection-access.js';
import { busyQuery, readBusy, toBusyResponse } from '../shared/availability/busy.js';
import { windowOf } from '../shared/availability/time-window.js';
import { authenticateClient } from '../shared/http/authenticate-client.js';
import { httpHandler, parseWith } from '../shared/http/handle.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';

export const busyFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'connectionBusy',
  route: 'connections/{id}/busy',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    const client = await authenticateClient(request, services);
    const query = parseWith(busyQuery, { start: request.query.get('start') ?? undefined, end: request.query.get('end') ?? undefined });
    const id = connectionIdFromRoute(request.params);
    const connection = await requireConnection(services, client.rowKey, id, 'id');
    const result = await readBusy(services, connection, windowOf(query), 'id');
    return { status: 200, headers: { 'Cache-Control': 'no-store' }, jsonBody: toBusyResponse(result) };
  }),
};
