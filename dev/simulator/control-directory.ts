// Control API (JSON, under /_sim) for the directory, the clock and the identity platform: reset, tenants,
// users and rooms, apps, admin consent, token revocation, the auto-consent switch. Documented in
// docs/simulator-identity.md. Also applies the default seed at start and after every reset.
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { identityStore, opaque } from './identity/store.js';
import type { SimRequest, SimResponse } from './router.js';
import { applySeed, SIMULATED_CLIENT_ID } from './seed.js';
import type { SimModule } from './server.js';
import type { SimState, SimTenant, SimUser } from './state.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ControlDirectoryOptions {
  /** Apply the default seed at start and after reset (default true). */
  seed?: boolean;
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const tenantInput = z.object({
  id: z.uuid().optional(),
  domain: z.string().trim().min(3).regex(/^[a-z0-9.-]+$/i, 'a domain name'),
  displayName: z.string().min(1).optional(),
  requiresAdminConsent: z.boolean().optional(),
});
const tenantPatch = z.object({ displayName: z.string().min(1).optional(), requiresAdminConsent: z.boolean().optional() });
const userInput = z.object({
  tenant: z.string().min(1),
  userPrincipalName: z.string().trim().regex(/^[^@\s]+@[^@\s]+$/, 'user@domain'),
  id: z.uuid().optional(),
  displayName: z.string().min(1).optional(),
  mail: z.string().optional(),
  timeZone: z.string().min(1).optional(),
  kind: z.enum(['user', 'room']).optional(),
  mailboxLocation: z.enum(['exchangeOnline', 'onPremises']).optional(),
  /** Directory role template ids, e.g. Global Administrator 62e90394-69f5-4237-9190-012177145e10. */
  directoryRoles: z.array(z.uuid()).optional(),
});
const userPatch = z.object({ mailboxLocation: z.enum(['exchangeOnline', 'onPremises']).optional() }).strict();
const appInput = z.object({
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(8).optional(),
  displayName: z.string().min(1).optional(),
  redirectUris: z.array(z.url()).optional(),
  roles: z.array(z.string().min(1)).optional(),
  groupMembershipClaims: z.enum(['None', 'SecurityGroup', 'DirectoryRole', 'ApplicationGroup', 'All']).optional(),
  appRoles: z.array(z.string().min(1)).optional(),
});
const appRoleAssignmentInput = z.object({ roles: z.array(z.string().min(1)) });
const signedInInput = z.object({ clientId: z.string().min(1), scopes: z.array(z.string().min(1)).min(1) }).strict();
const advanceInput = z
  .object({ ms: z.number().nonnegative().optional(), minutes: z.number().nonnegative().optional(), hours: z.number().nonnegative().optional(), days: z.number().nonnegative().optional() })
  .refine((v) => v.ms !== undefined || v.minutes !== undefined || v.hours !== undefined || v.days !== undefined, 'give ms, minutes, hours or days');
const settingsPatch = z
  .object({
    allowUndocumented: z.boolean(),
    conflictAs409Rate: z.number().min(0).max(1),
    reauthorizationRatePerHour: z.number().min(0).max(1),
    notificationLatencyMs: z.number().int().min(0).max(600_000),
    extraUpdatedPerEdit: z.number().int().min(0).max(10),
    appRoleConsentDelayMs: z.number().int().min(0),
    roomResponseDelayMs: z.number().int().min(0).max(86_400_000),
    onlineMeetingDelayMs: z.number().int().min(0).max(86_400_000),
  })
  .partial()
  .strict();
const tokenInput = z.object({
  tenant: z.string().min(1),
  clientId: z.string().min(1).default(SIMULATED_CLIENT_ID),
  user: z.string().optional(),
  scopes: z.array(z.string()).optional(),
  roles: z.array(z.string()).optional(),
});

