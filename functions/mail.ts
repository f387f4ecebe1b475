// POST /api/connections/{id}/mail (API key): send from the connected mailbox through Graph, optionally with
// a booking's iCalendar invitation; 202 when sent now, 200 with the same body for a repeated messageId.
// PUT /api/manage/clients/{clientId}/mail (admin key): enable mail (and SMTP/IMAP tokens) for a client.
import { connectionIdFromRoute } from '../shared/bookings/connection-access.js';
import { authenticateAdmin, authenticateClient } from '../shared/http/authenticate-client.js';
import { httpHandler, readJson } from '../shared/http/handle.js';
import { mailSettingsSchema, setMailSettings } from '../shared/mail/mail-settings.js';
import { MAX_MAIL_REQUEST_BYTES, sendConnectionMail, sendMailSchema } from '../shared/mail/send-mail.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';

export const connectionMailFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'connectionMail',
  route: 'connections/{id}/mail',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    const client = await authenticateClient(request, services);
    const id = connectionIdFromRoute(request.params);
    const input = await readJson(request, sendMailSchema, MAX_MAIL_REQUEST_BYTES);
    const result = await sendConnectionMail(services, client, id, input);
    return { status: result.sentNow ? 202 : 200, headers: { 'Cache-Control': 'no-store' }, jsonBody: result.view };
  }),
};

export const manageClientsMailFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'manageClientsMail',
  route: 'manage/clients/{clientId}/mail',
  methods: ['PUT'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    await authenticateAdmin(request, services);
    const input = await readJson(request, mailSettingsSchema, 1024);
    return { status: 200, headers: { 'Cache-Control': 'no-store' }, jsonBody: await setMailSettings(request.params.clientId ?? '', input, services) };
  }),
};

export const mailFunctions = [connectionMailFunction, manageClientsMailFunction];
