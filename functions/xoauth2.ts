// POST /api/connections/{id}/xoauth2 (API key): a short-lived Outlook access token and SASL XOAUTH2 string
// for the booking system's own SMTP or IMAP client. The response carries the token, so it is never cached.
import { CONNECTION_PROBLEMS, connectionRouteParams, unknownConnection } from '../shared/bookings/connection-access.js';
import { GRAPH_PROBLEMS } from '../shared/graph/graph-problems.js';
import { apiRoute } from '../shared/http/api-route.js';
import { issueXoauth2, xoauth2GrantSchema, xoauth2Schema } from '../shared/mail/xoauth2.js';

export const connectionXoauth2Function = apiRoute({
  name: 'connectionXoauth2',
  route: 'connections/{id}/xoauth2',
  method: 'POST',
  auth: 'apiKey',
  params: connectionRouteParams,
  unknownId: unknownConnection,
  body: xoauth2Schema,
  maxBodyBytes: 4 * 1024,
  answers: { 200: xoauth2GrantSchema },
  problems: ['mail_not_enabled', 'legacy_protocols_not_enabled', 'consent_missing', 'mailbox_access_denied', 'work_account_required', ...CONNECTION_PROBLEMS, ...GRAPH_PROBLEMS],
  headers: { Pragma: 'no-cache' },
  doc: { tag: 'Mail', summary: 'An Outlook access token and SASL XOAUTH2 string for SMTP or IMAP' },
  handle: async ({ services, client, params, body }) => ({ status: 200, body: await issueXoauth2(services, client, params.id, body) }),
});