export function createControlDirectoryModule(options: ControlDirectoryOptions = {}): SimModule {
  const seedByDefault = options.seed ?? true;
  return (router, state) => {
    const store = identityStore(state);
    let seedOnReset = seedByDefault;
    state.resetHooks.push(() => {
      if (seedOnReset) applySeed(state);
    });
    if (seedByDefault) applySeed(state);

    const on = (method: string, path: string, handler: (req: SimRequest) => Promise<SimResponse> | SimResponse): void => {
      router.on(method, path, async (req) => {
        try {
          return await handler(req);
        } catch (error) {
          if (error instanceof ControlError) return { status: error.status, body: { error: { code: error.code, message: error.message } } };
          throw error;
        }
      });
    };

    on('POST', '/_sim/reset', (req) => {
      const body = optionalJson(req, z.object({ seed: z.boolean().optional() }));
      seedOnReset = body.seed ?? seedByDefault;
      try {
        state.reset();
      } finally {
        seedOnReset = seedByDefault;
      }
      return { status: 204 };
    });

    on('GET', '/_sim/tenants', () => ({ status: 200, body: { value: [...state.directory.tenants.values()].map(tenantJson) } }));
    on('POST', '/_sim/tenants', (req) => {
      const input = json(req, tenantInput);
      if (state.directory.findTenant(input.domain) || (input.id && state.directory.tenants.has(input.id)))
        throw new ControlError(409, 'Conflict', `A tenant with domain ${input.domain} or id ${input.id ?? ''} already exists.`);
      return { status: 201, body: tenantJson(state.directory.addTenant(input)) };
    });
    on('GET', '/_sim/tenants/:tenant', (req) => ({ status: 200, body: tenantJson(tenant(state, req.params.tenant!)) }));
    on('PATCH', '/_sim/tenants/:tenant', (req) => {
      const t = tenant(state, req.params.tenant!);
      const input = json(req, tenantPatch);
      if (input.displayName !== undefined) t.displayName = input.displayName;
      if (input.requiresAdminConsent !== undefined) t.requiresAdminConsent = input.requiresAdminConsent;
      return { status: 200, body: tenantJson(t) };
    });
    on('PUT', '/_sim/tenants/:tenant/admin-consents/:clientId', (req) => {
      const t = tenant(state, req.params.tenant!);
      if (!state.directory.apps.has(req.params.clientId!)) throw new ControlError(404, 'NotFound', `No app ${req.params.clientId}.`);
      // An administrator's consent given outside the flow (the Entra admin center); `roles` models a consent
      // given when the app registration asked for fewer permissions than it does now.
      const { roles } = optionalJson(req, z.object({ roles: z.array(z.string().min(1)).optional() }));
      store.grantAdminConsent(t, req.params.clientId!, state.clock.now(), roles);
      return { status: 204 };
    });
    on('DELETE', '/_sim/tenants/:tenant/admin-consents/:clientId', (req) => {
      store.withdrawAdminConsent(tenant(state, req.params.tenant!), req.params.clientId!);
      return { status: 204 };
    });

    on('GET', '/_sim/users', (req) => {
      const filter = req.query.get('tenant');
      const t = filter ? tenant(state, filter) : undefined;
      const users = [...state.directory.users.values()].filter((u) => !t || u.tenantId === t.id);
      return { status: 200, body: { value: users.map(userJson) } };
    });
    const createUser = (req: SimRequest, kind?: 'room'): SimResponse => {
      const input = json(req, userInput);
      const t = tenant(state, input.tenant);
      if (state.directory.findUser(input.userPrincipalName) || (input.id && state.directory.users.has(input.id)))
        throw new ControlError(409, 'Conflict', `A user ${input.userPrincipalName} already exists.`);
      const { tenant: _tenant, ...rest } = input;
      return { status: 201, body: userJson(state.directory.addUser({ ...rest, kind: kind ?? input.kind, tenantId: t.id })) };
    };
    on('POST', '/_sim/users', (req) => createUser(req));
    on('POST', '/_sim/rooms', (req) => createUser(req, 'room'));
    on('GET', '/_sim/users/:user', (req) => ({ status: 200, body: userJson(user(state, req.params.user!)) }));
    // An Exchange administrator moves the mailbox between Exchange Online and an on-premises server.
    on('PATCH', '/_sim/users/:user', (req) => {
      const u = user(state, req.params.user!);
      const patch = json(req, userPatch);
      if (patch.mailboxLocation) u.mailboxLocation = patch.mailboxLocation;
      return { status: 200, body: userJson(u) };
    });
    // Like Graph's revokeSignInSessions: every refresh token the user holds stops working (AADSTS50173).
    const revokeUser = (u: SimUser): void => {
      store.revoke(u.id, state.clock.now());
      for (const [session, userId] of store.sessions) if (userId === u.id) store.sessions.delete(session);
      for (const hook of state.userRevokedHooks) hook(u.id);
    };
    on('POST', '/_sim/users/:user/revoke-sign-in-sessions', (req) => {
      revokeUser(user(state, req.params.user!));
      return { status: 200, body: { value: true } };
    });
    // Seeds what an interactive sign-in leaves behind (the user's consent to `scopes` and a refresh token
    // issued now), so a bench can hold thousands of connected users without driving each through the pages.
    on('POST', '/_sim/users/:user/signed-in', (req) => {
      const u = user(state, req.params.user!);
      const input = json(req, signedInInput);
      store.grantConsent(u.id, input.clientId, input.scopes);
      const now = state.clock.now();
      const refreshToken = opaque('sim-rt.', 48);
      store.refreshTokens.set(refreshToken, { clientId: input.clientId, tenantId: u.tenantId, userId: u.id, authTime: now, issuedAt: now, revocationGeneration: store.revocationGeneration(u.id) });
      return { status: 200, body: { refresh_token: refreshToken } };
    });
    // An administrator resets the user's password: refresh tokens stop working, as with a revocation, and
    // Graph removes the user's delegated subscriptions ("User's password has been reset").
    // https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events#actions-to-take-1
    on('POST', '/_sim/users/:user/reset-password', (req) => {
      revokeUser(user(state, req.params.user!));
      return { status: 204 };
    });

    on('GET', '/_sim/apps', () => ({
      status: 200,
      body: { value: [...state.directory.apps.values()].map((a) => ({ clientId: a.clientId, displayName: a.displayName, ...store.settingsFor(a.clientId) })) },
    }));
    on('POST', '/_sim/apps', (req) => {
      const input = json(req, appInput);
      const clientId = input.clientId ?? randomUUID();
      if (state.directory.apps.has(clientId)) throw new ControlError(409, 'Conflict', `An app ${clientId} already exists.`);
      const app = {
        clientId,
        clientSecret: input.clientSecret ?? randomBytes(30).toString('base64url'),
        displayName: input.displayName ?? `App ${clientId.slice(0, 8)}`,
        ...(input.appRoles ? { appRoles: input.appRoles } : {}),
        groupMembershipClaims: input.groupMembershipClaims,
      };
      state.directory.apps.set(clientId, app);
      const settings = { redirectUris: input.redirectUris, roles: input.roles ?? store.settingsFor(clientId).roles };
      store.appSettings.set(clientId, settings);
      return { status: 201, body: { ...app, ...settings } };
    });

    // The registration's API permissions edited (e.g. one removed): consents given from now on grant these.
    on('PATCH', '/_sim/apps/:clientId', (req) => {
      const clientId = req.params.clientId!;
      if (!state.directory.apps.has(clientId)) throw new ControlError(404, 'NotFound', `No app ${clientId}.`);
      const input = json(req, z.object({ roles: z.array(z.string().min(1)) }).strict());
      store.appSettings.set(clientId, { ...store.settingsFor(clientId), roles: input.roles });
      return { status: 200, body: { clientId, ...store.settingsFor(clientId) } };
    });

    on('GET', '/_sim/settings', () => ({ status: 200, body: state.settings }));
    on('PATCH', '/_sim/settings', (req) => {
      Object.assign(state.settings, json(req, settingsPatch));
      return { status: 200, body: state.settings };
    });

    // Assigns app roles of one app's API (`resource`) to another app's service principal (`principal`);
    // an empty list removes the assignment. Only roles the resource defines can be assigned.
    on('PUT', '/_sim/apps/:resource/app-role-assignments/:principal', (req) => {
      const resource = state.directory.apps.get(req.params.resource!);
      const principal = state.directory.apps.get(req.params.principal!);
      if (!resource || !principal) throw new ControlError(404, 'NotFound', `No app ${resource ? req.params.principal : req.params.resource}.`);
      const { roles } = json(req, appRoleAssignmentInput);
      const unknown = roles.find((role) => !(resource.appRoles ?? []).includes(role));
      if (unknown) throw new ControlError(400, 'BadRequest', `The app ${resource.clientId} defines no app role ${unknown}.`);
      principal.assignedAppRoles = { ...principal.assignedAppRoles, [resource.clientId]: roles };
      return { status: 204 };
    });

    on('GET', '/_sim/clock', () => ({ status: 200, body: clockJson(state) }));
    on('POST', '/_sim/clock/advance', (req) => {
      const v = json(req, advanceInput);
      state.clock.advance((v.ms ?? 0) + (v.minutes ?? 0) * 60_000 + (v.hours ?? 0) * 3_600_000 + (v.days ?? 0) * DAY_MS);
      return { status: 200, body: clockJson(state) };
    });

    on('GET', '/_sim/identity/auto-consent', () => ({ status: 200, body: { enabled: store.autoConsent } }));
    on('PUT', '/_sim/identity/auto-consent', (req) => {
      store.autoConsent = json(req, z.object({ enabled: z.boolean() })).enabled;
      return { status: 200, body: { enabled: store.autoConsent } };
    });

    // Mints a Graph access token directly, for tests of the Graph side that do not need a sign-in.
    on('POST', '/_sim/tokens', async (req) => {
      const input = json(req, tokenInput);
      const t = tenant(state, input.tenant);
      const u = input.user ? user(state, input.user) : undefined;
      const token = await state.identity.issueGraphToken({ tenantId: t.id, appId: input.clientId, userId: u?.id, scopes: input.scopes, roles: input.roles });
      return { status: 200, body: { token_type: 'Bearer', access_token: token, expires_in: 3600 } };
    });
  };
}

