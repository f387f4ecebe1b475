// OpenID Connect discovery and signing keys, shaped like Entra's v2.0 documents. Endpoint URLs use the
// origin the caller reached us by (see publicOrigin), so the issuer passes MSAL's issuer validation.
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri
import type { Router, SimResponse } from '../router.js';
import type { SimState } from '../state.js';
import { SESSION_COOKIE, resolveTenantScope } from './authorize.js';
import { IdentityError, tokenErrorResponse } from './errors.js';
import { cookie, header, publicOrigin } from './http.js';
import { identityStore } from './store.js';

export function registerDiscovery(router: Router, state: SimState, sim: { baseUrl: () => string }): void {
  const store = identityStore(state);

  router.on('GET', '/:tenant/v2.0/.well-known/openid-configuration', (req) => {
    const segment = req.params.tenant!;
    const scope = resolveTenantScope(state, segment);
    if (scope instanceof IdentityError) return invalidTenant(segment, header(req, 'client-request-id'));
    const origin = publicOrigin(req, sim.baseUrl());
    const base = `${origin}/${encodeURIComponent(segment)}`;
    const issuerTenant = scope.all ? '{tenantid}' : scope.tenant.id;
    return {
      status: 200,
      headers: { 'Cache-Control': 'max-age=86400, private', 'Access-Control-Allow-Origin': '*' },
      body: {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${origin}/${issuerTenant}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
        tenant_region_scope: 'NA',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      },
    } satisfies SimResponse;
  });

  const keys = (): SimResponse => ({ status: 200, headers: { 'Cache-Control': 'max-age=86400, private' }, body: store.key.jwks });
  router.on('GET', '/:tenant/discovery/v2.0/keys', keys);
  router.on('GET', '/:tenant/discovery/keys', keys);

  // Sign-out: forgets the browser session and returns to the app when it asked to.
  router.on('GET', '/:tenant/oauth2/v2.0/logout', (req): SimResponse => {
    const session = cookie(req, SESSION_COOKIE);
    if (session) store.sessions.delete(session);
    const back = req.query.get('post_logout_redirect_uri');
    const expire = `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`;
    if (back && /^https?:\/\//i.test(back)) return { status: 302, headers: { Location: back, 'Set-Cookie': expire } };
    return { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Set-Cookie': expire }, body: 'You signed out of your account.' };
  });

  function invalidTenant(segment: string, correlationId: string | undefined): SimResponse {
    const error = new IdentityError(
      'invalid_tenant',
      90002,
      `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
    return tokenErrorResponse(error, { now: state.clock.now(), correlationId });
  }
}
