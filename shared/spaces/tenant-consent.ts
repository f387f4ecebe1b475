// Tenant-wide consent (issue 7 point 1): a connect link of kind `tenant` takes an administrator to
// Microsoft's admin-consent endpoint (v2: /{tenant}/v2.0/adminconsent, scope https://graph.microsoft.com/.default,
// i.e. the application permissions configured on the app registration, Calendars.ReadWrite among them).
// The callback checks the state as the delegated flow does (single use, unexpired, claimed by ETag), then
// proves the consent with a client-credentials token for that tenant whose roles must include
// Calendars.ReadWrite, and records the tenant as consented for the booking system that made the link.
import { randomBytes } from 'node:crypto';
import { getAppAccessToken, isTenantId, ROOM_APP_ROLES } from '../auth/app-tokens.js';
import { createConnectLink, type ConnectLink } from '../connect/connect-links.js';
import { returnUrlWith } from '../connect/return-url.js';
import { describeError } from '../logging.js';
import type { Services } from '../services.js';
import { ConcurrencyError, NotFoundError } from '../store/errors.js';
import type { ClientEntity } from '../store/repositories/clients.js';
import type { ConnectLinkEntity } from '../store/repositories/connect-links.js';
import { stateHash } from '../store/repositories/oauth-states.js';
import { TENANT_CONSENT_STATE_ROW, TENANT_CONSENT_STATE_TTL_MS, type TenantConsentStateEntity } from '../store/repositories/tenants.js';
import { GRAPH_APP_SCOPE } from '../auth/app-tokens.js';

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
  return createConnectLink(client, { externalUserId: 'tenant-admin', kind: 'tenant', tenant: input.tenant, returnUrl: input.returnUrl, loginHint: input.loginHint }, services);
}

/** Opening a tenant link: a fresh single-use state, and the admin-consent URL to send the browser to. */
export async function startTenantConsent(link: ConnectLinkEntity, services: Services): Promise<string> {
  const state = randomBytes(32).toString('base64url');
  const entity: TenantConsentStateEntity = {
    partitionKey: stateHash(state),
    rowKey: TENANT_CONSENT_STATE_ROW,
    clientId: link.clientId,
    connectLinkId: link.partitionKey,
    returnUrl: link.returnUrl,
    expiresAt: new Date(Date.now() + TENANT_CONSENT_STATE_TTL_MS),
  };
  await services.store.tenants.states.create(entity);
  // The browser opens it: Entra's host, or the simulator's loopback URL.
  const host = services.config.simulatorUrl ?? services.config.entra.authorityHost;
  const url = new URL(`${host}/${encodeURIComponent(link.tenant ?? 'organizations')}/v2.0/adminconsent`);
  url.searchParams.set('client_id', services.config.entra.clientId);
  url.searchParams.set('scope', GRAPH_APP_SCOPE);
  url.searchParams.set('redirect_uri', tenantConsentCallbackUrl(services.config.publicBaseUrl));
  url.searchParams.set('state', state);
  if (link.loginHint) url.searchParams.set('login_hint', link.loginHint);
  return url.toString();
}

/** Stable codes a booking system receives as `error=` on its return URL after a tenant link. */
export type TenantConsentErrorCode = 'access_denied' | 'consent_failed' | 'consent_incomplete' | 'token_unavailable';

export type TenantConsentOutcome = { kind: 'redirect'; location: string } | { kind: 'page'; status: number; code: string; message: string };

export async function completeTenantConsent(query: URLSearchParams, services: Services): Promise<TenantConsentOutcome> {
  const state = query.get('state');
  if (!state || state.length > 512) return page(400, 'state_missing', 'This consent response is not valid: it has no state.');
  const attempt = await consumeState(state, services);
  if ('kind' in attempt) return attempt;
  const toApp = (error: TenantConsentErrorCode): TenantConsentOutcome => ({ kind: 'redirect', location: returnUrlWith(attempt.returnUrl, { status: 'error', error }) });

  const error = query.get('error');
  if (error) return toApp(error === 'access_denied' ? 'access_denied' : 'consent_failed');
  const tenantId = query.get('tenant') ?? '';
  if (query.get('admin_consent')?.toLowerCase() !== 'true' || !isTenantId(tenantId)) return toApp('consent_failed');

  // The redirect alone proves nothing (a browser can be sent here with any parameters): only a token for
  // the tenant that carries the application permission does.
  let roles: string[];
  try {
    roles = (await getAppAccessToken(services, tenantId, { forceRefresh: true })).roles;
  } catch (err) {
    console.warn(`tenant consent: no app-only token for tenant ${tenantId}: ${describeError(err)}`);
    return toApp('token_unavailable');
  }
  if (!ROOM_APP_ROLES.every((r) => roles.includes(r))) return toApp('consent_incomplete');
  await services.store.tenants.consents.upsert({ partitionKey: attempt.clientId, rowKey: tenantId, status: 'consented', consentedAt: new Date(), roles });
  return { kind: 'redirect', location: returnUrlWith(attempt.returnUrl, { status: 'consented', tenantId }) };
}

function page(status: number, code: string, message: string): TenantConsentOutcome {
  return { kind: 'page', status, code, message };
}

/** Marks the state used, conditional on the ETag read: of two concurrent callbacks, one wins. */
async function consumeState(state: string, services: Services): Promise<TenantConsentStateEntity | TenantConsentOutcome> {
  const found = await services.store.tenants.getState(state);
  const unknown = page(400, 'state_unknown', 'This consent response is unknown or has already been used.');
  if (!found || found.entity.usedAt) return unknown;
  const entity = found.entity;
  if (entity.expiresAt.getTime() <= Date.now()) {
    await services.store.tenants.states.delete(entity.partitionKey, TENANT_CONSENT_STATE_ROW, { etag: found.etag }).catch(() => undefined);
    return page(400, 'state_expired', 'This consent took too long and has expired.');
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
