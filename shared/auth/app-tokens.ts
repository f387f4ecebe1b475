// App-only (client credentials) access to Microsoft Graph for one tenant, after its administrator's
// tenant-wide consent: what room mailboxes need, since delegated access cannot subscribe to a room's
// calendar (Graph answers 403; https://learn.microsoft.com/en-us/graph/outlook-change-notifications-overview). One MSAL client per tenant is kept for the process, so its in-memory cache
// serves the token until MSAL counts it stale (5 minutes before expiry); nothing is persisted.
import type { ConfidentialClientApplication } from '@azure/msal-node';
import type { Client } from '@microsoft/microsoft-graph-client';
import { createGraphClient } from '../graph/client.js';
import { AppError } from '../errors/app-error.js';
import type { Services } from '../services.js';
import type { Config } from '../config.js';
import { entraClientCredential } from './entra-credentials.js';
import { recordEntraCredentialFailure, withEntraCredential } from './entra-credential-health.js';
import { createMsalClient } from './msal-client.js';

/**
 * Client credentials always ask for the resource's configured application permissions as a whole, named on
 * the cloud's own Graph domain (https://learn.microsoft.com/graph/sdks/national-clouds#permission-scopes).
 */
export function graphAppScope(config: Pick<Config, 'graphBaseUrl'>): string {
  return `${config.graphBaseUrl}/.default`;
}

/**
 * Every application permission the app uses app-only (the room features): events and busy time in room
 * calendars, the room's mailboxSettings (is it a room?), and the directory lookup of a room by its address.
 * docs/rooms.md lists them for the app registration; tenant consent checks each of them.
 */
export const ROOM_APP_ROLES = ['Calendars.ReadWrite', 'MailboxSettings.Read', 'User.Read.All'] as const;

/**
 * The roles of ROOM_APP_ROLES a token lacks. Application permissions arrive as the `roles` claim of an
 * app-only token: https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference
 */
export function missingAppRoles(roles: readonly string[]): string[] {
  return ROOM_APP_ROLES.filter((role) => !roles.includes(role));
}

const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isTenantId(value: string): boolean {
  return TENANT_ID.test(value);
}

/** The tenant did not give the app its application permissions (never consented, or consent withdrawn). */
export class TenantConsentMissingError extends AppError {
  constructor(readonly tenantId: string, field?: string) {
    super('tenant_consent_required', `The tenant ${tenantId} has not granted this app tenant-wide access; an administrator must open a tenant connect link.`, {
      field,
      extra: { tenantId },
    });
  }
}

const clients = new WeakMap<Services, Map<string, Promise<ConfidentialClientApplication>>>();

function msalFor(services: Services, tenantId: string): Promise<ConfidentialClientApplication> {
  let perTenant = clients.get(services);
  if (!perTenant) clients.set(services, (perTenant = new Map()));
  let msal = perTenant.get(tenantId);
  if (!msal) {
    msal = entraClientCredential(services).then(
      (credential) => createMsalClient(services, { credential, tenant: tenantId }),
      (error: unknown) => Promise.reject(recordEntraCredentialFailure(error)),
    );
    // A failed secret read must not stick.
    msal.catch(() => perTenant.delete(tenantId));
    perTenant.set(tenantId, msal);
  }
  return msal;
}

export interface AppAccessToken {
  token: string;
  /** Application permissions the token carries (its `roles` claim). */
  roles: string[];
  expiresOn?: Date;
}

/** A current app-only Graph token for the tenant (MSAL acquireTokenByClientCredential, cached in memory). */
export async function getAppAccessToken(services: Services, tenantId: string, options: { forceRefresh?: boolean } = {}): Promise<AppAccessToken> {
  if (!isTenantId(tenantId)) throw new TypeError('tenantId must be a tenant GUID');
  const msal = await msalFor(services, tenantId);
  const result = await withEntraCredential(() => msal.acquireTokenByClientCredential({ scopes: [graphAppScope(services.config)], skipCache: options.forceRefresh }), {
    customerTenant: true,
  });
  if (!result?.accessToken) throw new Error('client credentials returned no access token');
  return { token: result.accessToken, roles: tokenRoles(result.accessToken), expiresOn: result.expiresOn ?? undefined };
}

/**
 * The `roles` claim of an access token we just received from the token endpoint (not a token presented to
 * us, so reading it unverified is fine). Graph tokens are JWTs; anything else reads as no roles.
 */
export function tokenRoles(accessToken: string): string[] {
  try {
    const payload = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { roles?: unknown };
    return Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}

/** A Graph client acting app-only in the tenant, for one mailbox (a room): `/me` paths mean that mailbox. */
export function getAppGraphClient(services: Services, tenantId: string, mailboxId: string): Client {
  return createGraphClient({
    config: services.config,
    fetch: services.transports.fetch,
    getAccessToken: async () => (await getAppAccessToken(services, tenantId)).token,
    refreshAccessToken: async () => (await getAppAccessToken(services, tenantId, { forceRefresh: true })).token,
    mailboxId,
  });
}
