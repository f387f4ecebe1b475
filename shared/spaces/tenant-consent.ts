// Tenant-wide consent: a connect link of kind `tenant` takes an administrator to Microsoft's admin-consent
// endpoint (v2: /{tenant}/v2.0/adminconsent, scope https://graph.microsoft.com/.default, i.e. the application
// permissions configured on the app registration, Calendars.ReadWrite among them).
// The redirect back (admin_consent=True&tenant=...) proves nothing by itself: anyone can send a browser to the
// callback with any tenant id. So the consent is recorded for the booking system whose link started the flow
// only after, in the same browser (browser-binding cookie on every step):
// 1. an OpenID Connect sign-in (auth code + PKCE + nonce, through MSAL) against that tenant's authority,
//    whose id token's `tid` is the tenant and whose `wids` hold a directory role that can grant consent to
//    Microsoft Graph application permissions (tenant-admin-roles.ts), and
// 2. a client-credentials token for the tenant whose roles include every application permission the app
//    uses (ROOM_APP_ROLES); while Entra is still propagating them, the administrator waits on a page that
//    checks again by itself.
import type { ProblemCode } from '../errors/catalogue.js';
import { randomBytes } from 'node:crypto';
import { namesConsumers } from '../auth/account-kind.js';
import { workAccountRequired } from '../errors/app-error.js';
import { getAppAccessToken, graphAppScope, isTenantId, missingAppRoles } from '../auth/app-tokens.js';
import { entraClientCredential } from '../auth/entra-credentials.js';
import { createMsalClient } from '../auth/msal-client.js';
import { loadMsal } from '../auth/msal-sdk.js';
import { newBrowserBinding, type BrowserBinding, type BrowserCheck } from '../connect/browser-binding.js';
import { connectsPausedError, isSyncPaused } from '../admin/pause.js';
import { createConnectLink, isClientActive, linkRevoked, type ConnectLink } from '../connect/connect-links.js';
import { returnUrlWith } from '../connect/return-url.js';
import type { StartedFlow } from '../connect/start-connect.js';
import { describeError } from '../logging.js';
import type { Services } from '../services.js';
import { ConcurrencyError, NotFoundError } from '../store/errors.js';
import type { ClientEntity } from '../store/repositories/clients.js';
import type { ConnectLinkEntity } from '../store/repositories/connect-links.js';
import { stateHash } from '../store/repositories/oauth-states.js';
import { TENANT_CONSENT_STATE_ROW, TENANT_CONSENT_STATE_TTL_MS, type TenantConsentStateEntity } from '../store/repositories/tenants.js';
import { canGrantGraphAppConsent } from './tenant-admin-roles.js';

export const TENANT_CONSENT_CALLBACK_ROUTE = 'auth/tenant-callback';

export function tenantConsentCallbackUrl(publicBaseUrl: string): string {
  return `${publicBaseUrl}/api/${TENANT_CONSENT_CALLBACK_ROUTE}`;
}

export interface TenantLinkInput {
  returnUrl: string;
  /** Tenant id or verified domain; `organizations` (the admin's own tenant) when absent. */
  tenant?: string;
  /** The administrator's account, proposed on the sign-in page. */
  loginHint?: string;
}

export function createTenantConsentLink(client: ClientEntity, input: TenantLinkInput, services: Pick<Services, 'store' | 'config'>): Promise<ConnectLink> {
  // Personal accounts have no administrator and no tenant-wide grants
  // (https://learn.microsoft.com/entra/identity-platform/v2-admin-consent#request-the-permissions-from-a-directory-admin).
  if (input.tenant && namesConsumers(input.tenant)) throw workAccountRequired('tenant', 'tenant: personal Microsoft accounts have no organization whose rooms could be consented to');
  return createConnectLink(client, { externalUserId: 'tenant-admin', kind: 'tenant', tenant: input.tenant, returnUrl: input.returnUrl, loginHint: input.loginHint }, services);
}

/** Associated data of the sign-in step's encrypted PKCE verifier: it only decrypts in its own state row. */
function verifierBinding(hashOfState: string): string {
  return `tenantStates/${hashOfState}/codeVerifier`;
}

