// Failures of the app's OWN Entra credential (expired or wrong secret or certificate, no matching federated
// credential, wrong client id, managed identity unavailable) are an operator's problem, not a user's: no
// connection is marked needs_reauth for them. Each one is logged, counted in the metric
// calendar_bridge.entra.credential_failures (an alert rule watches it) and shown by /api/health until the
// next success. Error codes: https://learn.microsoft.com/entra/identity-platform/reference-error-codes
import type { AuthError } from '@azure/msal-node';
import { AppError } from '../errors/app-error.js';
import { describeError } from '../logging.js';
import { countEntraCredentialFailure } from '../telemetry/metrics.js';
import { msalIfLoaded } from './msal-sdk.js';

/** The credential could not be produced or Entra refused it. `reason` is a short code, safe to show. */
export class EntraCredentialError extends AppError {
  constructor(
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super('entra_credential_failing', "The app's own Entra credential is failing; an operator must fix it. Connections are not affected.", options);
  }
}

/**
 * AADSTS codes that mean Entra refused the client itself, not the user's grant:
 *   7000215 invalid secret, 7000222 expired secret, 7000218 no credential sent, 700016 no such application,
 *   700027 certificate or assertion signature not valid / key not registered, 700024 assertion outside its
 *   valid time range, 70021 no matching federated identity record, 700211/700212/700213 federated issuer,
 *   audience or subject mismatch, 7000112 application disabled.
 */
const CLIENT_CREDENTIAL_CODES = /\bAADSTS(7000215|7000222|7000218|700016|700027|700024|70021|700211|700212|700213|7000112)\b/;

export interface CredentialFailureContext {
  /**
   * App-only tokens for a customer's tenant: there, "application not found in the directory"
   * (unauthorized_client, AADSTS700016) means that tenant never consented, not a wrong client id.
   */
  customerTenant?: boolean;
}

/** True when the error is about the app's credential rather than the user's grant or a tenant's consent. */
export function isEntraCredentialFailure(error: unknown, context: CredentialFailureContext = {}): boolean {
  if (error instanceof EntraCredentialError) return true;
  const msal = msalIfLoaded();
  if (!msal || !(error instanceof msal.AuthError)) return false;
  const text = `${error.errorMessage} ${error.message}`;
  if (context.customerTenant && (error.errorCode === 'unauthorized_client' || /\bAADSTS700016\b/.test(text))) return false;
  if (error.errorCode === 'invalid_client' || error.errorCode === 'unauthorized_client') return true;
  return CLIENT_CREDENTIAL_CODES.test(text);
}

/** A short code for the failure: the AADSTS number, the OAuth error, or the EntraCredentialError reason. */
export function credentialFailureCode(error: unknown): string {
  if (error instanceof EntraCredentialError) return error.reason;
  const e = error as AuthError;
  const aadsts = /\bAADSTS(\d+)\b/.exec(`${e.errorMessage ?? ''} ${e.message ?? ''}`)?.[1];
  return aadsts ? `AADSTS${aadsts}` : (e.errorCode ?? 'error');
}

export interface EntraCredentialStatus {
  ok: boolean;
  /** Code of the last failure, while failing. */
  error?: string;
  failingSince?: Date;
  lastSuccessAt?: Date;
}

const state: { failingSince?: Date; error?: string; lastSuccessAt?: Date } = {};

/** Records a failure of the app's credential and returns the typed error to throw. */
export function recordEntraCredentialFailure(error: unknown): EntraCredentialError {
  const code = credentialFailureCode(error);
  state.failingSince ??= new Date();
  state.error = code;
  countEntraCredentialFailure(code);
  console.error(`entra credential failing (${code}): an operator must fix the app's credential: ${describeError(error)}`);
  return error instanceof EntraCredentialError ? error : new EntraCredentialError(code, { cause: error });
}

/** Records that Entra accepted the app's credential. */
export function recordEntraCredentialSuccess(): void {
  state.failingSince = undefined;
  state.error = undefined;
  state.lastSuccessAt = new Date();
}

/** As seen by this instance: failing from a failure until the next success. */
export function entraCredentialStatus(): EntraCredentialStatus {
  return state.failingSince
    ? { ok: false, error: state.error, failingSince: state.failingSince, lastSuccessAt: state.lastSuccessAt }
    : { ok: true, lastSuccessAt: state.lastSuccessAt };
}

/**
 * Runs one MSAL token request, recording what it says about the app's credential: a failure of the
 * credential becomes an EntraCredentialError; an answer Entra gave (not one from MSAL's cache) is a success.
 */
export async function withEntraCredential<T extends { fromCache?: boolean } | null>(request: () => Promise<T>, context: CredentialFailureContext = {}): Promise<T> {
  try {
    const result = await request();
    if (result && !result.fromCache) recordEntraCredentialSuccess();
    return result;
  } catch (error) {
    if (isEntraCredentialFailure(error, context)) throw recordEntraCredentialFailure(error);
    throw error;
  }
}
