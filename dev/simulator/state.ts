// The simulator's directory (tenants, users, rooms, registered apps) and its clock. Identity and Graph
// keep their own state in their modules and read the directory from here.
import { randomUUID } from 'node:crypto';

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
  kind: 'user' | 'room';
  /** Windows or IANA time zone name from mailboxSettings. */
  timeZone: string;
}

export interface SimApp {
  clientId: string;
  clientSecret: string;
  displayName: string;
}

export class SimClock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  date(): Date {
    return new Date(this.now());
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  reset(): void {
    this.offsetMs = 0;
  }
}

export class SimDirectory {
  readonly tenants = new Map<string, SimTenant>();
  readonly users = new Map<string, SimUser>();
  readonly apps = new Map<string, SimApp>();

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

  addUser(input: Partial<SimUser> & { tenantId: string; userPrincipalName: string }): SimUser {
    const upn = input.userPrincipalName.toLowerCase();
    const user: SimUser = {
      id: input.id ?? randomUUID(),
      tenantId: input.tenantId,
      userPrincipalName: upn,
      mail: input.mail ?? upn,
      displayName: input.displayName ?? upn.split('@')[0]!,
      kind: input.kind ?? 'user',
      timeZone: input.timeZone ?? 'UTC',
    };
    this.users.set(user.id, user);
    return user;
  }

  /** Finds a user by object id or UPN (case-insensitive), as Graph's /users/{id|upn} does. */
  findUser(idOrUpn: string): SimUser | undefined {
    const key = idOrUpn.toLowerCase().replace(/^aad-upn:/, '');
    return this.users.get(key) ?? [...this.users.values()].find((u) => u.id === key || u.userPrincipalName === key || u.mail === key);
  }

  /** Resolves a tenant path segment: a tenant id, a domain, or common / organizations / consumers. */
  findTenant(segment: string): SimTenant | undefined {
    const key = segment.toLowerCase();
    return this.tenants.get(key) ?? [...this.tenants.values()].find((t) => t.domain === key);
  }
}

export class SimState {
  readonly clock = new SimClock();
  readonly directory = new SimDirectory();
  /** Hooks other modules register to clear their own state on /_sim/reset. */
  readonly resetHooks: (() => void)[] = [];

  reset(): void {
    this.clock.reset();
    this.directory.tenants.clear();
    this.directory.users.clear();
    this.directory.apps.clear();
    for (const hook of this.resetHooks) hook();
  }
}