/** Opening a tenant link: a fresh single-use state bound to this browser, and the admin-consent URL. */
export async function startTenantConsent(link: ConnectLinkEntity, services: Services): Promise<StartedFlow> {
  const state = randomBytes(32).toString('base64url');
  const key = stateHash(state);
  const binding = newBrowserBinding(services.config.publicBaseUrl, key, TENANT_CONSENT_STATE_TTL_MS);
  const entity: TenantConsentStateEntity = {
    partitionKey: key,
    rowKey: TENANT_CONSENT_STATE_ROW,
    step: 'consent',
    clientId: link.clientId,
    connectLinkId: link.partitionKey,
    returnUrl: link.returnUrl,
    loginHint: link.loginHint,
    bindingHash: binding.hash,
    expiresAt: new Date(Date.now() + TENANT_CONSENT_STATE_TTL_MS),
  };
  await services.store.tenants.states.create(entity);
  // The browser opens it, on Entra's host as browsers know it.
  const host = services.transports.entraHost;
  const url = new URL(`${host}/${encodeURIComponent(link.tenant ?? 'organizations')}/v2.0/adminconsent`);
  url.searchParams.set('client_id', services.config.entra.clientId);
  url.searchParams.set('scope', graphAppScope(services.config));
  url.searchParams.set('redirect_uri', tenantConsentCallbackUrl(services.config.publicBaseUrl));
  url.searchParams.set('state', state);
  if (link.loginHint) url.searchParams.set('login_hint', link.loginHint);
  return { url: url.toString(), binding };
}

/** Stable codes a booking system receives as `error=` on its return URL after a tenant link. */
export type TenantConsentErrorCode =
  | 'access_denied'
  | 'consent_failed'
  | 'consent_incomplete'
  | 'token_unavailable'
  /** The sign-in after consent was with an account of another tenant. */
  | 'tenant_mismatch'
  /** The account that signed in holds no directory role that can grant the consent. */
  | 'not_tenant_admin'
  | 'browser_mismatch'
  /** The operator paused the integration during the consent (shown on a page, with a link back). */
  | 'integration_paused';

/**
 * Roles granted by admin consent take a while to reach tokens ("it can take some time for the permissions
 * to propagate", https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent). The consent page
 * does not hold a Functions invocation while it waits: each check is one token request, and between checks
 * the administrator's browser shows a page that comes back by itself after this backoff (5 s doubling to 30 s),
 * until every role is there or config.tenantConsentWaitMs has passed since the sign-in.
 */
export function nextConsentCheckDelayMs(checksMade: number): number {
  return Math.min(5_000 * 2 ** checksMade, 30_000);
}

/** The stable code of the waiting page (its reference, as error pages show theirs). */
export const CONSENT_PROPAGATING = 'consent_propagating';

export type TenantConsentOutcome =
  | { kind: 'redirect'; location: string; binding?: BrowserBinding }
  /** Consent proven, roles not yet in tokens: a page that asks again at `checkUrl` after `afterMs`. */
  | { kind: 'waiting'; checkUrl: string; afterMs: number; granted: string[]; missing: string[]; binding: BrowserBinding }
  | { kind: 'page'; code: ProblemCode; message: string; returnUrl?: string };

export async function completeTenantConsent(query: URLSearchParams, services: Services, sameBrowser: BrowserCheck): Promise<TenantConsentOutcome> {
  const state = query.get('state');
  if (!state || state.length > 512) return page('state_missing', 'This consent response is not valid: it has no state.');
  const attempt = await consumeState(state, services);
  if ('kind' in attempt) return attempt;
  const toApp = (error: TenantConsentErrorCode): TenantConsentOutcome => ({ kind: 'redirect', location: returnUrlWith(attempt.returnUrl, { status: 'error', error }) });
  if (!sameBrowser(attempt.partitionKey, attempt.bindingHash)) return browserMismatch(attempt.returnUrl);
  // The booking system was disabled while its link was in use: nothing is recorded for it.
  if (!(await isClientActive(services, attempt.clientId))) return page('link_revoked', linkRevoked().message);
  if (await isSyncPaused(services)) return page('integration_paused', connectsPausedError({ retryAfterSeconds: 0 }).message, returnUrlWith(attempt.returnUrl, { status: 'error', error: 'integration_paused' }));
  if (query.get('error')) return toApp(query.get('error') === 'access_denied' ? 'access_denied' : 'consent_failed');
  if (attempt.step === 'propagating') return checkConsentRoles(attempt, services, toApp);
  return attempt.step === 'signin' ? finishSignIn(query, attempt, services, toApp) : startSignIn(query, attempt, services, toApp);
}

