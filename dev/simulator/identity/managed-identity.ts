// The App Service / Azure Functions managed identity endpoint (IDENTITY_ENDPOINT + X-IDENTITY-HEADER,
// api-version 2019-08-01), so the real @azure/identity ManagedIdentityCredential runs against the simulator:
// https://learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference
// Tokens for api://AzureADTokenExchange are what an app registration's federated identity credential trusts:
// issuer https://<authority host>/{tenant}/v2.0, subject the identity's object (principal) id:
// https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity
import { randomUUID } from 'node:crypto';
import type { Router, SimRequest, SimResponse } from '../router.js';
import type { SimState } from '../state.js';
import { header } from './http.js';
import { identityStore } from './store.js';

export const MANAGED_IDENTITY_PATH = '/msi/token';
/** The secret the host gives the app in IDENTITY_HEADER; the simulator's is fixed (loopback only). */
export const SIMULATED_IDENTITY_HEADER = 'sim-identity-header';
/** Issuer of the simulator's managed-identity tokens, as in Entra (the host is never resolved). */
export const MANAGED_IDENTITY_ISSUER_HOST = 'https://login.simulator.test';
const LIFETIME_S = 24 * 60 * 60;

export function managedIdentityIssuer(tenantId: string): string {
  return `${MANAGED_IDENTITY_ISSUER_HOST}/${tenantId}/v2.0`;
}

export function registerManagedIdentityEndpoint(router: Router, state: SimState): void {
  router.on('GET', MANAGED_IDENTITY_PATH, (req) => token(state, req));
}

async function token(state: SimState, req: SimRequest): Promise<SimResponse> {
  if (header(req, 'x-identity-header') !== SIMULATED_IDENTITY_HEADER) return refuse(401, 'The X-IDENTITY-HEADER is missing or wrong.');
  if (req.query.get('api-version') !== '2019-08-01') return refuse(400, 'api-version must be 2019-08-01.');
  const resource = req.query.get('resource');
  if (!resource) return refuse(400, 'resource is required.');
  const clientId = req.query.get('client_id');
  const identity = clientId ? state.directory.managedIdentities.get(clientId) : [...state.directory.managedIdentities.values()][0];
  if (!identity) return refuse(400, 'No managed identity found for the given client_id.');
  const now = Math.floor(state.clock.now() / 1000);
  const accessToken = await identityStore(state).key.sign({
    aud: resource,
    iss: managedIdentityIssuer(identity.tenantId),
    sub: identity.principalId,
    oid: identity.principalId,
    azp: identity.clientId,
    tid: identity.tenantId,
    iat: now,
    nbf: now,
    exp: now + LIFETIME_S,
    uti: randomUUID().replace(/-/g, ''),
    ver: '2.0',
  });
  return {
    status: 200,
    body: { access_token: accessToken, expires_on: String(now + LIFETIME_S), resource, token_type: 'Bearer', client_id: identity.clientId },
  };
}

function refuse(status: number, message: string): SimResponse {
  return { status, body: { statusCode: status, message } };
}
