// /{tenant}/oauth2/v2.0/authorize: the interactive half of the auth code flow. A bad client or redirect
// URI ends on an error page; every other problem goes back to the redirect URI, as Entra does.
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#request-an-authorization-code,
// errors back to the redirect URI: https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#error-response
import type { Router, SimRequest, SimResponse } from '../router.js';
import { isConsumerTenant, type SimApp, type SimState, type SimTenant, type SimUser } from '../state.js';
import { applicationNotFound, IdentityError, describe, missingParameter } from './errors.js';
import { cookie, formBody, header, withParams } from './http.js';
import { consentPage, errorPage, formPostPage, signInPage } from './pages.js';
import { parseScopes } from './scopes.js';
import { FLOW_LIFETIME_MS, identityStore, opaque, type AuthorizeFlow } from './store.js';

export const SESSION_COOKIE = 'sim_session';
const PROMPTS = new Set(['login', 'none', 'consent', 'select_account']);

/**
 * Which directory a tenant path segment signs users in from: `common` work and personal accounts,
 * `organizations` work accounts only, `consumers` (or the consumer tenant's id) personal accounts only
 * (https://learn.microsoft.com/entra/identity-platform/msal-client-application-configuration#authority).
 */
export type TenantScope = { all: true; workOnly: boolean } | { all: false; tenant: SimTenant };

export function resolveTenantScope(state: SimState, segment: string): TenantScope | IdentityError {
  const key = segment.toLowerCase();
  if (key === 'common') return { all: true, workOnly: false };
  if (key === 'organizations') return { all: true, workOnly: true };
  const tenant = state.directory.findTenant(key);
  if (!tenant)
    return new IdentityError(
      'invalid_request',
      90002,
      `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  return { all: false, tenant };
}

/** Users who can sign in through a tenant scope (room mailboxes cannot). */
export function usersIn(state: SimState, scope: TenantScope): SimUser[] {
  return [...state.directory.users.values()].filter(
    (u) => u.kind === 'user' && (scope.all ? !(scope.workOnly && isConsumerTenant(u.tenantId)) : u.tenantId === scope.tenant.id),
  );
}

export function findByHint(users: SimUser[], hint: string | undefined): SimUser | undefined {
  const h = hint?.trim().toLowerCase();
  return h ? users.find((u) => u.userPrincipalName === h || u.mail.toLowerCase() === h) : undefined;
}

/** Checks client_id and redirect_uri: failures here must never redirect anywhere. */
export function checkClientAndRedirect(state: SimState, clientId: string | null, redirectUri: string | null): { app: SimApp; redirectUri: string } | IdentityError {
  if (!clientId) return missingParameter('client_id');
  const app = state.directory.apps.get(clientId);
  if (!app) return applicationNotFound(clientId);
  if (!redirectUri) return new IdentityError('invalid_request', 900971, 'No reply address provided.');
  if (!isAcceptableRedirect(state, clientId, redirectUri))
    return new IdentityError(
      'invalid_request',
      50011,
      `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`,
    );
  return { app, redirectUri };
}

function isAcceptableRedirect(state: SimState, clientId: string, uri: string): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  if (uri.includes('#')) return false;
  const registered = identityStore(state).settingsFor(clientId).redirectUris;
  return !registered || registered.includes(uri);
}

export function errorPageFor(state: SimState, req: SimRequest, error: IdentityError): SimResponse {
  const d = describe(error, { now: state.clock.now(), correlationId: header(req, 'client-request-id') });
  return errorPage({ aadsts: error.aadsts, message: error.detail, correlationId: d.correlationId, timestamp: d.timestamp });
}

/** Sends the result (code or error) back to the app in the requested response mode. */
export function respondToApp(flow: Pick<AuthorizeFlow, 'redirectUri' | 'responseMode' | 'state'>, params: Record<string, string | undefined>): SimResponse {
  const all = { ...params, state: flow.state };
  if (flow.responseMode === 'form_post') {
    const fields = Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
    return formPostPage(flow.redirectUri, fields);
  }
  return { status: 302, headers: { Location: withParams(flow.redirectUri, all, flow.responseMode), 'Cache-Control': 'no-store' } };
}

export function errorToApp(state: SimState, flow: Pick<AuthorizeFlow, 'redirectUri' | 'responseMode' | 'state'>, error: IdentityError): SimResponse {
  const d = describe(error, { now: state.clock.now() });
  return respondToApp(flow, {
    error: error.error,
    error_description: d.description,
    error_uri: `https://login.microsoftonline.com/error?code=${error.aadsts}`,
    error_subcode: error.options.subcode,
  });
}

