// Entra ID access tokens for the admin API: issued by the admin tenant for the app's own registration
// (v2.0 tokens: aud = the app's client id, iss = {authority}/{tenant}/v2.0), signed with a key of the
// tenant's published JWKS, and carrying the app role CalendarBridge.Admin in `roles`.
// https://learn.microsoft.com/entra/identity-platform/access-tokens (validating tokens)
// https://learn.microsoft.com/entra/identity-platform/howto-add-app-roles-in-apps
// jose is loaded only when a token is checked, so the other functions pay nothing for it at start-up.
import type { JWTPayload } from 'jose';
import type { Config } from '../config.js';
import type { Transports } from '../transports.js';

/** The app role (value) an operator or a service principal needs on the app's registration. */
export const ADMIN_APP_ROLE = 'CalendarBridge.Admin';

/** Entra's tokens leave 5 minutes for clock skew, as Microsoft's own validators do by default. */
const CLOCK_TOLERANCE_S = 300;
const DISCOVERY_TIMEOUT_MS = 5000;

export class AdminTokenUnavailableError extends Error {
  override name = 'AdminTokenUnavailableError';
}

type Verifier = (token: string) => Promise<JWTPayload>;
type VerifierServices = { config: Config; transports: Pick<Transports, 'fetch' | 'entraHost'> };
const verifiers = new WeakMap<Config, Promise<Verifier>>();

/** True for a compact JWS (three base64url parts): such a bearer is checked as an Entra token, never as a key. */
export function looksLikeJwt(credential: string): boolean {
  return /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(credential);
}

/** The verified claims of an admin access token; throws jose's errors for a bad token. */
export async function verifyAdminToken(token: string, services: VerifierServices): Promise<JWTPayload> {
  const { config } = services;
  let verifier = verifiers.get(config);
  if (!verifier) {
    verifier = createVerifier(services);
    verifiers.set(config, verifier);
    // A failed discovery is retried by the next request rather than remembered.
    verifier.catch(() => verifiers.delete(config));
  }
  try {
    return await (await verifier)(token);
  } catch (error) {
    // jose's errors (codes ERR_JWT_*, ERR_JWS_*, ERR_JWKS_*) judge the token; anything else, or a key set
    // that could not be fetched in time, means the tenant's keys are out of reach.
    const code = (error as { code?: unknown }).code;
    if (error instanceof AdminTokenUnavailableError || typeof code !== 'string' || !code.startsWith('ERR_J') || code === 'ERR_JWKS_TIMEOUT') {
      throw error instanceof AdminTokenUnavailableError ? error : new AdminTokenUnavailableError('The tenant\'s signing keys could not be fetched', { cause: error });
    }
    throw error;
  }
}

/** True when the claims hold the admin app role. */
export function hasAdminRole(claims: JWTPayload): boolean {
  return Array.isArray(claims.roles) && claims.roles.includes(ADMIN_APP_ROLE);
}

async function createVerifier({ config, transports }: VerifierServices): Promise<Verifier> {
  const tenant = config.admin.entraTenantId;
  if (!tenant) throw new AdminTokenUnavailableError('No admin tenant is configured');
  // The host that issued the operator's token, as token holders know it.
  const discoveryUrl = `${transports.entraHost}/${tenant}/v2.0/.well-known/openid-configuration`;
  let discovery: { issuer?: unknown; jwks_uri?: unknown };
  try {
    const response = await transports.fetch(discoveryUrl, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`status ${response.status}`);
    discovery = (await response.json()) as typeof discovery;
  } catch (error) {
    throw new AdminTokenUnavailableError(`OpenID configuration of the admin tenant unavailable (${(error as Error).message})`, { cause: error });
  }
  if (typeof discovery.issuer !== 'string' || typeof discovery.jwks_uri !== 'string') {
    throw new AdminTokenUnavailableError('OpenID configuration of the admin tenant has no issuer or jwks_uri');
  }
  const { createRemoteJWKSet, customFetch, jwtVerify } = await import('jose');
  // Keys are fetched on first use and again when a token names an unknown kid (Entra rolls its keys).
  const keys = createRemoteJWKSet(new URL(discovery.jwks_uri), { timeoutDuration: DISCOVERY_TIMEOUT_MS, [customFetch]: transports.fetch });
  const issuer = discovery.issuer;
  return async (token) =>
    (
      await jwtVerify(token, keys, {
        issuer,
        audience: config.entra.clientId,
        algorithms: ['RS256'],
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp', 'iat', 'tid'],
      })
    ).payload;
}
