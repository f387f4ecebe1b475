// Access tokens for an app's own API (a resource other than Graph), as client credentials issue them:
// `scope={Application ID URI or client id}/.default`, `roles` holding the app roles assigned to the calling
// service principal (no `roles` claim when none is), v2.0 format (aud = the resource's client id,
// iss = {authority}/{tid}/v2.0), as for an API whose registration requests v2.0 access tokens.
// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
// https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
// https://learn.microsoft.com/entra/identity-platform/howto-add-app-roles-in-apps
import { randomUUID } from 'node:crypto';
import type { SimApp, SimState } from '../state.js';
import { pairwiseSubject } from './tokens.js';
import { ACCESS_TOKEN_LIFETIME_S, identityStore } from './store.js';

/** The registered app a client-credentials resource names: `api://{clientId}` or the bare client id. */
export function appApiResource(state: SimState, resource: string): SimApp | undefined {
  const id = resource.replace(/\/+$/, '').replace(/^api:\/\//i, '');
  return state.directory.apps.get(id);
}

export async function mintAppApiToken(
  state: SimState,
  input: { issuerOrigin: string; tenantId: string; resource: SimApp; caller: SimApp },
): Promise<{ token: string; expiresIn: number }> {
  const now = Math.floor(state.clock.now() / 1000);
  const defined = new Set(input.resource.appRoles ?? []);
  const roles = (input.caller.assignedAppRoles?.[input.resource.clientId] ?? []).filter((role) => defined.has(role));
  // The service principal's object id in the tenant: stable per app and tenant.
  const servicePrincipal = pairwiseSubject(input.caller.clientId, input.tenantId);
  const claims: Record<string, unknown> = {
    aud: input.resource.clientId,
    iss: `${input.issuerOrigin}/${input.tenantId}/v2.0`,
    iat: now,
    nbf: now,
    exp: now + ACCESS_TOKEN_LIFETIME_S,
    azp: input.caller.clientId,
    azpacr: '1',
    idtyp: 'app',
    oid: servicePrincipal,
    sub: servicePrincipal,
    tid: input.tenantId,
    uti: randomUUID().replace(/-/g, ''),
    ver: '2.0',
    ...(roles.length ? { roles } : {}),
  };
  return { token: await identityStore(state).key.sign(claims), expiresIn: ACCESS_TOKEN_LIFETIME_S };
}
