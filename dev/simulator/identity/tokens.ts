// Minting and checking the tokens: v2.0 id_tokens for the app, v1.0-style Graph access tokens (as Graph's
// are), and the verification the Graph module relies on. All times come from the simulated clock.
import { createHash, randomUUID } from 'node:crypto';
import { errors as joseErrors } from 'jose';
import { SimAuthError, type GraphCaller, type SimIdentity, type SimState, type SimUser } from '../state.js';
import { GRAPH_APP_ID, GRAPH_RESOURCE } from './scopes.js';
import { ACCESS_TOKEN_LIFETIME_S, identityStore } from './store.js';

const seconds = (ms: number): number => Math.floor(ms / 1000);

/** The pairwise subject of an id_token: stable per user and app, different across apps (as in Entra). */
export function pairwiseSubject(userId: string, clientId: string): string {
  return createHash('sha256').update(`${userId}:${clientId}`).digest('base64url').slice(0, 43);
}

/** client_info as MSAL expects it: base64url {"uid","utid"}, from which it builds homeAccountId. */
export function clientInfo(user: SimUser): string {
  return Buffer.from(JSON.stringify({ uid: user.id, utid: user.tenantId })).toString('base64url');
}

export interface IdTokenInput {
  issuerOrigin: string;
  clientId: string;
  user: SimUser;
  nonce?: string;
  authTime: number;
  withEmail: boolean;
}

export async function mintIdToken(state: SimState, input: IdTokenInput): Promise<string> {
  const now = seconds(state.clock.now());
  const { user } = input;
  return identityStore(state).key.sign({
    aud: input.clientId,
    iss: `${input.issuerOrigin}/${user.tenantId}/v2.0`,
    iat: now,
    nbf: now,
    exp: now + ACCESS_TOKEN_LIFETIME_S,
    auth_time: seconds(input.authTime),
    name: user.displayName,
    oid: user.id,
    preferred_username: user.userPrincipalName,
    ...(input.withEmail ? { email: user.mail } : {}),
    sub: pairwiseSubject(user.id, input.clientId),
    tid: user.tenantId,
    ...(emitsWids(state, input.clientId) && user.directoryRoles.length ? { wids: user.directoryRoles } : {}),
    ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
    uti: randomUUID().replace(/-/g, ''),
    ver: '2.0',
  });
}

/**
 * `wids` (the user's directory role template ids) is emitted only when the app registration asks for it with
 * groupMembershipClaims "DirectoryRole" or "All"
 * (https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference); `tid` always
 * (https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference).
 */
function emitsWids(state: SimState, clientId: string): boolean {
  const claims = state.directory.apps.get(clientId)?.groupMembershipClaims;
  return claims === 'DirectoryRole' || claims === 'All';
}

export interface AccessTokenInput {
  tenantId: string;
  appId: string;
  userId?: string;
  scopes?: string[];
  roles?: string[];
}

/** The resource a token is for: its audience and the first-party app id its pairwise subjects are bound to. */
export interface TokenResource {
  audience: string;
  appId: string;
}

/** A Graph access token; Graph tokens are v1.0 tokens (iss sts.windows.net, appid), as in production. */
export function mintGraphAccessToken(state: SimState, input: AccessTokenInput): Promise<{ token: string; expiresIn: number }> {
  return mintAccessToken(state, { audience: GRAPH_RESOURCE, appId: GRAPH_APP_ID }, input);
}

/** A v1.0 access token for a resource: delegated with `userId` (scp), app-only without (roles). */
export async function mintAccessToken(
  state: SimState,
  resource: TokenResource,
  input: AccessTokenInput,
): Promise<{ token: string; expiresIn: number }> {
  const now = seconds(state.clock.now());
  const user = input.userId ? state.directory.users.get(input.userId) : undefined;
  const app = state.directory.apps.get(input.appId);
  const claims: Record<string, unknown> = {
    aud: resource.audience,
    iss: `https://sts.windows.net/${input.tenantId}/`,
    iat: now,
    nbf: now,
    exp: now + ACCESS_TOKEN_LIFETIME_S,
    app_displayname: app?.displayName ?? input.appId,
    appid: input.appId,
    appidacr: '1',
    idtyp: user ? 'user' : 'app',
    tid: input.tenantId,
    uti: randomUUID().replace(/-/g, ''),
    ver: '1.0',
  };
  if (user) {
    Object.assign(claims, {
      oid: user.id,
      sub: pairwiseSubject(user.id, resource.appId),
      upn: user.userPrincipalName,
      unique_name: user.userPrincipalName,
      name: user.displayName,
      scp: (input.scopes ?? []).join(' '),
    });
  } else {
    // App-only tokens carry the service principal as subject; roles only after admin consent.
    const spId = pairwiseSubject(input.appId, input.tenantId);
    Object.assign(claims, { oid: spId, sub: spId, ...(input.roles?.length ? { roles: input.roles } : {}) });
  }
  return { token: await identityStore(state).key.sign(claims), expiresIn: ACCESS_TOKEN_LIFETIME_S };
}

/** The SimIdentity the Graph module calls. */
export function createSimIdentity(state: SimState): SimIdentity {
  return {
    async verifyGraphToken(authorization) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
      if (!match) throw new SimAuthError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
      let payload;
      try {
        payload = await identityStore(state).key.verify(match[1]!, {
          audience: [GRAPH_RESOURCE, `${GRAPH_RESOURCE}/`, GRAPH_APP_ID],
          currentDate: state.clock.date(),
        });
      } catch (error) {
        throw new SimAuthError(401, 'InvalidAuthenticationToken', verificationMessage(error));
      }
      const tenantId = typeof payload.tid === 'string' ? payload.tid : '';
      const appId = typeof payload.appid === 'string' ? payload.appid : '';
      const scp = typeof payload.scp === 'string' ? payload.scp.split(' ').filter(Boolean) : [];
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
      const expiresAtMs = typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
      const caller: GraphCaller = { tenantId, appId, scopes: new Set(scp), roles: new Set(roles), expiresAtMs };
      if (payload.idtyp === 'user' && typeof payload.oid === 'string') caller.userId = payload.oid;
      return caller;
    },
    async issueGraphToken(input) {
      return (await mintGraphAccessToken(state, input)).token;
    },
  };
}

/** Graph's wording for token failures (InvalidAuthenticationToken messages). */
function verificationMessage(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'Lifetime validation failed, the token is expired.';
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'aud') return 'Access token validation failure. Invalid audience.';
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf') return 'Lifetime validation failed, the token is not yet valid.';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey)
    return 'Access token validation failure. Invalid signature.';
  return 'IDX14100: JWT is not well formed, it could not be parsed.';
}
