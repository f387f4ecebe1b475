// POST /api/connections/{id}/mail (API key): send from the connected mailbox through Graph, optionally with
// a booking's iCalendar invitation; 202 when sent now, 200 with the same body for a repeated messageId.
// PUT /api/manage/clients/{clientId}/mail (admin key): enable mail (and SMTP/IMAP tokens) for a client.
import * as z from 'zod';
import { PAUSE_PROBLEMS } from '../shared/admin/pause.js';
import { CONNECTION_PROBLEMS, connectionRouteParams, unknownConnection } from '../shared/bookings/connection-access.js';
import { GRAPH_PROBLEMS } from '../shared/graph/graph-problems.js';
import { apiRoute } from '../shared/http/api-route.js';
import { mailSettingsSchema, setMailSettings } from '../shared/mail/mail-settings.js';
import { MAX_MAIL_REQUEST_BYTES, sendConnectionMail, sendMailSchema, sentMailViewSchema } from '../shared/mail/send-mail.js';

export const connectionMailFunction = apiRoute({
  name: 'connectionMail',
  route: 'connections/{id}/mail',
  method: 'POST',
  auth: 'apiKey',
  params: connectionRouteParams,
  unknownId: unknownConnection,
  body: sendMailSchema,
  maxBodyBytes: MAX_MAIL_REQUEST_BYTES,
  answers: { 200: sentMailViewSchema, 202: sentMailViewSchema },
  problems: [
    'mail_not_enabled',
    'consent_missing',
    'mailbox_access_denied',
    'message_id_conflict',
    'message_in_progress',
    'message_outcome_unknown',
    'booking_not_found',
    'booking_not_on_connection',
    'booking_not_ready',
    'booking_cancelled',
    'mail_body_too_large',
    'attachment_too_large',
    ...CONNECTION_PROBLEMS,
    ...GRAPH_PROBLEMS,
    ...PAUSE_PROBLEMS,
  ],
  doc: { tag: 'Mail', summary: 'Send mail from the connected mailbox (Graph), optionally with a booking invitation; once per messageId' },
  handle: async ({ services, client, params, body }) => {
    const result = await sendConnectionMail(services, client, params.id, body);
    return { status: result.sentNow ? 202 : 200, body: result.view };
  },
});

export const manageClientsMailFunction = apiRoute({
  name: 'manageClientsMail',
  route: 'manage/clients/{clientId}/mail',
  method: 'PUT',
  auth: 'adminKey',
  params: z.object({ clientId: z.string() }),
  body: mailSettingsSchema,
  maxBodyBytes: 1024,
  answers: { 200: z.object({ clientId: z.string(), mailEnabled: z.boolean(), legacyProtocols: z.boolean() }) },
  problems: ['not_found'],
  doc: { tag: 'Admin', summary: 'Turn mail (and SMTP/IMAP XOAUTH2) on or off for a booking system', example: { mailEnabled: true, legacyProtocols: false } },
  handle: async ({ services, params, body }) => ({ status: 200, body: await setMailSettings(params.clientId, body, services) }),
});

export const mailFunctions = [connectionMailFunction, manageClientsMailFunction];
