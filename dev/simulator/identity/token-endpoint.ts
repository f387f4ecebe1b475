// /{tenant}/oauth2/v2.0/token: authorization_code (single use, 10 minutes, redirect_uri and PKCE checked),
// refresh_token (rotating; each refresh token lives 90 days from its own issue, old ones stay valid),
// and client_credentials (roles only after admin consent). Failures use the platform's JSON error shape.
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow,
// https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens,
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
import { createHash } from 'node:crypto';
import { authenticateClient } from './client-auth.js';
import type { Router, SimRequest, SimResponse } from '../router.js';
import { isConsumerTenant, type SimApp, type SimState, type SimUser } from '../state.js';
import { resolveTenantScope, type TenantScope } from './authorize.js';
import { IdentityError, missingParameter, tokenErrorResponse } from './errors.js';
import { formBody, header, publicOrigin } from './http.js';
import { OIDC_SCOPES, defaultScopeResource, isGraphResource, parseScopes } from './scopes.js';
import { CODE_LIFETIME_MS, REFRESH_TOKEN_INACTIVITY_MS, identityStore, opaque, type IdentityStore } from './store.js';
import { clientInfo, mintGraphAccessToken, mintIdToken } from './tokens.js';
import { mintOutlookAccessToken, moreThanOneResource } from './outlook-resource.js';
import { appApiResource, mintAppApiToken } from './app-api.js';

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

