// POST /api/connect-links (API key): a single-use link the booking system sends its user to connect a calendar,
// or (kind "tenant") its customer's administrator to grant tenant-wide access for room mailboxes.
import { connectLinkBody } from '../shared/connect/connect-link-request.js';
import { connectLinkSchema, createConnectLink } from '../shared/connect/connect-links.js';
import { apiRoute } from '../shared/http/api-route.js';
import { createTenantConsentLink } from '../shared/spaces/tenant-consent.js';

export const connectLinksFunction = apiRoute({
  name: 'connectLinks',
  route: 'connect-links',
  method: 'POST',
  auth: 'apiKey',
  body: connectLinkBody,
  maxBodyBytes: 8 * 1024,
  answers: { 201: connectLinkSchema },
  problems: ['return_url_not_allowed', 'connection_not_found', 'work_account_required'],
  doc: {
    tag: 'Connections',
    summary: 'Create a single-use connect link for a user, or (kind tenant) for tenant-wide admin consent',
    example: { externalUserId: 'staff-42', returnUrl: 'https://book.acme.example/calendar/done', loginHint: 'pat@contoso.com', pickCalendars: true },
  },
  handle: async ({ services, client, body }) => ({
    status: 201,
    body: 'kind' in body ? await createTenantConsentLink(client, body, services) : await createConnectLink(client, body, services),
  }),
});
