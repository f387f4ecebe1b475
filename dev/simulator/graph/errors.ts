// Graph's error shape: {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
// Handlers throw GraphHttpError; the pipeline turns it into that body with the request's ids.
// https://learn.microsoft.com/en-us/graph/errors#error-resource-type
import type { SimResponse } from '../router.js';

export class GraphHttpError extends Error {
  override name = 'GraphHttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface RequestIds {
  requestId: string;
  clientRequestId: string;
  /** Sim-clock time of the request. */
  date: Date;
}

export function errorResponse(error: GraphHttpError, ids: RequestIds): SimResponse {
  return {
    status: error.status,
    headers: { ...error.headers, ...idHeaders(ids) },
    body: {
      error: {
        code: error.code,
        message: error.message,
        innerError: {
          // Graph writes the date without fractional seconds.
          date: ids.date.toISOString().replace(/\.\d{3}Z$/, ''),
          'request-id': ids.requestId,
          'client-request-id': ids.clientRequestId,
        },
      },
    },
  };
}

export function idHeaders(ids: RequestIds): Record<string, string> {
  return { 'request-id': ids.requestId, 'client-request-id': ids.clientRequestId };
}

// The errors that recur across handlers, with Graph's own codes and wording.
export const badRequest = (message: string, code = 'BadRequest') => new GraphHttpError(400, code, message);
export const itemNotFound = () =>
  new GraphHttpError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
export const accessDenied = () => new GraphHttpError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
export const invalidJson = () =>
  badRequest('Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
export const unknownProperty = (name: string, type: string) =>
  new GraphHttpError(
    400,
    'RequestBodyRead',
    `The property '${name}' does not exist on type '${type}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
  );
