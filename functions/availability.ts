// POST /api/availability (API key): free slots common to up to 50 of the caller's connections.
import { availabilityRequest, findAvailability } from '../shared/availability/availability.js';
import { authenticateClient } from '../shared/http/authenticate-client.js';
import { httpHandler, readJson } from '../shared/http/handle.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';

export const availabilityFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'availability',
  route: 'availability',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    const client = await authenticateClient(request, services);
    const body = await readJson(request, availabilityRequest);
    return { status: 200, headers: { 'Cache-Control': 'no-store' }, jsonBody: await findAvailability(services, client.rowKey, body) };
  }),
};
