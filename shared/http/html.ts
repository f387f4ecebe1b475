// Server-rendered HTML for the browser routes (connect, callback, picker): escaped text, no scripts, no
// external assets, and security headers on every page.
import { problemStatus, type ProblemCode } from '../errors/catalogue.js';
import type { HttpResponseInit } from '@azure/functions';

/** No scripts at all; the one inline <style> element is allowed by a per-response nonce. */
export function securityHeaders(styleNonce?: string, formTargets: readonly string[] = []): Record<string, string> {
  const style = styleNonce ? `style-src 'nonce-${styleNonce}'` : "style-src 'none'";
  // form-action also governs where a form's response may redirect (the picker goes on to the return URL).
  const formAction = ["'self'", ...formTargets].join(' ');
  return {
    'Content-Security-Policy': `default-src 'none'; ${style}; img-src 'none'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#f5f5f5;margin:0;color:#1b1b1b}
main{max-width:520px;margin:40px auto;background:#fff;padding:28px 36px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.2)}
h1{font-size:1.4rem}fieldset{border:1px solid #ccc;border-radius:4px;margin:16px 0;padding:8px 16px}
legend{font-weight:600;padding:0 4px}label{display:block;padding:6px 0}.hint{color:#555;font-size:.9rem}
.error{color:#a4262c}button{margin-top:12px;padding:8px 22px;font-size:1rem;background:#0067b8;color:#fff;border:0;border-radius:3px}
button:focus,input:focus,select:focus{outline:3px solid #ffb900;outline-offset:2px}code{word-break:break-all}`;

/** A complete page. `body` must already be escaped HTML; `formTargets` are origins its form may lead to. */
export function htmlPage(title: string, body: string, status = 200, formTargets: readonly string[] = [], head = ''): HttpResponseInit {
  const nonce = randomNonce();
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">${head}<style nonce="${nonce}">${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
  return { status, headers: { 'Content-Type': 'text/html; charset=utf-8', ...securityHeaders(nonce, formTargets) }, body: html };
}

/** A page that opens `url` by itself after `afterSeconds` (a meta refresh: no script), and links to it. */
export function selfRefreshingPage(title: string, body: string, refresh: { url: string; afterSeconds: number }, status = 202): HttpResponseInit {
  const url = escapeHtml(refresh.url);
  const head = `<meta http-equiv="refresh" content="${Math.max(1, Math.round(refresh.afterSeconds))}; url=${url}">`;
  return htmlPage(title, `${body}\n<p><a href="${url}">Check now</a></p>`, status, [], head);
}

/**
 * The dead end of a browser flow: says what happened and what to do, never internals. With `backUrl` (the
 * booking system's return URL carrying the error code) the person gets a link back instead of a redirect.
 */
/** `final`: starting again would end the same way, so the page does not suggest it. */
export function errorPage(code: ProblemCode, message: string, backUrl?: string, final = false): HttpResponseInit {
  const again = final ? '' : ' and start again';
  const back = backUrl
    ? `<p><a href="${escapeHtml(backUrl)}">Go back to the application</a>${again}. Reference: <code>${escapeHtml(code)}</code></p>`
    : `<p class="hint">Go back to the application you came from${again}. Reference: <code>${escapeHtml(code)}</code></p>`;
  return htmlPage('Could not connect your calendar', `<h1>Could not connect your calendar</h1><p class="error" role="alert">${escapeHtml(message)}</p>\n${back}`, problemStatus(code));
}

/** A redirect from a browser route, with the same headers as the pages. */
export function redirect(location: string, status = 302): HttpResponseInit {
  return { status, headers: { Location: location, ...securityHeaders() } };
}

function randomNonce(): string {
  return globalThis.crypto.randomUUID().replace(/-/g, '');
}
