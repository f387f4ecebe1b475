// GET /api/auth/tenant-callback: Microsoft sends the administrator back here twice, both times with our
// state: from the admin-consent endpoint (admin_consent=True&tenant=... or error=access_denied), then from
// the OpenID Connect sign-in that proves who consented (code). Both steps must come from the browser that
// opened the tenant link (its binding cookie).
import { browserMatches, clearedBinding } from '../shared/connect/browser-binding.js';
import { browserHandler } from '../shared/http/browser-handler.js';
import { errorPage, redirect } from '../shared/http/html.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { completeTenantConsent, TENANT_CONSENT_CALLBACK_ROUTE } from '../shared/spaces/tenant-consent.js';
import { stateHash } from '../shared/store/repositories/oauth-states.js';

export const tenantConsentCallbackFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'tenantConsentCallback',
  route: TENANT_CONSENT_CALLBACK_ROUTE,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: browserHandler(async (request) => {
    const services = getServices();
    const base = services.config.publicBaseUrl;
    const query = new URL(request.url).searchParams;
    const outcome = await completeTenantConsent(query, services, (key, stored) => browserMatches(request, base, key, stored));
    const state = query.get('state');
    const cookies = state && state.length <= 512 ? [clearedBinding(base, stateHash(state))] : [];
    if (outcome.kind === 'page') return { ...errorPage(outcome.code, outcome.message, outcome.returnUrl), cookies };
    return { ...redirect(outcome.location), cookies: outcome.binding ? [...cookies, outcome.binding.cookie] : cookies };
  }),
};
