// The one place where errors become HTTP responses. Handlers throw AppError; everything else is logged
// once (redacted) and becomes a problem response without internals.
import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type * as z from 'zod';
import { AppError, isAppError } from '../errors/app-error.js';
import { problem, problemFromError } from './problem.js';
import { describeError } from '../logging.js';
import { withTelemetryIds, type TelemetryIds } from '../telemetry/tracing.js';

/** Storage and network failures that mean "a dependency is down", answered with 503 rather than 500. */
export function isDependencyOutage(error: unknown): boolean {
  const e = error as { name?: string; code?: string; statusCode?: number; cause?: unknown } | undefined;
  if (!e) return false;
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'REQUEST_SEND_ERROR'].includes(e.code ?? '')) return true;
  if (e.name === 'RestError' && (e.statusCode === undefined || e.statusCode >= 500)) return true;
  return e.cause !== undefined && e.cause !== error && isDependencyOutage(e.cause);
}

export function toErrorResponse(error: unknown, context: InvocationContext): HttpResponseInit {
  if (isAppError(error)) return problemFromError(error);
  if (isDependencyOutage(error)) {
    context.warn(`dependency unavailable: ${describeError(error)}`);
    return problem('dependency_unavailable', 'A storage or identity dependency did not answer in time; retry later.', {
      headers: { 'Retry-After': '5' },
    });
  }
  context.error(`unhandled error: ${describeError(error)}`);
  return problem('internal_error', 'An unexpected error occurred.');
}

export function httpHandler(fn: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>): HttpHandler {
  return async (request, context) => {
    try {
      return await withTelemetryIds(idsInPath(request.url), () => fn(request, context));
    } catch (error) {
      return toErrorResponse(error, context);
    }
  };
}

/** The connection or booking a resource path names (/api/connections/{id}..., /api/bookings/{id}...), for spans. */
function idsInPath(url: string): TelemetryIds {
  const match = /\/api\/(connections|bookings)\/([^/?#]{1,200})/.exec(url);
  if (!match) return {};
  let id = match[2]!;
  try {
    id = decodeURIComponent(id);
  } catch {
    // A malformed escape: the raw segment is the id as far as telemetry goes (the handler answers 4xx).
  }
  return match[1] === 'connections' ? { connectionId: id } : { bookingId: id };
}

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** One decoder for every request: without `stream` a decode keeps no state, and making one per request shows in a profile. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Reads a JSON body, enforcing content type and size, and validates it against a schema. */
export async function readJson<S extends z.ZodType>(
  request: HttpRequest,
  schema: S,
  maxBytes = DEFAULT_MAX_BODY_BYTES,
): Promise<z.infer<S>> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new AppError('unsupported_media_type', 'The body must be application/json.', { field: 'content-type' });
  }
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new AppError('body_too_large', `The body must be at most ${maxBytes} bytes.`);
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > maxBytes) throw new AppError('body_too_large', `The body must be at most ${maxBytes} bytes.`);
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new AppError('invalid_json', 'The body is not valid UTF-8.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError('invalid_json', 'The body is not valid JSON.');
  }
  return parseWith(schema, value);
}

/** True when the request carries a body: a positive Content-Length, or a chunked one. */
export function hasRequestBody(request: HttpRequest): boolean {
  return Number(request.headers.get('content-length') ?? '0') > 0 || request.headers.has('transfer-encoding');
}

/** readJson for endpoints whose body is optional: undefined when there is none. */
export async function readOptionalJson<S extends z.ZodType>(
  request: HttpRequest,
  schema: S,
  maxBytes = DEFAULT_MAX_BODY_BYTES,
): Promise<z.infer<S> | undefined> {
  return hasRequestBody(request) ? readJson(request, schema, maxBytes) : undefined;
}

/** Validates a value (body, query or params) and names the first field at fault. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, fieldPrefix = ''): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = closestIssue(result.error.issues[0]!);
  // An unknown key is reported on its parent object: name the key itself, that is the field at fault.
  const path = issue.code === 'unrecognized_keys' && issue.keys.length > 0 ? [...issue.path, issue.keys[0]!] : issue.path;
  // An empty key is still a key: show it as "" rather than dropping it.
  const segments = path.map((segment) => (segment === '' ? '""' : String(segment)));
  const field = [fieldPrefix, ...segments].filter((segment) => segment !== '').join('.') || undefined;
  throw new AppError('invalid_field', field ? `${field}: ${issue.message}` : issue.message, { field });
}

/**
 * A union that no option accepts reports one issue for all of them: report instead the first issue of the
 * option the value came closest to (fewest issues; the first option on a tie), which names a field.
 */
function closestIssue(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  const closest = issue.errors.reduce((best, option) => (option.length < best.length ? option : best));
  const first = closest[0];
  return first ? closestIssue({ ...first, path: [...issue.path, ...first.path] }) : issue;
}
