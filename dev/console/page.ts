// The console's pages: complete HTML documents with a strict CSP. Unlike the connect pages (no script at
// all), the console loads one same-origin script and one same-origin stylesheet, and nothing inline.
import type { HttpResponseInit } from '@azure/functions';
import { escapeHtml } from '../../shared/http/html.js';
import { CONSOLE_PATH } from './paths.js';

export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function consoleHeaders(contentType = 'text/html; charset=utf-8'): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': CONSOLE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    // Not no-referrer: with it Chromium sends `Origin: null` on form posts, and the actions check Origin.
    'Referrer-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

export function consolePage(title: string, body: string, options: { liveUrl?: string; status?: number } = {}): HttpResponseInit {
  const live = options.liveUrl ? ` data-live-url="${escapeHtml(options.liveUrl)}"` : '';
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${CONSOLE_PATH}/assets/console.css">
<script src="${CONSOLE_PATH}/assets/console.js" defer></script></head>
<body${live}>${body}</body></html>`;
  return { status: options.status ?? 200, headers: consoleHeaders(), body: html };
}

/** A fragment of live regions (read by console.js); never a page of its own. */
export function consoleFragment(body: string): HttpResponseInit {
  return { status: 200, headers: consoleHeaders(), body: `<!doctype html><html lang="en"><head><title>live</title></head><body>${body}</body></html>` };
}
