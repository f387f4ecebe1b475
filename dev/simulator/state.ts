// The simulator's directory (tenants, users, rooms, registered apps) and its clock. Identity and Graph
// keep their own state in their modules and read the directory from here.
import { randomUUID } from 'node:crypto';
import type { SimWorkingHours } from './graph/working-hours.js';
import { DEFAULT_SIM_SETTINGS, type SimSettings } from './settings.js';

export interface SimTenant {
  id: string;
  /** Default domain, e.g. contoso.test. */
  domain: string;
  displayName: string;
  /** When true, delegated consent fails with AADSTS65001 until an admin consents. */
  requiresAdminConsent: boolean;
  /** Client ids an admin consented to tenant-wide (application permissions included). */
  adminConsentedApps: Set<string>;
}

export interface SimUser {
  id: string;
  tenantId: string;
  userPrincipalName: string;
  mail: string;
  displayName: string;
  /** 'shared': a shared mailbox (no sign-in; members are granted access through /_sim/graph/shared-mailboxes). */
  kind: 'user' | 'room' | 'shared';
  /** Windows or IANA time zone name from mailboxSettings. */
  timeZone: string;
  /** Working hours set "in Outlook" (graph/working-hours.ts); Outlook's default when absent. */
  workingHours?: SimWorkingHours;
  /** Template ids of the user's Entra directory roles (e.g. Global Administrator); emitted as `wids`. */
  directoryRoles: string[];
  /**
   * Where the mailbox lives. `onPremises`: an Exchange Server mailbox of a hybrid organisation, which
   * Graph cannot serve (every mailbox request answers 404 MailboxNotEnabledForRESTAPI; the user object
   * itself is served). Exchange Online when absent.
   */
  mailboxLocation?: 'exchangeOnline' | 'onPremises';
}

export interface SimApp {
  clientId: string;
  clientSecret: string;
  /** When the client secret stops working (simulated clock, ms); never when absent. */
  clientSecretExpiresAt?: number;
  displayName: string;
  /**
   * The app registration's groupMembershipClaims: with "DirectoryRole" or "All", tokens carry the user's
   * directory roles as `wids` (https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference,
   * https://learn.microsoft.com/en-us/entra/identity-platform/reference-app-manifest#groupmembershipclaims-attribute).
   */
  groupMembershipClaims?: 'None' | 'SecurityGroup' | 'DirectoryRole' | 'ApplicationGroup' | 'All';
  /** App roles the app defines for its own API (values as they appear in the `roles` claim). */
  appRoles?: string[];
  /** Roles of other apps' APIs assigned to this app's service principal: resource client id -> role values. */
  assignedAppRoles?: Record<string, string[]>;
  /** Certificate credentials (public keys) the app may sign client assertions with. */
  certificates?: SimCertificate[];
  /** Federated identity credentials: external tokens the app accepts as client assertions. */
  federatedCredentials?: SimFederatedCredential[];
}

export interface SimCertificate {
  /** PEM of the X.509 certificate whose public key verifies the app's client assertions. */
  certificatePem: string;
}

export interface SimFederatedCredential {
  issuer: string;
  subject: string;
  audiences: string[];
}

/** A user-assigned managed identity the simulated App Service identity endpoint serves tokens for. */
export interface SimManagedIdentity {
  clientId: string;
  /** Object (principal) id: the `sub` of its tokens. */
  principalId: string;
  tenantId: string;
}

/** Who called Graph, from a verified access token. */
export interface GraphCaller {
  tenantId: string;
  appId: string;
  /** Object id of the signed-in user; absent for app-only (client credentials) tokens. */
  userId?: string;
  /** Delegated scopes (scp), e.g. Calendars.ReadWrite. */
  scopes: Set<string>;
  /** Application permissions (roles), e.g. Calendars.ReadWrite. */
  roles: Set<string>;
  /** When the access token expires (sim clock). */
  expiresAtMs?: number;
}

/** What the identity module offers the Graph module. */
export interface SimIdentity {
  /** Verifies an `Authorization: Bearer` header; throws SimAuthError (401) when it is missing or invalid. */
  verifyGraphToken(authorization: string | undefined): Promise<GraphCaller>;
  /** Mints a Graph access token directly (tests and control API), as the token endpoint would. */
  issueGraphToken(input: { tenantId: string; appId: string; userId?: string; scopes?: string[]; roles?: string[] }): Promise<string>;
}

