// POST /api/connections/{id}/xoauth2 (API key): a short-lived Outlook access token and SASL XOAUTH2 string
// for the booking system's own SMTP or IMAP client. The response carries the token, so it is never cached.
import { connectionIdFromRoute } from '../shared/bookings/connection-access.js';
import { authenticateClient } from '../shared/http/authenticate-client.js';
import { httpHandler, readJson } from '../shared/http/handle.js';
import { issueXoauth2, xoauth2Schema } from '../shared/mail/xoauth2.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';

export const connectionXoauth2Function: HttpFunctionDefinition = {
  kind: 'http',
  name: 'connectionXoauth2',
  route: 'connections/{id}/xoauth2',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    const client = await authenticateClient(request, services);
    const id = connectionIdFromRoute(request.params);
    const input = await readJson(request, xoauth2Schema, 4 * 1024);
    const grant = await issueXoauth2(services, client, id, input);
    return { status: 200, headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' }, jsonBody: grant };
  }),
};
