// The one error type for a failure the caller can act on: it names a catalogued code, and the code's
// status comes from the catalogue (./catalogue.ts), so every layer can throw it without knowing HTTP.
import { problemStatus, type ProblemCode } from './catalogue.js';

export interface AppErrorOptions {
  /** The request field at fault (`field` of the problem body). */
  field?: string;
  /** More members of the problem body (`connectUrl`, `current`, ...). */
  extra?: Record<string, unknown>;
  /** Response headers (`Retry-After`, `WWW-Authenticate`). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** A failure the caller can act on. Never put a token or secret in `message` or `extra`. */
export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  constructor(
    readonly code: ProblemCode,
    message: string,
    readonly options: AppErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.status = problemStatus(code);
  }
}

export function isAppError(error: unknown): error is AppError {
  return (error as AppError | undefined)?.name === 'AppError';
}

/** 422 work_account_required: the feature needs an organization's account, not a personal Microsoft account. */
export function workAccountRequired(field: string, detail: string): AppError {
  return new AppError('work_account_required', detail, { field });
}
