// Open-redirect defence for return URLs. A booking system registers origins (scheme://host[:port]); a
// returnUrl is accepted only when, parsed by the WHATWG URL parser (the browser's own), its origin equals
// one of them exactly. The raw string is also refused when it carries the tricks parsers disagree on.
import { AppError } from '../errors/app-error.js';

const MAX_URL_CHARS = 2048;

/** The canonical origin of an allow-list entry, or undefined when it is not a plain http(s) origin. */
export function canonicalOrigin(value: string): string | undefined {
  if (/[\s\\]/.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return undefined;
  if (value.replace(/\/$/, '').toLowerCase() !== url.origin) return undefined;
  return url.origin;
}

/** The parsed returnUrl when its origin is on the allow-list; a 400 naming `field` otherwise. */
export function checkReturnUrl(returnUrl: string, allowedOrigins: readonly string[], field = 'returnUrl'): URL {
  const refuse = (why: string) => new AppError('return_url_not_allowed', `${field}: ${why}`, { field });
  if (returnUrl.length > MAX_URL_CHARS) throw refuse(`must be at most ${MAX_URL_CHARS} characters`);
  // Backslashes, whitespace and control characters are "fixed up" differently by different parsers.
  // eslint-disable-next-line no-control-regex
  if (/[\\\s\u0000-\u001f\u007f]/.test(returnUrl)) throw refuse('must not contain backslashes, spaces or control characters');
  // Absolute URLs only: a scheme-relative //evil.example would inherit our scheme and leave for evil.example.
  if (!/^https?:\/\/[^/]/i.test(returnUrl)) throw refuse('must be an absolute http(s) URL');
  let url: URL;
  try {
    url = new URL(returnUrl);
  } catch {
    throw refuse('is not a valid URL');
  }
  if (url.username || url.password) throw refuse('must not contain user information');
  if (url.hash) throw refuse('must not contain a fragment');
  // Exact, case-sensitive comparison of canonical origins (the parser lowercases scheme and host).
  if (!allowedOrigins.includes(url.origin)) throw refuse(`origin ${url.origin} is not on this client's allow-list`);
  return url;
}

/** returnUrl with our result parameters added (existing parameters kept). */
export function returnUrlWith(returnUrl: string, params: Record<string, string>): string {
  const url = new URL(returnUrl);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}
