// The console's HTTP plumbing: the services for each route, the session cookie, same-origin checks on form
// posts, and one canonical origin (the connect flow returns to PUBLIC_BASE_URL, so the session cookie must
// live there).
import type { Cookie, HttpRequest, HttpResponseInit } from '@azure/functions';
import { cookieValue } from '../../shared/http/cookies.js';
import { describeError } from '../../shared/logging.js';
import { isAppError } from '../../shared/errors/app-error.js';
import { getServices, type Services } from '../../shared/services.js';
import { BridgeApiError } from '../bridge-client.js';
import { emptySession, loadSession, saveSession, SESSION_COOKIE, type ConsoleSession } from './session-store.js';

const SESSION_DAYS = 7;

export const notFound = (): HttpResponseInit => ({ status: 404, headers: { 'Cache-Control': 'no-store' } });

/** A console route's handler, given the process's services. */
export function withServices(
  fn: (request: HttpRequest, services: Services) => Promise<HttpResponseInit>,
): (request: HttpRequest) => Promise<HttpResponseInit> {
  return (request) => fn(request, getServices());
}

export function sessionCookie(session: ConsoleSession): Cookie {
  return { name: SESSION_COOKIE, value: session.rowKey, path: '/api/console', httpOnly: true, sameSite: 'Lax', maxAge: SESSION_DAYS * 86_400 };
}

/** The browser's session, created (and saved) when it has none. */
export async function sessionOf(services: Services, request: HttpRequest): Promise<{ session: ConsoleSession; isNew: boolean }> {
  const found = await loadSession(services, cookieValue(request, SESSION_COOKIE));
  if (found) return { session: found, isNew: false };
  const session = emptySession();
  await saveSession(services, session);
  return { session, isNew: true };
}

/** A redirect to the same path on PUBLIC_BASE_URL's origin when the browser used another (127.0.0.1 vs localhost). */
export function canonicalRedirect(services: Services, request: HttpRequest): HttpResponseInit | undefined {
  const wanted = new URL(services.config.publicBaseUrl).origin;
  const url = new URL(request.url);
  if (url.origin === wanted) return undefined;
  return { status: 302, headers: { Location: `${wanted}${url.pathname}${url.search}`, 'Cache-Control': 'no-store' } };
}

/** Form posts must come from the console's own pages. */
export function sameOrigin(request: HttpRequest): boolean {
  const origin = request.headers.get('origin');
  return origin === null || origin === new URL(request.url).origin;
}

/** What the page says when an action failed: the API's problem, or a short description. */
export function failureText(error: unknown): string {
  if (error instanceof BridgeApiError || isAppError(error)) return error.message;
  return `Something failed: ${describeError(error)}`;
}
