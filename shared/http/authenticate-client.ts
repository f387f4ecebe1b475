// Who is calling: a booking system (`Authorization: Bearer <api key>`) or the operator (`Bearer <admin key>`).
// Every failure is the same 401, whatever went wrong, and the comparison work does not depend on which
// part of the key was wrong (hashes compared in constant time, a dummy compare when the client is unknown).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { HttpRequest } from '@azure/functions';
import { bearerToken, clientIdOfKey, hashApiKey, verifyApiKey } from '../auth/api-keys.js';
import type { ClientEntity } from '../store/repositories/clients.js';
import type { Services } from '../services.js';
import { AppError } from './problem.js';
import { clientDisabledError } from '../admin/pause.js';

const REALM = 'calendar-bridge';
// A well-formed hash that no key hashes to, so an unknown client costs the same compare as a known one.
const DUMMY_HASHES = [hashApiKey('cb_live_unknown')];

export function unauthorized(detail = 'A valid API key is required: send Authorization: Bearer <api key>.'): AppError {
  return new AppError(401, 'unauthorized', detail, {
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

/** Checks the operator's admin key (held in the secret store); 401 otherwise. */
export async function authenticateAdmin(request: HttpRequest, services: Pick<Services, 'config' | 'secrets'>): Promise<void> {
  const key = bearerToken(request.headers.get('authorization'));
  const expected = (await services.secrets.get(services.config.adminKeySecretName)).value;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  // Equal-length digests, so the comparison is constant time whatever the lengths of the keys.
  const ok = timingSafeEqual(digest(key ?? ''), digest(expected)) && key !== undefined;
  if (!ok) throw unauthorized('The admin key is required: send Authorization: Bearer <admin key>.');
}
