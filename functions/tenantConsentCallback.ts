// GET /api/auth/tenant-callback: Microsoft's admin-consent endpoint sends the administrator back here with
// admin_consent=True&tenant=... (or error=access_denied) and our state.
import { browserHandler } from '../shared/http/browser-handler.js';
import { errorPage, redirect } from '../shared/http/html.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { completeTenantConsent, TENANT_CONSENT_CALLBACK_ROUTE } from '../shared/spaces/tenant-consent.js';

export const tenantConsentCallbackFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'tenantConsentCallback',
  route: TENANT_CONSENT_CALLBACK_ROUTE,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: browserHandler(async (request) => {
    const outcome = await completeTenantConsent(new URL(request.url).searchParams, getServices());
    return outcome.kind === 'redirect' ? redirect(outcome.location) : errorPage(outcome.status, outcome.code, outcome.message);
  }),
};
