// The space a booking-system request names, and Graph access to its room: app-only, in the space's tenant,
// acting for the room mailbox. Failures become the API's problems like a connection's do, except that a
// refusal (401/403) means the tenant's consent is missing or was withdrawn, not that a user must sign in.
import type { Client } from '@microsoft/microsoft-graph-client';
import { getAppGraphClient, TenantConsentMissingError } from '../auth/app-tokens.js';
import { categorizeGraphError } from '../graph/client.js';
import { graphProblem } from '../graph/graph-problems.js';
import { AppError, isAppError } from '../errors/app-error.js';
import type { Services } from '../services.js';
import type { SpaceEntity } from '../store/repositories/spaces.js';
import type { CalendarOwner, SpaceOwnerInfo } from './space-owner.js';

/** The caller's space, or 404 naming the field. */
export async function requireSpace(services: Services, clientId: string, spaceId: string, field = 'spaceId'): Promise<SpaceEntity> {
  const found = await services.store.spaces.getSpace(clientId, spaceId);
  if (!found || found.entity.status !== 'active') throw new AppError('space_not_found', `${field}: no such space`, { field });
  return found.entity;
}

/** A Graph failure of an app-only call as the API's problem. */
export function appOnlyProblem(tenantId: string, error: unknown, field?: string): AppError {
  if (isAppError(error)) return error;
  // Token endpoint refusals (MSAL errors) and Graph's 401/403 both mean the app has no access in the tenant.
  // (The Graph client hands a token failure on as a GraphError with status -1 and the MSAL error's name.)
  const e = error as { errorCode?: unknown; statusCode?: unknown; code?: unknown };
  const tokenRefused = typeof e?.errorCode === 'string' || (e?.statusCode === -1 && /^(ServerError|ClientAuthError|AuthError)$/.test(String(e.code)));
  if (tokenRefused || categorizeGraphError(error) === 'auth') return new TenantConsentMissingError(tenantId, field);
  return graphProblem(error);
}

/** Runs Graph calls for the room of a space-owner, app-only, with API problems on failure. */
export function appOnlyGraph(services: Services, owner: CalendarOwner & { space: SpaceOwnerInfo }, field?: string) {
  const graph: Client = getAppGraphClient(services, owner.space.tenantId, owner.space.roomObjectId);
  return {
    connection: owner,
    graph,
    call: async <T>(fn: (graph: Client) => Promise<T>): Promise<T> => {
      try {
        return await fn(graph);
      } catch (error) {
        throw appOnlyProblem(owner.space.tenantId, error, field);
      }
    },
  };
}