export function registerAuthorize(router: Router, state: SimState): void {
  const store = identityStore(state);

  router.on('GET', '/:tenant/oauth2/v2.0/authorize', (req) => begin(req, req.query));
  router.on('POST', '/:tenant/oauth2/v2.0/authorize', (req) => {
    const form = formBody(req);
    // A POST without our form's fields is an authorize request sent as a form (allowed by OIDC).
    if (!form.get('flow')) return begin(req, form);
    return continueFlow(req, form);
  });

  function begin(req: SimRequest, q: URLSearchParams): SimResponse {
    prune();
    const segment = req.params.tenant!;
    const scope = resolveTenantScope(state, segment);
    if (scope instanceof IdentityError) return errorPageFor(state, req, scope);
    const checked = checkClientAndRedirect(state, q.get('client_id'), q.get('redirect_uri'));
    if (checked instanceof IdentityError) return errorPageFor(state, req, checked);

    const responseMode = q.get('response_mode') ?? 'query';
    const back = { redirectUri: checked.redirectUri, responseMode: 'query' as const, state: q.get('state') ?? undefined };
    if (responseMode !== 'query' && responseMode !== 'fragment' && responseMode !== 'form_post')
      return errorToApp(state, back, new IdentityError('invalid_request', 70007, `The response_mode '${responseMode}' is not supported.`));
    const flowBase = { ...back, responseMode: responseMode as AuthorizeFlow['responseMode'] };

    const problem = validateAuthorizeParams(q);
    if (problem) return errorToApp(state, flowBase, problem);

    const flow: AuthorizeFlow = {
      ...flowBase,
      id: opaque('flow-', 16),
      tenantSegment: segment,
      clientId: checked.app.clientId,
      scope: q.get('scope')!,
      nonce: q.get('nonce') ?? undefined,
      codeChallenge: q.get('code_challenge') ?? undefined,
      codeChallengeMethod: q.get('code_challenge') ? ((q.get('code_challenge_method') ?? 'plain') as 'S256' | 'plain') : undefined,
      prompt: q.get('prompt') ?? undefined,
      loginHint: q.get('login_hint') ?? undefined,
      createdAt: state.clock.now(),
    };
    const users = usersIn(state, scope);
    const hinted = findByHint(users, flow.loginHint);
    const sessionUser = users.find((u) => u.id === store.sessions.get(cookie(req, SESSION_COOKIE) ?? ''));

    if (flow.prompt === 'none') {
      const user = sessionUser ?? (store.autoConsent ? hinted : undefined);
      if (!user)
        return errorToApp(state, flow, new IdentityError('login_required', 50058, 'A silent sign-in request was sent but no user is signed in.'));
      if (hinted && hinted.id !== user.id)
        return errorToApp(state, flow, new IdentityError('interaction_required', 16000, 'The signed-in user is not the one the login_hint names; account selection is required.'));
      const missing = missingConsent(flow, user);
      if (missing === 'admin' || missing.length)
        return errorToApp(state, flow, consentRequired(flow.clientId, checked.app.displayName));
      return issueCode(flow, user);
    }

    if (store.autoConsent && hinted) {
      const missing = missingConsent(flow, hinted);
      if (missing === 'admin') return errorToApp(state, flow, consentRequired(flow.clientId, checked.app.displayName));
      store.grantConsent(hinted.id, flow.clientId, missing);
      return withSession(issueCode(flow, hinted), hinted);
    }
    store.flows.set(flow.id, flow);
    const forcePicker = flow.prompt === 'login' || flow.prompt === 'select_account';
    if (sessionUser && !forcePicker && (!hinted || hinted.id === sessionUser.id)) return afterSignIn(flow, sessionUser);
    return signInPage({ action: actionPath(flow), flowId: flow.id, appName: checked.app.displayName, users, preselectId: hinted?.id });
  }

  /** Drops abandoned sign-ins and dead codes, so a long-running simulator does not grow without bound. */
  function prune(): void {
    const now = state.clock.now();
    for (const [id, flow] of store.flows) if (now - flow.createdAt > FLOW_LIFETIME_MS) store.flows.delete(id);
    for (const [code, record] of store.codes) if (now - record.issuedAt > FLOW_LIFETIME_MS) store.codes.delete(code);
  }

  function continueFlow(req: SimRequest, form: URLSearchParams): SimResponse {
    const flow = store.flows.get(form.get('flow')!);
    if (!flow || state.clock.now() - flow.createdAt > FLOW_LIFETIME_MS)
      return errorPageFor(state, req, new IdentityError('invalid_request', 50089, 'Flow token expired. Start the sign-in again from the application.'));
    const app = state.directory.apps.get(flow.clientId);
    if (!app) return errorPageFor(state, req, checkClientAndRedirect(state, flow.clientId, flow.redirectUri) as IdentityError);

    if (form.get('step') === 'signin') {
      const scope = resolveTenantScope(state, flow.tenantSegment);
      const users = scope instanceof IdentityError ? [] : usersIn(state, scope);
      const user = users.find((u) => u.id === form.get('user'));
      if (!user) return errorPageFor(state, req, new IdentityError('invalid_request', 50034, 'The user account does not exist in this directory. Pick one of the listed accounts.'));
      flow.userId = user.id;
      return withSession(afterSignIn(flow, user), user);
    }
    if (form.get('step') === 'consent') {
      const user = flow.userId ? state.directory.users.get(flow.userId) : undefined;
      if (!user) return errorPageFor(state, req, new IdentityError('invalid_request', 50058, 'Sign in before consenting.'));
      store.flows.delete(flow.id);
      if (form.get('decision') !== 'accept')
        return errorToApp(state, flow, new IdentityError('access_denied', 65004, 'User declined to consent to access the app.', { subcode: 'cancel' }));
      const missing = missingConsent(flow, user);
      if (missing === 'admin') return errorToApp(state, flow, consentRequired(flow.clientId, app.displayName));
      store.grantConsent(user.id, flow.clientId, missing.length ? missing : parseScopes(flow.scope).graph);
      return issueCode(flow, user);
    }
    return errorPageFor(state, req, new IdentityError('invalid_request', 9002313, 'Invalid request. Request is malformed or invalid.'));
  }

  /** After sign-in: consent page when something is missing (or prompt=consent), else straight back. */
  function afterSignIn(flow: AuthorizeFlow, user: SimUser): SimResponse {
    const app = state.directory.apps.get(flow.clientId)!;
    flow.userId = user.id;
    const missing = missingConsent(flow, user);
    if (missing === 'admin') {
      store.flows.delete(flow.id);
      return errorToApp(state, flow, consentRequired(flow.clientId, app.displayName));
    }
    if (missing.length || flow.prompt === 'consent') {
      const requested = parseScopes(flow.scope);
      const permissions = [...requested.oidc, ...(missing.length ? missing : requested.graph)];
      return consentPage({ action: actionPath(flow), flowId: flow.id, appName: app.displayName, user, permissions });
    }
    store.flows.delete(flow.id);
    return issueCode(flow, user);
  }

  /** Delegated permissions still to be consented, or 'admin' when only an admin can grant them. */
  function missingConsent(flow: AuthorizeFlow, user: SimUser): string[] | 'admin' {
    const tenant = state.directory.tenants.get(user.tenantId);
    if (tenant?.adminConsentedApps.has(flow.clientId)) return [];
    const granted = store.consented(user.id, flow.clientId);
    const requested = parseScopes(flow.scope);
    const missing = [...requested.graph, ...requested.outlook].filter((p) => !granted.has(p));
    // Signing in alone (openid, profile) still needs the app to be consented once.
    if (granted.size === 0 && missing.length === 0) missing.push('User.Read');
    if (missing.length && tenant?.requiresAdminConsent) return 'admin';
    return missing;
  }

  function issueCode(flow: AuthorizeFlow, user: SimUser): SimResponse {
    const now = state.clock.now();
    const code = opaque('sim-code.');
    store.codes.set(code, {
      clientId: flow.clientId,
      redirectUri: flow.redirectUri,
      tenantId: user.tenantId,
      userId: user.id,
      scope: flow.scope,
      nonce: flow.nonce,
      codeChallenge: flow.codeChallenge,
      codeChallengeMethod: flow.codeChallengeMethod,
      issuedAt: now,
      authTime: now,
      used: false,
    });
    return respondToApp(flow, { code, session_state: opaque('', 12) });
  }

  function withSession(response: SimResponse, user: SimUser): SimResponse {
    const sessionId = opaque('', 18);
    store.sessions.set(sessionId, user.id);
    return { ...response, headers: { ...response.headers, 'Set-Cookie': `${SESSION_COOKIE}=${sessionId}; Path=/; HttpOnly; SameSite=Lax` } };
  }
}

