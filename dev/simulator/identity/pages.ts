// Server-rendered pages of the simulated sign-in: plain HTML forms with labels, no external assets,
// so both people and browser tests can drive them.
// What they stand in for: https://learn.microsoft.com/en-us/entra/identity-platform/application-consent-experience
import type { SimResponse } from '../router.js';
import type { SimUser } from '../state.js';
import { SCOPE_DESCRIPTIONS } from './scopes.js';

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#f2f2f2;margin:0}
main{max-width:440px;margin:48px auto;background:#fff;padding:32px 40px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:1.4rem;font-weight:600}fieldset{border:0;padding:0}label{display:block;padding:8px 0;cursor:pointer}
button{padding:6px 20px;margin:16px 8px 0 0;font-size:1rem}.primary{background:#0067b8;color:#fff;border:0}
.muted{color:#555;font-size:.9rem}.error{color:#a4262c}code{word-break:break-all}`;

function page(title: string, body: string, status = 200, headers: Record<string, string> = {}): SimResponse {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><main><p class="muted">Microsoft 365 simulator</p>${body}</main></body></html>`;
  return {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'X-Frame-Options': 'DENY', ...headers },
    body: html,
  };
}

function hidden(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
}

export function signInPage(input: { action: string; flowId: string; appName: string; users: SimUser[]; preselectId?: string }): SimResponse {
  const options = input.users
    .map((u, i) => {
      const checked = input.preselectId ? u.id === input.preselectId : i === 0;
      return `<label><input type="radio" name="user" value="${escapeHtml(u.id)}"${checked ? ' checked' : ''}> ${escapeHtml(u.displayName)} <span class="muted">${escapeHtml(u.userPrincipalName)}</span></label>`;
    })
    .join('\n');
  const body = input.users.length
    ? `<form method="post" action="${escapeHtml(input.action)}">${hidden({ flow: input.flowId, step: 'signin' })}
<fieldset><legend>Pick an account</legend>${options}</fieldset>
<button class="primary" type="submit">Sign in</button></form>`
    : `<p class="error">There are no accounts in this directory that can sign in.</p>`;
  return page('Sign in to your account', `<h1>Sign in</h1><p>to continue to <strong>${escapeHtml(input.appName)}</strong></p>${body}`);
}

export function consentPage(input: { action: string; flowId: string; appName: string; user: SimUser; permissions: string[] }): SimResponse {
  const items = input.permissions
    .map((p) => `<li>${escapeHtml(SCOPE_DESCRIPTIONS[p] ?? p)} <span class="muted">(${escapeHtml(p)})</span></li>`)
    .join('');
  return page(
    'Permissions requested',
    `<p class="muted">${escapeHtml(input.user.userPrincipalName)}</p><h1>Permissions requested</h1>
<p><strong>${escapeHtml(input.appName)}</strong> would like to:</p><ul>${items}</ul>
<form method="post" action="${escapeHtml(input.action)}">${hidden({ flow: input.flowId, step: 'consent' })}
<button class="primary" type="submit" name="decision" value="accept">Accept</button>
<button type="submit" name="decision" value="cancel">Cancel</button></form>`,
  );
}

export function adminConsentPage(input: { action: string; fields: Record<string, string>; appName: string; tenantName: string; admins: SimUser[]; roles: string[] }): SimResponse {
  const admins = input.admins
    .map((u, i) => `<label><input type="radio" name="user" value="${escapeHtml(u.id)}"${i === 0 ? ' checked' : ''}> ${escapeHtml(u.displayName)} <span class="muted">${escapeHtml(u.userPrincipalName)}</span></label>`)
    .join('\n');
  return page(
    'Permissions requested - Accept for your organization',
    `<h1>Permissions requested</h1><p><strong>${escapeHtml(input.appName)}</strong> needs permission to access resources in <strong>${escapeHtml(input.tenantName)}</strong> that only an admin can grant. If you accept, it will have access to:</p>
<ul>${input.roles.map((r) => `<li>${escapeHtml(r)} (application)</li>`).join('')}</ul>
<form method="post" action="${escapeHtml(input.action)}">${hidden(input.fields)}
<fieldset><legend>Administrator</legend>${admins}</fieldset>
<button class="primary" type="submit" name="decision" value="accept">Accept</button>
<button type="submit" name="decision" value="cancel">Cancel</button></form>`,
  );
}

/** The dead-end error page: used when the request cannot be trusted to go back to a redirect URI. */
export function errorPage(input: { aadsts: number; message: string; correlationId: string; timestamp: string }): SimResponse {
  return page(
    'Sign in error',
    `<h1>Sorry, but we’re having trouble signing you in.</h1>
<p class="error" role="alert">AADSTS${input.aadsts}: ${escapeHtml(input.message)}</p>
<p class="muted">Correlation ID: <code>${escapeHtml(input.correlationId)}</code><br>Timestamp: ${escapeHtml(input.timestamp)}</p>`,
    400,
  );
}

/** response_mode=form_post: a self-submitting form to the redirect URI. */
export function formPostPage(redirectUri: string, fields: Record<string, string>): SimResponse {
  return page(
    'Working...',
    `<form method="post" name="hiddenform" action="${escapeHtml(redirectUri)}">${hidden(fields)}
<noscript><p>Script is disabled. Click Submit to continue.</p></noscript><button type="submit">Submit</button></form>
<script>document.forms[0].submit()</script>`,
  );
}