export const controlDirectoryModule: SimModule = createControlDirectoryModule();

function json<T>(req: SimRequest, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(req.body.toString('utf8') || 'null');
  } catch {
    throw new ControlError(400, 'BadRequest', 'The body is not valid JSON.');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ControlError(400, 'BadRequest', `Invalid ${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return parsed.data;
}

function optionalJson<T>(req: SimRequest, schema: z.ZodType<T>): T {
  return req.body.length ? json(req, schema) : json({ ...req, body: Buffer.from('{}') }, schema);
}

function tenant(state: SimState, idOrDomain: string): SimTenant {
  const t = state.directory.findTenant(idOrDomain);
  if (!t) throw new ControlError(404, 'NotFound', `No tenant ${idOrDomain}.`);
  return t;
}

function user(state: SimState, idOrUpn: string): SimUser {
  const u = state.directory.findUser(idOrUpn) ?? state.directory.findByMail(idOrUpn);
  if (!u) throw new ControlError(404, 'NotFound', `No user ${idOrUpn}.`);
  return u;
}

function tenantJson(t: SimTenant): Record<string, unknown> {
  return { id: t.id, domain: t.domain, displayName: t.displayName, requiresAdminConsent: t.requiresAdminConsent, adminConsentedApps: [...t.adminConsentedApps] };
}

function userJson(u: SimUser): SimUser {
  return { ...u };
}

function clockJson(state: SimState): { now: string; nowMs: number } {
  return { now: state.clock.date().toISOString(), nowMs: state.clock.now() };
}
