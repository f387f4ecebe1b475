// Everything the simulated identity platform remembers: pending sign-ins, browser sessions, codes,
// refresh tokens, consents, revocations and per-app settings. One store per simulator, found by state.
// Code lifetime (10 minutes) and refresh token lifetime (90 days):
// https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow,
// https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens
import { randomBytes } from 'node:crypto';
import type { SimState, SimTenant } from '../state.js';
import { createSigningKey, type SigningKey } from './keys.js';

export const CODE_LIFETIME_MS = 10 * 60 * 1000;
export const ACCESS_TOKEN_LIFETIME_S = 3600;
export const REFRESH_TOKEN_INACTIVITY_MS = 90 * 24 * 60 * 60 * 1000;
export const FLOW_LIFETIME_MS = 60 * 60 * 1000;

/** Application permissions an admin grants when consenting tenant-wide. */
export const DEFAULT_APP_ROLES = ['Calendars.ReadWrite', 'User.Read.All', 'Place.Read.All', 'MailboxSettings.Read'];

/** An authorize request waiting for the user's sign-in or consent. */
export interface AuthorizeFlow {
  id: string;
  /** The tenant path segment (a tenant id, or common / organizations). */
  tenantSegment: string;
  clientId: string;
  redirectUri: string;
  responseMode: 'query' | 'fragment' | 'form_post';
  scope: string;
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  prompt?: string;
  loginHint?: string;
  createdAt: number;
  /** Set once the user has signed in. */
  userId?: string;
}

export interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  tenantId: string;
  userId: string;
  scope: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  issuedAt: number;
  authTime: number;
  used: boolean;
}

export interface RefreshGrant {
  clientId: string;
  tenantId: string;
  userId: string;
  /** When the user signed in interactively; kept through rotation (revocation compares it). */
  authTime: number;
  issuedAt: number;
  /** The user's revocation generation at sign-in; a later revocation invalidates the grant. */
  revocationGeneration: number;
}

export interface AppSettings {
  /** Registered redirect URIs; undefined accepts any absolute http(s) URI (convenient locally). */
  redirectUris?: string[];
  /** Application permissions granted by admin consent. */
  roles: string[];
}

export interface AdminGrant {
  /** Sim clock time of the consent. */
  at: number;
  roles: string[];
}

export class IdentityStore {
  readonly key: SigningKey = createSigningKey();
  readonly flows = new Map<string, AuthorizeFlow>();
  /** Browser session cookie -> signed-in user id. */
  readonly sessions = new Map<string, string>();
  readonly codes = new Map<string, AuthorizationCode>();
  readonly refreshTokens = new Map<string, RefreshGrant>();
  /** `${userId}|${clientId}` -> delegated permissions the user consented to. */
  readonly consents = new Map<string, Set<string>>();
  /** userId -> revocation generation and the time of the last revocation. */
  readonly revocations = new Map<string, { generation: number; at: number }>();
  readonly appSettings = new Map<string, AppSettings>();
  /**
   * `${tenantId}|${clientId}` -> an administrator's tenant-wide consent: when (sim clock) and the
   * application permissions it granted, which are the ones the app registration asked for at that moment.
   */
  readonly adminGrants = new Map<string, AdminGrant>();
  /** When on, GET /authorize with a login_hint completes without pages (automated tests). */
  autoConsent = false;

  reset(): void {
    this.flows.clear();
    this.sessions.clear();
    this.codes.clear();
    this.refreshTokens.clear();
    this.consents.clear();
    this.revocations.clear();
    this.appSettings.clear();
    this.adminGrants.clear();
    this.autoConsent = false;
  }

  settingsFor(clientId: string): AppSettings {
    return this.appSettings.get(clientId) ?? { roles: DEFAULT_APP_ROLES };
  }

  /** Records a tenant-wide consent now: it grants `roles`, the registration's current ones unless given. */
  grantAdminConsent(tenant: SimTenant, clientId: string, now: number, roles?: string[]): void {
    tenant.adminConsentedApps.add(clientId);
    this.adminGrants.set(`${tenant.id}|${clientId}`, { at: now, roles: roles ?? [...this.settingsFor(clientId).roles] });
  }

  withdrawAdminConsent(tenant: SimTenant, clientId: string): void {
    tenant.adminConsentedApps.delete(clientId);
    this.adminGrants.delete(`${tenant.id}|${clientId}`);
  }

  /**
   * The application permissions a client-credentials token for the tenant carries now. Roles granted by
   * admin consent reach tokens only after `propagationMs` ("it can take some time for the permissions to
   * propagate": https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent); a tenant seeded
   * as consented was consented long ago. The roles appear in the token's `roles` claim:
   * https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference
   */
  appRolesInTokens(tenant: SimTenant, clientId: string, now: number, propagationMs: number): string[] {
    if (!tenant.adminConsentedApps.has(clientId)) return [];
    const grant = this.adminGrants.get(`${tenant.id}|${clientId}`);
    if (!grant) return this.settingsFor(clientId).roles;
    return now - grant.at >= propagationMs ? grant.roles : [];
  }

  consented(userId: string, clientId: string): Set<string> {
    return this.consents.get(`${userId}|${clientId}`) ?? new Set();
  }

  grantConsent(userId: string, clientId: string, permissions: Iterable<string>): void {
    const set = this.consents.get(`${userId}|${clientId}`) ?? new Set<string>();
    for (const p of permissions) set.add(p);
    this.consents.set(`${userId}|${clientId}`, set);
  }

  revocationGeneration(userId: string): number {
    return this.revocations.get(userId)?.generation ?? 0;
  }

  revoke(userId: string, now: number): void {
    this.revocations.set(userId, { generation: this.revocationGeneration(userId) + 1, at: now });
  }
}

/** Opaque, unguessable token strings (codes, refresh tokens, flow and session ids). */
export function opaque(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

const stores = new WeakMap<SimState, IdentityStore>();

/** The identity store of a simulator; created on first use and cleared on reset. */
export function identityStore(state: SimState): IdentityStore {
  let store = stores.get(state);
  if (!store) {
    const created = new IdentityStore();
    state.resetHooks.push(() => created.reset());
    stores.set(state, created);
    store = created;
  }
  return store;
}
