// Problem details (RFC 9457) with a stable machine-readable `code` and, for input errors, the field at fault.
// Status and title come from the code's entry in the catalogue.
import type { HttpResponseInit } from '@azure/functions';
import type { AppError, AppErrorOptions } from '../errors/app-error.js';
import { problemType, type ProblemCode } from '../errors/catalogue.js';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  field?: string;
  [extension: string]: unknown;
}

export function problemBody(code: ProblemCode, detail?: string, field?: string, extra: Record<string, unknown> = {}): ProblemBody {
  const { status, title } = problemType(code);
  const body: ProblemBody = { ...extra, type: `urn:calendar-bridge:problem:${code}`, title, status, code };
  if (detail !== undefined) body.detail = detail;
  if (field !== undefined) body.field = field;
  return body;
}

export function problem(code: ProblemCode, detail?: string, options: Omit<AppErrorOptions, 'cause'> = {}): HttpResponseInit {
  return {
    status: problemType(code).status,
    headers: { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store', ...options.headers },
    body: JSON.stringify(problemBody(code, detail, options.field, options.extra)),
  };
}

export function problemFromError(error: AppError): HttpResponseInit {
  return problem(error.code, error.message, error.options);
}
