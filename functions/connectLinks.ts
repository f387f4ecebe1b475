// POST /api/connect-links (API key): a single-use link the booking system sends its user to connect a calendar,
// or (kind "tenant") its customer's administrator to grant tenant-wide access for room mailboxes.
import { z } from 'zod';
import { createConnectLink } from '../shared/connect/connect-links.js';
import { connectLinkRequest, tenantConnectLinkRequest } from '../shared/connect/connect-link-request.js';
import { authenticateClient } from '../shared/http/authenticate-client.js';
import { httpHandler, parseWith, readJson } from '../shared/http/handle.js';
import { createTenantConsentLink } from '../shared/spaces/tenant-consent.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';

const MAX_BODY_BYTES = 8 * 1024;

export const connectLinksFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'connectLinks',
  route: 'connect-links',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    const client = await authenticateClient(request, services);
    const raw: unknown = await readJson(request, z.unknown(), MAX_BODY_BYTES);
    // Validated against the kind's own schema, so a bad field is named (a union would only say "no match").
    const link =
      (raw as { kind?: unknown } | null)?.kind === 'tenant'
        ? await createTenantConsentLink(client, parseWith(tenantConnectLinkRequest, raw), services)
        : await createConnectLink(client, parseWith(connectLinkRequest, raw), services);
    return { status: 201, headers: { 'Cache-Control': 'no-store' }, jsonBody: link };
  }),
};
