// tenants: tenant-wide (admin) consent, in one table read two ways.
// - A consent record per booking system and tenant (PartitionKey clientId, RowKey tenantId): a booking system
//   may map rooms only of tenants whose administrator consented through one of its own tenant links.
// - A single-use consent attempt (PartitionKey = hash of the state value, RowKey 'consent-state'), the
//   admin-consent counterpart of oauthStates: only the hash is a key, so the table never holds a usable state.
import type { TableClient } from '@azure/data-tables';
import { TableRepository, type CallOptions, type Versioned } from '../repository.js';
import { stateHash } from './oauth-states.js';

export const TENANT_CONSENT_STATE_ROW = 'consent-state';
export const TENANT_CONSENT_STATE_TTL_MS = 30 * 60 * 1000;

export interface TenantConsentEntity {
  /** clientId */
  partitionKey: string;
  /** tenantId (a GUID, as the consent callback names it) */
  rowKey: string;
  status: 'consented';
  consentedAt: Date;
  /** Application roles the app-only token carried when consent was recorded. */
  roles?: string[];
}

export interface TenantConsentStateEntity {
  /** stateHash(state) */
  partitionKey: string;
  rowKey: typeof TENANT_CONSENT_STATE_ROW;
  /**
   * 'consent': waiting for the admin-consent redirect; 'signin': for the administrator's OIDC sign-in;
   * 'propagating': consent proven, waiting for its application roles to reach app-only tokens.
   */
  step?: 'consent' | 'signin' | 'propagating';
  clientId: string;
  connectLinkId: string;
  returnUrl: string;
  /** The administrator's account, proposed on the sign-in after consent. */
  loginHint?: string;
  /** Sign-in step: the tenant the admin-consent redirect named, its encrypted PKCE verifier and nonce. */
  tenantId?: string;
  codeVerifier?: string;
  nonce?: string;
  /** Propagating step: when the app stops waiting for the roles, and how many checks were made so far. */
  waitUntil?: Date;
  checks?: number;
  /** Hash of the browser-binding cookie set when the link was opened (shared/connect/browser-binding.ts). */
  bindingHash?: string;
  expiresAt: Date;
  usedAt?: Date;
}

export class TenantRepository {
  readonly consents: TableRepository<TenantConsentEntity>;
  readonly states: TableRepository<TenantConsentStateEntity>;

  constructor(client: TableClient, timeoutMs: number) {
    this.consents = new TableRepository<TenantConsentEntity>(client, timeoutMs);
    this.states = new TableRepository<TenantConsentStateEntity>(client, timeoutMs);
  }

  getConsent(clientId: string, tenantId: string, options: CallOptions = {}): Promise<Versioned<TenantConsentEntity> | null> {
    return this.consents.get(clientId, tenantId, options);
  }

  async listConsents(clientId: string): Promise<TenantConsentEntity[]> {
    const out: TenantConsentEntity[] = [];
    let token: string | undefined;
    do {
      const page = await this.consents.listPartition(clientId, { continuationToken: token });
      out.push(...page.items.map((i) => i.entity));
      token = page.continuationToken;
    } while (token);
    return out;
  }

  getState(state: string, options: CallOptions = {}): Promise<Versioned<TenantConsentStateEntity> | null> {
    return this.states.get(stateHash(state), TENANT_CONSENT_STATE_ROW, options);
  }
}
