// POST /api/connect-links (API key): a single-use link the booking system sends its user to connect a calendar.
import { z } from 'zod';
import { createConnectLink } from '../shared/connect/connect-links.js';
import { authenticateClient } from '../shared/http/authenticate-client.js';
import { httpHandler, readJson } from '../shared/http/handle.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';

const MAX_BODY_BYTES = 8 * 1024;

export const connectLinkRequest = z
  .object({
    externalUserId: z.string().trim().min(1).max(256),
    returnUrl: z.string().min(1).max(2048),
    loginHint: z.string().trim().min(3).max(256).regex(/^[^\s@]+@[^\s@]+$/, 'an email address or UPN').optional(),
    pickCalendars: z.boolean().optional(),
  })
  .strict();

export const connectLinksFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'connectLinks',
  route: 'connect-links',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    const client = await authenticateClient(request, services);
    const body = await readJson(request, connectLinkRequest, MAX_BODY_BYTES);
    const link = await createConnectLink(client, body, services);
    return { status: 201, headers: { 'Cache-Control': 'no-store' }, jsonBody: link };
  }),
};