/** After the admin-consent redirect: the administrator signs in to the tenant it names (OIDC, PKCE, nonce). */
async function startSignIn(
  query: URLSearchParams,
  attempt: TenantConsentStateEntity,
  services: Services,
  toApp: (error: TenantConsentErrorCode) => TenantConsentOutcome,
): Promise<TenantConsentOutcome> {
  const tenantId = query.get('tenant') ?? '';
  if (query.get('admin_consent')?.toLowerCase() !== 'true' || !isTenantId(tenantId)) return toApp('consent_failed');
  const nonce = randomBytes(16).toString('base64url');
  const { CryptoProvider } = await loadMsal();
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const { state, binding } = await nextState(services, attempt, async (key) => ({
    step: 'signin',
    tenantId,
    codeVerifier: await services.envelope.encrypt(verifier, verifierBinding(key)),
    nonce,
  }));
  // The tenant's own authority: only its accounts can sign in there.
  const msal = await createMsalClient(services, { credential: await entraClientCredential(services), tenant: tenantId });
  const url = await msal.getAuthCodeUrl({
    scopes: ['openid', 'profile'],
    redirectUri: tenantConsentCallbackUrl(services.config.publicBaseUrl),
    responseMode: 'query',
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
    state,
    nonce,
    loginHint: attempt.loginHint,
  });
  return { kind: 'redirect', location: url, binding };
}

/** The sign-in's code: redeemed with its verifier and nonce; the id token must name the tenant and an admin role. */
async function finishSignIn(
  query: URLSearchParams,
  attempt: TenantConsentStateEntity,
  services: Services,
  toApp: (error: TenantConsentErrorCode) => TenantConsentOutcome,
): Promise<TenantConsentOutcome> {
  const code = query.get('code');
  const tenantId = attempt.tenantId;
  if (!code || code.length > 4096 || !tenantId || !attempt.codeVerifier || !attempt.nonce) return toApp('consent_failed');
  let claims: { tid?: unknown; wids?: unknown };
  try {
    const msal = await createMsalClient(services, { credential: await entraClientCredential(services), tenant: tenantId });
    const result = await msal.acquireTokenByCode({
      code,
      codeVerifier: await services.envelope.decryptString(attempt.codeVerifier, verifierBinding(attempt.partitionKey)),
      nonce: attempt.nonce,
      scopes: ['openid', 'profile'],
      redirectUri: tenantConsentCallbackUrl(services.config.publicBaseUrl),
    });
    claims = result.idTokenClaims as typeof claims;
  } catch (err) {
    console.warn(`tenant consent: sign-in code redemption failed: ${describeError(err)}`);
    return toApp('consent_failed');
  }
  if (claims.tid !== tenantId) return toApp('tenant_mismatch');
  if (!canGrantGraphAppConsent(claims.wids)) return toApp('not_tenant_admin');

  // The redirect alone proves nothing (a browser can be sent here with any parameters): only a token for
  // the tenant that carries the application permissions does.
  return checkConsentRoles({ ...attempt, tenantId, checks: 0, waitUntil: new Date(Date.now() + services.config.tenantConsentWaitMs) }, services, toApp);
}

/**
 * One check of a proven consent: a fresh app-only token for the tenant. With every role the app uses, the
 * consent is recorded; without, the administrator waits on a page that checks again, until the wait is over
 * and the missing roles are named (the app registration lacks them, or Entra never propagated them).
 */
