// Client authentication at the token endpoint, as Entra does it: a client secret (in the body or as HTTP
// Basic), or a signed JWT client assertion, which is either
//   - the app's own assertion signed with a registered certificate's private key (iss = sub = client id,
//     aud = the token endpoint, exp, jti, x5t#S256 or x5t header):
//     https://learn.microsoft.com/entra/identity-platform/certificate-credentials
//   - a token of another issuer the app trusts through a federated identity credential (issuer and subject
//     must match a record exactly, aud one of its audiences), such as a managed identity's token for
//     api://AzureADTokenExchange:
//     https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity
//     https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#third-case-access-token-request-with-a-federated-credential
// Refusals carry the AADSTS codes of https://learn.microsoft.com/entra/identity-platform/reference-error-codes
import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importX509, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import type { SimRequest } from '../router.js';
import type { SimApp, SimState } from '../state.js';
import { applicationNotFound, IdentityError, missingParameter } from './errors.js';
import { header } from './http.js';
import { identityStore } from './store.js';

export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The app the request authenticates as; throws the platform's refusal otherwise. */
export async function authenticateClient(state: SimState, req: SimRequest, form: URLSearchParams, tokenEndpoint: string): Promise<SimApp> {
  const basic = basicCredentials(header(req, 'authorization'));
  const clientId = form.get('client_id') ?? basic?.id;
  if (!clientId) throw missingParameter('client_id');
  const app = state.directory.apps.get(clientId);
  if (!app) throw applicationNotFound(clientId);
  const assertion = form.get('client_assertion');
  if (assertion) {
    if (form.get('client_assertion_type') !== JWT_BEARER_ASSERTION_TYPE)
      throw new IdentityError('invalid_request', 700025, `client_assertion_type must be '${JWT_BEARER_ASSERTION_TYPE}'.`);
    await verifyAssertion(state, app, assertion, tokenEndpoint);
    return app;
  }
  const secret = form.get('client_secret') ?? basic?.secret;
  if (!secret) throw new IdentityError('invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  if (!sameSecret(secret, app.clientSecret))
    throw new IdentityError(
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    );
  if (app.clientSecretExpiresAt !== undefined && state.clock.now() >= app.clientSecretExpiresAt)
    throw new IdentityError('invalid_client', 7000222, `The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new keys for your app.`);
  return app;
}

async function verifyAssertion(state: SimState, app: SimApp, assertion: string, tokenEndpoint: string): Promise<void> {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(assertion);
  } catch {
    throw new IdentityError('invalid_client', 50027, 'JWT token is invalid or malformed.');
  }
  const now = state.clock.date();
  if (claims.iss === app.clientId && claims.sub === app.clientId) await verifyCertificateAssertion(app, assertion, tokenEndpoint, now);
  else await verifyFederatedAssertion(state, app, assertion, claims, now);
}

async function verifyCertificateAssertion(app: SimApp, assertion: string, tokenEndpoint: string, now: Date): Promise<void> {
  const head = decodeProtectedHeader(assertion);
  const thumbprint = head['x5t#S256'] ?? head.x5t;
  const certificate = (app.certificates ?? []).find((c) => {
    const der = new X509Certificate(c.certificatePem).raw;
    return thumbprint === createHash(head['x5t#S256'] ? 'sha256' : 'sha1').update(der).digest('base64url');
  });
  if (!certificate)
    throw new IdentityError('invalid_client', 700027, `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${String(thumbprint)}']`);
  const key = await importX509(certificate.certificatePem, head.alg === 'PS256' ? 'PS256' : 'RS256');
  await verifyJwt(assertion, key, { audience: tokenEndpoint, algorithms: ['RS256', 'PS256'] }, now);
  const claims = decodeJwt(assertion);
  if (typeof claims.jti !== 'string' || !claims.jti) throw new IdentityError('invalid_client', 700027, 'Client assertion contains no jti claim.');
}

async function verifyFederatedAssertion(state: SimState, app: SimApp, assertion: string, claims: JWTPayload, now: Date): Promise<void> {
  const records = (app.federatedCredentials ?? []).filter((f) => f.issuer === claims.iss && f.subject === claims.sub);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud ?? ''];
  const record = records.find((f) => f.audiences.some((a) => audiences.includes(a)));
  if (!record)
    throw new IdentityError(
      'invalid_client',
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${String(claims.iss)}'. Assertion Subject: '${String(claims.sub)}'. Assertion Audience: '${audiences.join(',')}'.`,
    );
  // The simulator is the only issuer it knows the keys of (managed identity tokens are its own).
  const key = identityStore(state).key;
  try {
    await key.verify(assertion, { currentDate: now });
  } catch (error) {
    throw assertionProblem(error);
  }
}

async function verifyJwt(assertion: string, key: Awaited<ReturnType<typeof importX509>>, options: { audience: string; algorithms: string[] }, now: Date): Promise<void> {
  try {
    // The assertion's times come from the client's clock (MSAL rounds them to the second); the platform allows
    // for clock skew between client and server as token validators commonly do (5 minutes).
    await jwtVerify(assertion, key, { ...options, currentDate: now, clockTolerance: 300 });
  } catch (error) {
    throw assertionProblem(error);
  }
}

function assertionProblem(error: unknown): IdentityError {
  if (error instanceof joseErrors.JWTExpired || (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf'))
    return new IdentityError('invalid_client', 700024, 'Client assertion is not within its valid time range.');
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'aud')
    return new IdentityError('invalid_client', 700027, 'Client assertion failed signature validation. The audience of the assertion is not the token endpoint.');
  return new IdentityError('invalid_client', 700027, 'Client assertion failed signature validation.');
}

function basicCredentials(authorization: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
