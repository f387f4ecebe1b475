// GET /api/auth/tenant-callback: Microsoft sends the administrator back here twice, both times with our
// state: from the admin-consent endpoint (admin_consent=True&tenant=... or error=access_denied), then from
// the OpenID Connect sign-in that proves who consented (code). Both steps must come from the browser that
// opened the tenant link (its binding cookie). While Entra propagates the consent's roles, it answers a page
// that comes back here by itself with a fresh state, until the roles are there or the wait is over.
import { browserMatches, clearedBindingsFor } from '../shared/connect/browser-binding.js';
import { errorPage, redirect } from '../shared/http/html.js';
import { pageRoute } from '../shared/http/page-route.js';
import { completeTenantConsent, TENANT_CONSENT_CALLBACK_ROUTE } from '../shared/spaces/tenant-consent.js';
import { consentWaitingPage } from '../shared/spaces/consent-waiting-page.js';

export const tenantConsentCallbackFunction = pageRoute({
  name: 'tenantConsentCallback',
  route: TENANT_CONSENT_CALLBACK_ROUTE,
  method: 'GET',
  handle: async ({ services, request, query }) => {
    const base = services.config.publicBaseUrl;
    const outcome = await completeTenantConsent(query, services, (key, stored) => browserMatches(request, base, key, stored));
    const cookies = clearedBindingsFor(base, query.get('state'));
    if (outcome.kind === 'page') return { ...errorPage(outcome.code, outcome.message, outcome.returnUrl), cookies };
    if (outcome.kind === 'waiting') return { ...consentWaitingPage(outcome), cookies: [...cookies, outcome.binding.cookie] };
    return { ...redirect(outcome.location), cookies: outcome.binding ? [...cookies, outcome.binding.cookie] : cookies };
  },
});
