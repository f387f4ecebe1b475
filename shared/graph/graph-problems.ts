// Graph failures as the booking-system API answers them: throttling beyond our retries -> 503 with
// Retry-After; Graph 5xx -> 502; no answer in time -> 504; Graph refusing what we sent -> 422.
// AppErrors (needs_reauth, pause, ...) pass through unchanged.
import { GraphError } from '@microsoft/microsoft-graph-client';
import { AppError, isAppError } from '../errors/app-error.js';
import { categorizeGraphError, isMailboxNotSupported, retryAfterSeconds } from './client.js';
import { itemError, type BatchItemResult } from './batch.js';
import type { ProblemCode } from '../errors/catalogue.js';

const DEFAULT_RETRY_AFTER_SECONDS = 30;

/** True for a request that ran out of time or lost its connection: Graph may or may not have acted on it. */
export function isGraphTimeout(error: unknown): boolean {
  const e = error as { name?: string; code?: string; cause?: unknown } | undefined;
  if (!e) return false;
  // The Graph client wraps fetch failures in a GraphError (status -1) whose code is the original error's name.
  const names = [e.name, e.code];
  if (names.includes('AbortError') || names.includes('TimeoutError')) return true;
  if (['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'].includes(e.code ?? '')) return true;
  if (names.includes('TypeError') && /fetch failed|terminated|socket/i.test(String((error as Error).message))) return true;
  return e.cause !== undefined && e.cause !== error && isGraphTimeout(e.cause);
}

/** The HTTP status Graph answered with, if it answered. */
export function graphStatus(error: unknown): number | undefined {
  if (error instanceof GraphError) return error.statusCode;
  const status = (error as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** True when Graph answered with a status (so it decided, one way or the other). */
export function isGraphAnswer(error: unknown): boolean {
  const status = graphStatus(error);
  return status !== undefined && status > 0;
}

export function throttledProblem(retryAfter: number | undefined): AppError {
  return new AppError('graph_throttled', 'Microsoft Graph is throttling requests for this calendar; retry later.', {
    headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfter ?? DEFAULT_RETRY_AFTER_SECONDS))) },
  });
}

/** The API's answer to a Graph failure. */
export function graphProblem(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (isMailboxNotSupported(error)) {
    return new AppError('mailbox_not_supported', "The connected person's mailbox is not in Exchange Online; Microsoft Graph cannot reach it.", { cause: error });
  }
  if (isGraphTimeout(error) && !isGraphAnswer(error)) {
    return new AppError('graph_timeout', 'Microsoft Graph did not answer in time; retry the request.', { headers: { 'Retry-After': '5' }, cause: error });
  }
  const status = graphStatus(error) ?? 0;
  const category = categorizeGraphError(error);
  const code = String((error as { code?: unknown })?.code ?? '');
  if (category === 'throttled' || (status === 503 && retryAfterSeconds(error) !== undefined)) {
    const problem = throttledProblem(retryAfterSeconds(error));
    return new AppError(problem.code, problem.message, { ...problem.options, cause: error });
  }
  if (category === 'bad_request' && status !== 400) {
    // 401/403 after a token refresh and odd 4xx: Graph refuses the calendar itself.
    return new AppError('graph_refused', `Microsoft Graph refused the request (${status} ${code}).`, { cause: error });
  }
  if (category === 'bad_request' || status === 400) {
    return new AppError('graph_rejected', `Microsoft Graph rejected the request: ${safeMessage(error)}`, { extra: { graphCode: code }, cause: error });
  }
  if (category === 'auth') return new AppError('graph_refused', `Microsoft Graph refused access (${status} ${code}).`, { cause: error });
  return new AppError('graph_error', `Microsoft Graph failed (${[status || 'no status', code].filter(Boolean).join(' ')}).`, { cause: error });
}

/** The API's answer to a failed $batch item (after the batch's own retries). */
export function batchItemProblem(result: BatchItemResult): AppError {
  const { code, message } = itemError(result);
  const error = Object.assign(new Error(message), { statusCode: result.status, code, headers: new Headers(filterHeaders(result.headers)) });
  return graphProblem(error);
}

function filterHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([, v]) => typeof v === 'string'));
}

/** Graph's message without anything that could carry a token or a URL with one. */
function safeMessage(error: unknown): string {
  const message = String((error as { message?: unknown })?.message ?? '').slice(0, 300);
  return message.replace(/https?:\/\/\S+/g, '<url>').replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, '<token>');
}

/** What a call that reaches Microsoft Graph can answer after the client's own retries (and the app's own Entra credential refused). */
export const GRAPH_PROBLEMS: readonly ProblemCode[] = [
  'graph_throttled',
  'graph_error',
  'graph_refused',
  'graph_rejected',
  'graph_timeout',
  'mailbox_not_supported',
  'entra_credential_failing',
];
