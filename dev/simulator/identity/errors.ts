// The identity platform's own error shapes: token-endpoint JSON bodies and authorize redirects carry
// error, error_description ("AADSTSnnnn: ... Trace ID ... Correlation ID ... Timestamp ..."), error_codes.
import { randomUUID } from 'node:crypto';
import type { SimResponse } from '../router.js';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'invalid_resource'
  | 'access_denied'
  | 'consent_required'
  | 'login_required'
  | 'interaction_required'
  | 'invalid_tenant';

/** A refusal by the identity platform; handlers throw it and the endpoint renders it in its own way. */
export class IdentityError extends Error {
  override name = 'IdentityError';
  constructor(
    readonly error: OAuthErrorCode,
    readonly aadsts: number,
    readonly detail: string,
    readonly options: { status?: 400 | 401; suberror?: string; subcode?: string } = {},
  ) {
    super(`AADSTS${aadsts}: ${detail}`);
  }
  get status(): 400 | 401 {
    return this.options.status ?? (this.error === 'invalid_client' ? 401 : 400);
  }
}

/** No app with this client id in the directory (authorize and token endpoint alike). */
export const applicationNotFound = (clientId: string): IdentityError =>
  new IdentityError(
    'unauthorized_client',
    700016,
    `Application with identifier '${clientId}' was not found in the directory. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
  );

export const missingParameter = (name: string): IdentityError =>
  new IdentityError('invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`);

export const malformedRequest = (why: string): IdentityError =>
  new IdentityError('invalid_request', 9002313, `Invalid request. Request is malformed or invalid. ${why}`);

/** Entra's timestamp format in error bodies: "2024-01-09 02:02:12Z". */
export function entraTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export interface ErrorContext {
  now: number;
  correlationId?: string;
}

export function describe(error: IdentityError, ctx: ErrorContext): { description: string; traceId: string; correlationId: string; timestamp: string } {
  const traceId = randomUUID();
  const correlationId = ctx.correlationId ?? randomUUID();
  const timestamp = entraTimestamp(ctx.now);
  // Lines separated by CRLF, as in the platform's own samples:
  // https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#error-response-1
  const description = `${error.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`;
  return { description, traceId, correlationId, timestamp };
}

/** The token endpoint's JSON error body. */
export function tokenErrorResponse(error: IdentityError, ctx: ErrorContext): SimResponse {
  const d = describe(error, ctx);
  return {
    status: error.status,
    headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
    body: {
      error: error.error,
      error_description: d.description,
      error_codes: [error.aadsts],
      timestamp: d.timestamp,
      trace_id: d.traceId,
      correlation_id: d.correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${error.aadsts}`,
      ...(error.options.suberror ? { suberror: error.options.suberror } : {}),
    },
  };
}