async function checkConsentRoles(
  attempt: TenantConsentStateEntity,
  services: Services,
  toApp: (error: TenantConsentErrorCode) => TenantConsentOutcome,
): Promise<TenantConsentOutcome> {
  const tenantId = attempt.tenantId;
  if (!tenantId || !attempt.waitUntil) return toApp('consent_failed');
  let roles: string[];
  try {
    roles = (await getAppAccessToken(services, tenantId, { forceRefresh: true })).roles;
  } catch (err) {
    console.warn(`tenant consent: no app-only token for tenant ${tenantId}: ${describeError(err)}`);
    return toApp('token_unavailable');
  }
  const missing = missingAppRoles(roles);
  if (missing.length === 0) {
    await services.store.tenants.consents.upsert({ partitionKey: attempt.clientId, rowKey: tenantId, status: 'consented', consentedAt: new Date(), roles });
    return { kind: 'redirect', location: returnUrlWith(attempt.returnUrl, { status: 'consented', tenantId }) };
  }
  if (attempt.waitUntil.getTime() <= Date.now()) {
    console.warn(`tenant consent: tenant ${tenantId} gave ${roles.join(' ') || 'no roles'}, still missing ${missing.join(' ')}`);
    return { kind: 'redirect', location: returnUrlWith(attempt.returnUrl, { status: 'error', error: 'consent_incomplete', missingRoles: missing.join(' ') }) };
  }
  const checks = attempt.checks ?? 0;
  const { state, binding } = await nextState(services, attempt, () => ({ step: 'propagating', tenantId, waitUntil: attempt.waitUntil, checks: checks + 1 }));
  const checkUrl = `${tenantConsentCallbackUrl(services.config.publicBaseUrl)}?state=${encodeURIComponent(state)}`;
  return { kind: 'waiting', checkUrl, afterMs: nextConsentCheckDelayMs(checks), granted: roles, missing, binding };
}

type StepFields = Pick<TenantConsentStateEntity, 'step'> & Partial<TenantConsentStateEntity>;

/** The state of an attempt's next step: single use, 30 minutes, bound to the same browser by a fresh cookie. */
async function nextState(
  services: Services,
  attempt: TenantConsentStateEntity,
  stepFields: (key: string) => StepFields | Promise<StepFields>,
): Promise<{ state: string; binding: BrowserBinding }> {
  const state = randomBytes(32).toString('base64url');
  const key = stateHash(state);
  const binding = newBrowserBinding(services.config.publicBaseUrl, key, TENANT_CONSENT_STATE_TTL_MS);
  await services.store.tenants.states.create({
    ...(await stepFields(key)),
    partitionKey: key,
    rowKey: TENANT_CONSENT_STATE_ROW,
    clientId: attempt.clientId,
    connectLinkId: attempt.connectLinkId,
    returnUrl: attempt.returnUrl,
    bindingHash: binding.hash,
    expiresAt: new Date(Date.now() + TENANT_CONSENT_STATE_TTL_MS),
  });
  return { state, binding };
}

function page(code: ProblemCode, message: string, returnUrl?: string): TenantConsentOutcome {
  return { kind: 'page', code, message, returnUrl };
}

function browserMismatch(returnUrl: string): TenantConsentOutcome {
  return {
    kind: 'page',
    code: 'browser_mismatch',
    message: 'This consent was started in another browser. For your safety it was not completed. Open the link from your application again, in this browser.',
    returnUrl: returnUrlWith(returnUrl, { status: 'error', error: 'browser_mismatch' }),
  };
}
/** Marks the state used, conditional on the ETag read: of two concurrent callbacks, one wins. */
async function consumeState(state: string, services: Services): Promise<TenantConsentStateEntity | TenantConsentOutcome> {
  const found = await services.store.tenants.getState(state);
  const unknown = page('state_unknown', 'This consent response is unknown or has already been used.');
  if (!found || found.entity.usedAt) return unknown;
  const entity = found.entity;
  if (entity.expiresAt.getTime() <= Date.now()) {
    await services.store.tenants.states.delete(entity.partitionKey, TENANT_CONSENT_STATE_ROW, { etag: found.etag }).catch(() => undefined);
    return page('state_expired', 'This consent took too long and has expired.');
  }
  try {
    await services.store.tenants.states.update({ ...entity, usedAt: new Date() }, found.etag);
  } catch (error) {
    if (error instanceof ConcurrencyError || error instanceof NotFoundError) return unknown;
    throw error;
  }
  await services.store.tenants.states.delete(entity.partitionKey, TENANT_CONSENT_STATE_ROW).catch(() => undefined);
  return entity;
}
