// POST /api/connect-links (API key): a single-use link the booking system sends its user to connect a calendar,
// or (kind "tenant") its customer's administrator to grant tenant-wide access for room mailboxes.
import { z } from 'zod';
import { createConnectLink } from '../shared/connect/connect-links.js';
import { authenticateClient } from '../shared/http/authenticate-client.js';
import { httpHandler, parseWith, readJson } from '../shared/http/handle.js';
import { createTenantConsentLink } from '../shared/spaces/tenant-consent.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';

const MAX_BODY_BYTES = 8 * 1024;

export const connectLinkRequest = z
  .object({
    externalUserId: z.string().trim().min(1).max(256),
    returnUrl: z.string().min(1).max(2048),
    loginHint: z.string().trim().min(3).max(256).regex(/^[^\s@]+@[^\s@]+$/, 'an email address or UPN').optional(),
    allowOtherAccount: z
      .boolean()
      .optional()
      .describe('with loginHint: accept a sign-in with another account (refused with error=account_mismatch by default)'),
    pickCalendars: z.boolean().optional(),
  })
  .strict();

/** kind "tenant": tenant-wide (admin) consent for rooms and spaces (docs/rooms.md). */
export const tenantConnectLinkRequest = z
  .object({
    kind: z.literal('tenant'),
    returnUrl: z.string().min(1).max(2048),
    tenant: z
      .string()
      .trim()
      .min(3)
      .max(253)
      .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'a tenant id or domain')
      .optional()
      .describe('tenant id or domain; the administrator\'s own tenant when absent'),
    loginHint: z.string().trim().min(3).max(256).regex(/^[^\s@]+@[^\s@]+$/, 'an email address or UPN').optional(),
  })
  .strict();

/** What POST /api/connect-links accepts (as the OpenAPI document describes it). */
export const connectLinkBody = z.union([connectLinkRequest, tenantConnectLinkRequest]);

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