export function consentRequired(clientId: string, appName: string): IdentityError {
  return new IdentityError(
    'consent_required',
    65001,
    `The user or administrator has not consented to use the application with ID '${clientId}' named '${appName}'. Send an interactive authorization request for this user and resource.`,
    { suberror: 'consent_required' },
  );
}

function actionPath(flow: AuthorizeFlow): string {
  return `/${encodeURIComponent(flow.tenantSegment)}/oauth2/v2.0/authorize`;
}

/** The redirectable parameter checks of an authorize request. */
function validateAuthorizeParams(q: URLSearchParams): IdentityError | undefined {
  const responseType = q.get('response_type');
  if (!responseType) return missingParameter('response_type');
  if (responseType !== 'code')
    return new IdentityError('unsupported_response_type', 70005, `The response type '${responseType}' is not supported; use 'code'.`);
  const scope = q.get('scope');
  if (!scope?.trim()) return missingParameter('scope');
  try {
    parseScopes(scope);
  } catch (error) {
    if (error instanceof IdentityError) return error;
    throw error;
  }
  const challenge = q.get('code_challenge');
  const method = q.get('code_challenge_method');
  if (method && !challenge) return missingParameter('code_challenge');
  if (method && method !== 'S256' && method !== 'plain')
    return new IdentityError('invalid_request', 9002313, `Invalid request. The code_challenge_method '${method}' is not supported; use 'S256' or 'plain'.`);
  if (challenge && !/^[A-Za-z0-9._~-]{43,128}$/.test(challenge))
    return new IdentityError('invalid_request', 501491, 'Invalid size of Code_Challenge parameter.');
  const prompt = q.get('prompt');
  if (prompt && !PROMPTS.has(prompt)) return new IdentityError('invalid_request', 90023, `Invalid value '${prompt}' for the parameter 'prompt'.`);
  return undefined;
}