export class SimAuthError extends Error {
  override name = 'SimAuthError';
  constructor(
    readonly status: 401 | 403,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class SimClock {
  private offsetMs = 0;
  private listeners: (() => void)[] = [];
  /** Called after every advance (e.g. to run notification retries that fell due). */
  onAdvance(listener: () => void): void {
    this.listeners.push(listener);
  }
  now(): number {
    return Date.now() + this.offsetMs;
  }
  date(): Date {
    return new Date(this.now());
  }
  advance(ms: number): void {
    this.offsetMs += ms;
    for (const listener of this.listeners) listener();
  }
  reset(): void {
    this.offsetMs = 0;
  }
}

/**
 * The tenant of every personal Microsoft account (outlook.com, hotmail.com, live.com): their tokens carry
 * this `tid` (https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference#payload-claims).
 */
export const CONSUMER_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';
/** The control API's name for it (POST /_sim/users {"tenant": "consumers"}). */
export const CONSUMER_DOMAIN = 'outlook.com';

export function isConsumerTenant(tenantId: string): boolean {
  return tenantId.toLowerCase() === CONSUMER_TENANT_ID;
}

export class SimDirectory {
  readonly tenants = new Map<string, SimTenant>();
  readonly users = new Map<string, SimUser>();
  readonly apps = new Map<string, SimApp>();
  readonly managedIdentities = new Map<string, SimManagedIdentity>();

  addTenant(input: Partial<SimTenant> & { domain: string }): SimTenant {
    const tenant: SimTenant = {
      id: input.id ?? randomUUID(),
      domain: input.domain.toLowerCase(),
      displayName: input.displayName ?? input.domain,
      requiresAdminConsent: input.requiresAdminConsent ?? false,
      adminConsentedApps: input.adminConsentedApps ?? new Set(),
    };
    this.tenants.set(tenant.id, tenant);
    return tenant;
  }

  /** The consumer tenant, made on first use (so a reset clears it like any other). */
  consumerTenant(): SimTenant {
    return this.tenants.get(CONSUMER_TENANT_ID) ?? this.addTenant({ id: CONSUMER_TENANT_ID, domain: CONSUMER_DOMAIN, displayName: 'Microsoft accounts' });
  }

  addUser(input: Partial<SimUser> & { tenantId: string; userPrincipalName: string }): SimUser {
    const upn = input.userPrincipalName.toLowerCase();
    const user: SimUser = {
      id: input.id ?? randomUUID(),
      tenantId: input.tenantId,
      userPrincipalName: upn,
      mail: (input.mail ?? upn).toLowerCase(),
      displayName: input.displayName ?? upn.split('@')[0]!,
      kind: input.kind ?? 'user',
      timeZone: input.timeZone ?? 'UTC',
      directoryRoles: input.directoryRoles ?? [],
      ...(input.mailboxLocation ? { mailboxLocation: input.mailboxLocation } : {}),
    };
    this.users.set(user.id, user);
    return user;
  }

  /**
   * Finds a user by object id or UPN (case-insensitive), as Graph's /users/{id | userPrincipalName} does:
   * a mail address that is not the UPN does not resolve.
   * https://learn.microsoft.com/en-us/graph/api/user-get ("{id | userPrincipalName}")
   */
  findUser(idOrUpn: string): SimUser | undefined {
    const key = idOrUpn.toLowerCase().replace(/^aad-upn:/, '');
    return this.users.get(key) ?? [...this.users.values()].find((u) => u.id === key || u.userPrincipalName === key);
  }

  /** Finds a mailbox by its SMTP address, as Exchange routes mail, attendees and getSchedule's schedules. */
  findByMail(address: string): SimUser | undefined {
    const key = address.toLowerCase();
    return [...this.users.values()].find((u) => u.mail === key) ?? [...this.users.values()].find((u) => u.userPrincipalName === key);
  }

  /** Resolves a tenant path segment: a tenant id, a domain, or common / organizations / consumers. */
  findTenant(segment: string): SimTenant | undefined {
    const key = segment.toLowerCase();
    if (key === 'consumers' || key === CONSUMER_TENANT_ID || key === CONSUMER_DOMAIN) return this.consumerTenant();
    return this.tenants.get(key) ?? [...this.tenants.values()].find((t) => t.domain === key);
  }
}

export class SimState {
  readonly clock = new SimClock();
  readonly directory = new SimDirectory();
  /** Documented behaviour by default; PATCH /_sim/settings loosens or tunes it. */
  settings: SimSettings = { ...DEFAULT_SIM_SETTINGS };
  /** Set by the identity module when it registers. */
  identity: SimIdentity = {
    verifyGraphToken: async () => {
      throw new SimAuthError(401, 'InvalidAuthenticationToken', 'The identity module is not registered.');
    },
    issueGraphToken: async () => {
      throw new Error('The identity module is not registered.');
    },
  };
  /**
   * Called when a user's sessions are revoked or their password is reset (control API), so that Graph
   * removes the user's delegated subscriptions.
   */
  readonly userRevokedHooks: ((userId: string) => void)[] = [];
  /** Hooks other modules register to clear their own state on /_sim/reset. */
  readonly resetHooks: (() => void)[] = [];

  reset(): void {
    this.clock.reset();
    this.settings = { ...DEFAULT_SIM_SETTINGS };
    this.directory.tenants.clear();
    this.directory.users.clear();
    this.directory.apps.clear();
    this.directory.managedIdentities.clear();
    for (const hook of this.resetHooks) hook();
  }
}
