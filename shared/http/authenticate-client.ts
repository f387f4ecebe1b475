// Who is calling: a booking system (`Authorization: Bearer <api key>`) or the operator (`Bearer <admin key>`).
// Every failure is the same 401, whatever went wrong, and the comparison work does not depend on which
// part of the key was wrong (hashes compared in constant time, a dummy compare when the client is unknown).
import type { HttpRequest } from '@azure/functions';
import { bearerToken, clientIdOfKey, hashApiKey, verifyApiKey } from '../auth/api-keys.js';
import type { ClientEntity } from '../store/repositories/clients.js';
import type { Services } from '../services.js';
import { sameSecret } from '../sha256.js';
import { AppError } from '../errors/app-error.js';
import { clientDisabledError } from '../admin/pause.js';
import { ADMIN_APP_ROLE, AdminTokenUnavailableError, hasAdminRole, looksLikeJwt, verifyAdminToken } from '../auth/admin-tokens.js';

const REALM = 'calendar-bridge';
// A well-formed hash that no key hashes to, so an unknown client costs the same compare as a known one.
const DUMMY_HASHES = [hashApiKey('cb_live_unknown')];

export function unauthorized(detail = 'A valid API key is required: send Authorization: Bearer <api key>.'): AppError {
  return new AppError('unauthorized', detail, {
    headers: { 'WWW-Authenticate': `Bearer realm="${REALM}"` },
  });
}

/** The booking system the request's API key belongs to; 401 for a missing or wrong key, 403 client_disabled for a disabled client. */
export async function authenticateClient(request: HttpRequest, services: Pick<Services, 'store'>): Promise<ClientEntity> {
  const key = bearerToken(request.headers.get('authorization'));
  const clientId = key ? clientIdOfKey(key) : undefined;
  const found = clientId ? await services.store.clients.getClient(clientId) : null;
  const ok = verifyApiKey(key ?? '', found?.entity.apiKeyHashes ?? DUMMY_HASHES);
  if (!found || !ok) throw unauthorized();
  // Only the holder of a valid key learns that its client is disabled (shared/admin/pause.ts).
  if (found.entity.disabled) throw clientDisabledError();
  return found.entity;
}

/** Entra access tokens run to a few kilobytes. */
const MAX_ADMIN_CREDENTIAL_LENGTH = 16 * 1024;

/**
 * The operator: an Entra access token of the admin tenant with the app role CalendarBridge.Admin, or
 * (locally, or in Azure with ADMIN_KEY_ENABLED=true) the shared admin key. 401 for a missing or bad
 * credential, 403 admin_role_required for a valid token without the role.
 */
export async function authenticateAdmin(request: HttpRequest, services: Pick<Services, 'config' | 'secrets' | 'transports'>): Promise<void> {
  const credential = bearerToken(request.headers.get('authorization'), MAX_ADMIN_CREDENTIAL_LENGTH);
  const { admin } = services.config;
  if (credential && admin.entraTenantId && looksLikeJwt(credential)) return authenticateAdminToken(credential, services);
  if (!admin.keyEnabled) throw unauthorized(`An Entra access token with the app role ${ADMIN_APP_ROLE} is required: send Authorization: Bearer <token>.`);
  return authenticateAdminKey(credential, services);
}

async function authenticateAdminToken(token: string, services: Pick<Services, 'config' | 'transports'>): Promise<void> {
  let claims;
  try {
    claims = await verifyAdminToken(token, services);
  } catch (error) {
    if (error instanceof AdminTokenUnavailableError) {
      throw new AppError('identity_platform_unavailable', 'The identity platform could not be reached to check the token; retry shortly.', {
        headers: { 'Retry-After': '30' },
        cause: error,
      });
    }
    throw unauthorized('The access token is not valid for this app: expired, for another audience or tenant, or not signed by Entra ID.');
  }
  if (!hasAdminRole(claims)) throw new AppError('admin_role_required', `The token does not carry the app role ${ADMIN_APP_ROLE}.`);
}

/** The shared admin key (held in the secret store), compared in constant time. */
async function authenticateAdminKey(key: string | undefined, services: Pick<Services, 'config' | 'secrets'>): Promise<void> {
  const expected = (await services.secrets.get(services.config.adminKeySecretName)).value;
  const ok = sameSecret(key ?? '', expected) && key !== undefined;
  if (!ok) throw unauthorized('The admin key is required: send Authorization: Bearer <admin key>.');
}
