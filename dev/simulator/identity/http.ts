// Small request helpers shared by the identity endpoints.
// Form-encoded token requests: https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#redeem-a-code-for-an-access-token
import type { SimRequest } from '../router.js';

/** The form fields of an application/x-www-form-urlencoded body (empty for any other content type). */
export function formBody(req: SimRequest): URLSearchParams {
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/x-www-form-urlencoded')) return new URLSearchParams();
  return new URLSearchParams(req.body.toString('utf8'));
}

/**
 * The origin the caller used to reach the simulator. A client that routes a public https name to the
 * loopback server (the app's MSAL network client) says so with X-Forwarded-Host/Proto, as a reverse proxy
 * would; the issuer and endpoints then carry that name, which MSAL's issuer validation requires.
 */
export function publicOrigin(req: SimRequest, baseUrl: string): string {
  const host = header(req, 'x-forwarded-host');
  if (!host || !/^[a-z0-9.-]+(:\d+)?$/i.test(host)) return baseUrl;
  const proto = header(req, 'x-forwarded-proto') === 'http' ? 'http' : 'https';
  return `${proto}://${host.toLowerCase()}`;
}

export function header(req: SimRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function cookie(req: SimRequest, name: string): string | undefined {
  for (const part of (header(req, 'cookie') ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/** Appends parameters to a redirect URI's query (or fragment), keeping what the URI already has. */
export function withParams(uri: string, params: Record<string, string | undefined>, mode: 'query' | 'fragment'): string {
  const url = new URL(uri);
  const entries = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined);
  if (mode === 'fragment') {
    url.hash = new URLSearchParams(entries).toString();
    return url.toString();
  }
  for (const [k, v] of entries) url.searchParams.set(k, v);
  return url.toString();
}
