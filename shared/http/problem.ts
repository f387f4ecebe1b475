// Problem details (RFC 9457) with a stable machine-readable `code` and, for input errors, the field at fault.
import type { HttpResponseInit } from '@azure/functions';
import type { ProblemCode } from './problem-codes.js';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  field?: string;
  [extension: string]: unknown;
}

/** A failure the caller can act on. Never put a token or secret in `message` or `extra`. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    message: string,
    readonly options: { field?: string; extra?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
  }
}

export function isAppError(error: unknown): error is AppError {
  return (error as AppError | undefined)?.name === 'AppError';
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function problemBody(status: number, code: ProblemCode, detail?: string, field?: string, extra: Record<string, unknown> = {}): ProblemBody {
  const body: ProblemBody = {
    ...extra,
    type: `urn:calendar-bridge:problem:${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
  };
  if (detail !== undefined) body.detail = detail;
  if (field !== undefined) body.field = field;
  return body;
}

export function problem(
  status: number,
  code: ProblemCode,
  detail?: string,
  options: { field?: string; extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
): HttpResponseInit {
  return {
    status,
    headers: { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store', ...options.headers },
    body: JSON.stringify(problemBody(status, code, detail, options.field, options.extra)),
  };
}

export function problemFromError(error: AppError): HttpResponseInit {
  return problem(error.status, error.code, error.message, error.options);
}