export function registerTokenEndpoint(router: Router, state: SimState, sim: { baseUrl: () => string }): void {
  const store = identityStore(state);

  router.on('POST', '/:tenant/oauth2/v2.0/token', async (req) => {
    try {
      return await token(req);
    } catch (error) {
      if (error instanceof IdentityError) return tokenErrorResponse(error, { now: state.clock.now(), correlationId: header(req, 'client-request-id') });
      throw error;
    }
  });
  router.on('GET', '/:tenant/oauth2/v2.0/token', (req) =>
    tokenErrorResponse(new IdentityError('invalid_request', 900561, 'The endpoint only accepts POST, OPTIONS requests. Received a GET request.'), {
      now: state.clock.now(),
      correlationId: header(req, 'client-request-id'),
    }),
  );

  async function token(req: SimRequest): Promise<SimResponse> {
    const scope = resolveTenantScope(state, req.params.tenant!);
    if (scope instanceof IdentityError) throw scope;
    const form = formBody(req);
    const grantType = form.get('grant_type');
    if (!grantType) throw missingParameter('grant_type');
    if (!['authorization_code', 'refresh_token', 'client_credentials'].includes(grantType))
      throw new IdentityError('unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`);
    const issuerOrigin = publicOrigin(req, sim.baseUrl());
    const app = await authenticateClient(state, req, form, `${issuerOrigin}/${req.params.tenant!}/oauth2/v2.0/token`);
    if (grantType === 'authorization_code') return redeemCode(form, app, scope, issuerOrigin);
    if (grantType === 'refresh_token') return redeemRefreshToken(form, app, issuerOrigin);
    return clientCredentials(form, app, scope, issuerOrigin);
  }

  async function redeemCode(form: URLSearchParams, app: SimApp, scope: TenantScope, issuerOrigin: string): Promise<SimResponse> {
    const code = form.get('code');
    if (!code) throw missingParameter('code');
    const redirectUri = form.get('redirect_uri');
    if (!redirectUri) throw missingParameter('redirect_uri');
    const record = store.codes.get(code);
    if (!record) throw new IdentityError('invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid. The authorization code is not valid.');
    if (record.clientId !== app.clientId)
      throw new IdentityError('invalid_grant', 70000, 'The provided authorization code was issued to a different client.');
    if (!scope.all && scope.tenant.id !== record.tenantId)
      throw new IdentityError(
        'invalid_grant',
        700005,
        'Provided Authorization Code is intended to use against other tenant, thus rejected. OAuth2 Authorization Code must be redeemed against same tenant it was acquired for.',
      );
    if (record.used)
      throw new IdentityError('invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.');
    // Single use: a redemption attempt consumes the code even when a check below refuses it.
    record.used = true;
    if (state.clock.now() - record.issuedAt > CODE_LIFETIME_MS)
      throw new IdentityError(
        'invalid_grant',
        70008,
        'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
      );
    if (redirectUri !== record.redirectUri)
      throw new IdentityError(
        'invalid_grant',
        500112,
        `The reply address '${redirectUri}' does not match the reply address '${record.redirectUri}' provided when requesting Authorization code.`,
      );
    checkPkce(record.codeChallenge, record.codeChallengeMethod, form.get('code_verifier'));
    const user = state.directory.users.get(record.userId);
    if (!user) throw userGone();
    return issue({
      app,
      user,
      scope: form.get('scope') ?? record.scope,
      withRefreshToken: parseScopes(record.scope).oidc.has('offline_access'),
      nonce: record.nonce,
      authTime: record.authTime,
      revocationGeneration: store.revocationGeneration(user.id),
      issuerOrigin,
      wantsClientInfo: form.get('client_info') === '1',
    });
  }

  async function redeemRefreshToken(form: URLSearchParams, app: SimApp, issuerOrigin: string): Promise<SimResponse> {
    const refreshToken = form.get('refresh_token');
    if (!refreshToken) throw missingParameter('refresh_token');
    const grant = store.refreshTokens.get(refreshToken);
    if (!grant) throw new IdentityError('invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid. The refresh token is not valid.');
    if (grant.clientId !== app.clientId) throw new IdentityError('invalid_grant', 70000, 'The refresh token was issued to a different client.');
    const now = state.clock.now();
    if (now - grant.issuedAt >= REFRESH_TOKEN_INACTIVITY_MS)
      throw new IdentityError(
        'invalid_grant',
        700082,
        `The refresh token has expired due to inactivity. The token was issued on ${new Date(grant.issuedAt).toISOString()} and was inactive for 90.00:00:00.`,
        { suberror: 'bad_token' },
      );
    const revocation = store.revocations.get(grant.userId);
    if (revocation && grant.revocationGeneration < revocation.generation)
      throw new IdentityError(
        'invalid_grant',
        50173,
        `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${new Date(grant.authTime).toISOString()}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${new Date(revocation.at).toISOString()}'.`,
        { suberror: 'bad_token' },
      );
    const user = state.directory.users.get(grant.userId);
    if (!user) throw userGone();
    const requested = form.get('scope') ?? `openid profile offline_access ${[...store.consented(user.id, app.clientId)].join(' ')}`;
    const tenant = state.directory.tenants.get(user.tenantId);
    if (!tenant?.adminConsentedApps.has(app.clientId)) {
      const granted = store.consented(user.id, app.clientId);
      const asked = parseScopes(requested);
      const missing = [...asked.graph, ...asked.outlook].filter((p) => !granted.has(p));
      if (missing.length)
        throw new IdentityError(
          'invalid_grant',
          65001,
          `The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.displayName}'. Send an interactive authorization request for this user and resource.`,
          { suberror: 'consent_required' },
        );
    }
    return issue({
      app,
      user,
      scope: requested,
      withRefreshToken: true,
      authTime: grant.authTime,
      revocationGeneration: grant.revocationGeneration,
      issuerOrigin,
      wantsClientInfo: form.get('client_info') === '1',
    });
  }

  async function clientCredentials(form: URLSearchParams, app: SimApp, scope: TenantScope, issuerOrigin: string): Promise<SimResponse> {
    // Personal accounts have no app-only access: the consumer tenant is refused as /consumers is
    // (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#get-a-token).
    if (scope.all || isConsumerTenant(scope.tenant.id))
      throw new IdentityError('invalid_request', 9001023, 'The grant type isn\'t supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.');
    const raw = form.get('scope');
    if (!raw) throw missingParameter('scope');
    const resource = defaultScopeResource(raw);
    if (resource === undefined)
      throw new IdentityError(
        'invalid_scope',
        1002012,
        `The provided value for scope ${raw} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    const ownApi = isGraphResource(resource) ? undefined : appApiResource(state, resource);
    if (ownApi) {
      const { token, expiresIn } = await mintAppApiToken(state, { issuerOrigin, tenantId: scope.tenant.id, resource: ownApi, caller: app });
      return { status: 200, headers: NO_STORE, body: { token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token } };
    }
    if (!isGraphResource(resource))
      throw new IdentityError(
        'invalid_resource',
        500011,
        `The resource principal named ${resource} was not found in the tenant named ${scope.tenant.displayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
      );
    // Roles only after admin consent, and only once it has propagated (IdentityStore.appRolesInTokens).
    const roles = store.appRolesInTokens(scope.tenant, app.clientId, state.clock.now(), state.settings.appRoleConsentDelayMs);
    const { token, expiresIn } = await mintGraphAccessToken(state, { tenantId: scope.tenant.id, appId: app.clientId, roles });
    return { status: 200, headers: NO_STORE, body: { token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token } };
  }

  async function issue(input: {
    app: SimApp;
    user: SimUser;
    scope: string;
    withRefreshToken: boolean;
    nonce?: string;
    authTime: number;
    revocationGeneration: number;
    issuerOrigin: string;
    wantsClientInfo: boolean;
  }): Promise<SimResponse> {
    const { app, user } = input;
    const requested = parseScopes(input.scope);
    const granted = grantedPermissions(store, state, user, app.clientId);
    let permissions = requested.isDefault ? [...new Set([...requested.graph, ...granted])] : requested.graph;
    if (permissions.length === 0) permissions = ['User.Read'];
    const oidcInToken = ['openid', 'profile', 'email'].filter((s) => requested.oidc.has(s));
    if (requested.outlook.length && (requested.graph.length || requested.isDefault)) throw moreThanOneResource(input.scope);
    const access = requested.outlook.length
      ? await mintOutlookAccessToken(state, { tenantId: user.tenantId, appId: app.clientId, userId: user.id, scopes: requested.outlook })
      : await mintGraphAccessToken(state, { tenantId: user.tenantId, appId: app.clientId, userId: user.id, scopes: [...permissions, ...oidcInToken] });
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: responseScope(input.scope, requested.isDefault ? permissions : []),
      expires_in: access.expiresIn,
      ext_expires_in: access.expiresIn,
      access_token: access.token,
    };
    if (input.withRefreshToken) {
      const refreshToken = opaque('sim-rt.', 48);
      store.refreshTokens.set(refreshToken, {
        clientId: app.clientId,
        tenantId: user.tenantId,
        userId: user.id,
        authTime: input.authTime,
        issuedAt: state.clock.now(),
        revocationGeneration: input.revocationGeneration,
      });
      body.refresh_token = refreshToken;
    }
    if (requested.oidc.has('openid'))
      body.id_token = await mintIdToken(state, {
        issuerOrigin: input.issuerOrigin,
        clientId: app.clientId,
        user,
        nonce: input.nonce,
        authTime: input.authTime,
        withEmail: requested.oidc.has('email'),
      });
    if (input.wantsClientInfo) body.client_info = clientInfo(user);
    return { status: 200, headers: NO_STORE, body };
  }
}

/** The scope echoed back: resource scopes in the form requested (MSAL matches cache entries on it). */
function responseScope(raw: string, defaultExpansion: string[]): string {
  const items = raw.split(/\s+/).filter(Boolean);
  const resourceScopes = items.filter((s) => !OIDC_SCOPES.has(s.toLowerCase()) && !s.toLowerCase().endsWith('/.default') && s.toLowerCase() !== '.default');
  const oidc = items.filter((s) => ['openid', 'profile', 'email'].includes(s.toLowerCase()));
  return [...new Set([...resourceScopes, ...defaultExpansion, ...oidc])].join(' ');
}

function grantedPermissions(store: IdentityStore, state: SimState, user: SimUser, clientId: string): string[] {
  const consented = [...store.consented(user.id, clientId)];
  const tenant = state.directory.tenants.get(user.tenantId);
  return consented.length || !tenant?.adminConsentedApps.has(clientId) ? consented : ['User.Read', 'Calendars.ReadWrite'];
}

/** PKCE (RFC 7636): S256 or plain, as the platform supports both; the verifier must match the challenge. */
export function checkPkce(challenge: string | undefined, method: 'S256' | 'plain' | undefined, verifier: string | null): void {
  if (!challenge) {
    if (verifier)
      throw new IdentityError('invalid_grant', 50148, 'The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.');
    return;
  }
  const mismatch = new IdentityError('invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.');
  if (!verifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) throw mismatch;
  const derived = method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
  if (derived !== challenge) throw mismatch;
}

function userGone(): IdentityError {
  return new IdentityError('invalid_grant', 50034, 'The user account does not exist in the directory. To sign into this application, the account must be added to the directory.');
}
