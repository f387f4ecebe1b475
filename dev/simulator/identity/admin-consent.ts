// /{tenant}/adminconsent (and /{tenant}/v2.0/adminconsent): an administrator grants an app tenant-wide,
// which includes its application permissions (roles) for client credentials, then returns to the app
// with admin_consent=True&tenant={tid}. The roles reach client-credential tokens only after a while
// (IdentityStore.appRolesInTokens).
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent
import type { Router, SimRequest, SimResponse } from '../router.js';
import { isConsumerTenant, type SimState } from '../state.js';
import { checkClientAndRedirect, errorPageFor, errorToApp, findByHint, resolveTenantScope, respondToApp, usersIn } from './authorize.js';
import { IdentityError } from './errors.js';
import { formBody } from './http.js';
import { adminConsentPage } from './pages.js';
import { identityStore } from './store.js';

export function registerAdminConsent(router: Router, state: SimState): void {
  const store = identityStore(state);
  for (const path of ['/:tenant/adminconsent', '/:tenant/v2.0/adminconsent']) {
    router.on('GET', path, (req) => handle(req, req.query, false));
    router.on('POST', path, (req) => handle(req, formBody(req), true));
  }

  function handle(req: SimRequest, q: URLSearchParams, submitted: boolean): SimResponse {
    const scope = resolveTenantScope(state, req.params.tenant!);
    if (scope instanceof IdentityError) return errorPageFor(state, req, scope);
    // Admin consent is an organization's: personal accounts have no administrator and no tenant-wide
    // grants (https://learn.microsoft.com/entra/identity-platform/v2-admin-consent#request-the-permissions-from-a-directory-admin).
    if (!scope.all && isConsumerTenant(scope.tenant.id))
      return errorPageFor(state, req, new IdentityError('invalid_request', 9001023, "The admin consent endpoint isn't supported for personal Microsoft accounts (the consumers tenant)."));
    const checked = checkClientAndRedirect(state, q.get('client_id'), q.get('redirect_uri'));
    if (checked instanceof IdentityError) return errorPageFor(state, req, checked);
    const back = { redirectUri: checked.redirectUri, responseMode: 'query' as const, state: q.get('state') ?? undefined };
    const admins = usersIn(state, scope).filter((u) => !isConsumerTenant(u.tenantId));

    let admin = store.autoConsent ? findByHint(admins, q.get('login_hint') ?? undefined) : undefined;
    if (!admin && !submitted) {
      const fields: Record<string, string> = { client_id: checked.app.clientId, redirect_uri: checked.redirectUri };
      for (const name of ['state', 'scope']) if (q.get(name)) fields[name] = q.get(name)!;
      const tenantName = scope.all ? 'your organization' : scope.tenant.displayName;
      return adminConsentPage({ action: req.path, fields, appName: checked.app.displayName, tenantName, admins, roles: store.settingsFor(checked.app.clientId).roles });
    }
    if (!admin) {
      if (q.get('decision') !== 'accept')
        return errorToApp(state, back, new IdentityError('access_denied', 65004, 'User declined to consent to access the app.', { subcode: 'cancel' }));
      admin = admins.find((u) => u.id === q.get('user'));
      if (!admin) return errorPageFor(state, req, new IdentityError('invalid_request', 50034, 'The user account does not exist in this directory.'));
    }
    const tenant = state.directory.tenants.get(admin.tenantId)!;
    store.grantAdminConsent(tenant, checked.app.clientId, state.clock.now());
    return respondToApp(back, { admin_consent: 'True', tenant: tenant.id, scope: q.get('scope') ?? undefined });
  }
}
