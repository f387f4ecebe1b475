// Binds an OAuth state to the browser that opened the connect link (RFC 9700 sections 2.1 and 4.7): the
// link's answer sets a random value in a cookie and the state row keeps only its hash; the callback
// accepts the state only from a browser that sends the same value. A Microsoft sign-in URL copied out of
// the flow and sent to someone else therefore completes nothing.
// One cookie per attempt (named after the state's hash), so several flows in one browser do not collide.
import { randomBytes } from 'node:crypto';
import type { Cookie, HttpRequest } from '@azure/functions';
import { cookieValue } from '../http/cookies.js';
import { matchesSha256, sha256Base64Url } from '../sha256.js';
import { stateHash } from '../store/repositories/oauth-states.js';

export interface BrowserBinding {
  /** Set on the response that sends the browser to Microsoft. */
  cookie: Cookie;
  /** Stored with the state. */
  hash: string;
}

/** `__Host-` where the scheme allows it (https: Secure, Path=/, no Domain), a plain name on http localhost. */
function cookieName(publicBaseUrl: string, hashOfState: string): string {
  const prefix = publicBaseUrl.startsWith('https:') ? '__Host-' : '';
  return `${prefix}cb-bind-${hashOfState.slice(0, 22)}`;
}

export function newBrowserBinding(publicBaseUrl: string, hashOfState: string, ttlMs: number): BrowserBinding {
  const value = randomBytes(32).toString('base64url');
  const cookie: Cookie = {
    name: cookieName(publicBaseUrl, hashOfState),
    value,
    path: '/',
    httpOnly: true,
    // Lax: sent on the top-level GET back from Microsoft's sign-in (a cross-site navigation), never on subrequests.
    sameSite: 'Lax',
    secure: publicBaseUrl.startsWith('https:'),
    maxAge: Math.ceil(ttlMs / 1000),
  };
  return { cookie, hash: sha256Base64Url(value) };
}

/** How the shared flow code asks whether the request comes from the browser a state row is bound to. */
export type BrowserCheck = (hashOfState: string, storedHash: string | undefined) => boolean;

/** True when the request carries the cookie whose hash the state row holds. */
export function browserMatches(request: HttpRequest, publicBaseUrl: string, hashOfState: string, storedHash: string | undefined): boolean {
  const value = cookieValue(request, cookieName(publicBaseUrl, hashOfState));
  if (!value || !storedHash) return false;
  return matchesSha256(value, storedHash);
}

/** Expires the attempt's cookie once the callback has used it. */
export function clearedBinding(publicBaseUrl: string, hashOfState: string): Cookie {
  const secure = publicBaseUrl.startsWith('https:');
  return { name: cookieName(publicBaseUrl, hashOfState), value: '', path: '/', httpOnly: true, sameSite: 'Lax', secure, maxAge: 0 };
}

/** What a callback sends back for the state it was given: the expired cookie (none for an absent or absurd state). */
export function clearedBindingsFor(publicBaseUrl: string, state: string | null): Cookie[] {
  return state && state.length <= 512 ? [clearedBinding(publicBaseUrl, stateHash(state))] : [];
}
