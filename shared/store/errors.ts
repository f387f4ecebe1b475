// Storage failures callers can act on. They stay AppErrors (name 'AppError') so the HTTP layer maps them to
// 404/409/412 problems; the subclasses let code tell them apart. Messages name the table, never a key's value.
import { AppError } from '../errors/app-error.js';
import type { ProblemCode } from '../errors/catalogue.js';

/** A 404 code for a record that is not there: `not_found`, or the table's own (`connection_not_found`). */
export type NotFoundCode = Extract<ProblemCode, 'not_found' | `${string}_not_found`>;

export class NotFoundError extends AppError {
  constructor(table: string, options: { cause?: unknown; code?: NotFoundCode } = {}) {
    super(options.code ?? 'not_found', `No such ${table} entity.`, { cause: options.cause });
  }
}

export class ConflictError extends AppError {
  constructor(table: string, options: { cause?: unknown } = {}) {
    super('already_exists', `The ${table} entity already exists.`, options);
  }
}

/** Someone else changed the entity since it was read (stale ETag). Re-read and try again. */
export class ConcurrencyError extends AppError {
  constructor(table: string, options: { cause?: unknown } = {}) {
    super('concurrent_update', `The ${table} entity was changed by someone else; re-read and retry.`, options);
  }
}

export const isNotFoundError = (e: unknown): e is NotFoundError => e instanceof NotFoundError;
export const isConflictError = (e: unknown): e is ConflictError => e instanceof ConflictError;
export const isConcurrencyError = (e: unknown): e is ConcurrencyError => e instanceof ConcurrencyError;

interface RestErrorLike {
  name?: string;
  statusCode?: number;
  code?: string;
  details?: { errorCode?: string; odataError?: { code?: string } };
}

/**
 * The Table service error code. For service errors `err.code` is undefined: the code is in
 * `details.odataError.code` (as @azure/data-tables reports it); transactions set `err.code`.
 */
export function tableErrorCode(error: unknown): string | undefined {
  const e = error as RestErrorLike | undefined;
  if (e?.name !== 'RestError') return undefined;
  return e.details?.odataError?.code ?? e.details?.errorCode ?? e.code;
}

export function tableErrorStatus(error: unknown): number | undefined {
  const e = error as RestErrorLike | undefined;
  return e?.name === 'RestError' ? e.statusCode : undefined;
}
