// The page an administrator sees while Entra propagates a tenant consent: what happened, that it is fine
// to wait, which permissions are already in the app's token and which are not yet. It checks again by itself.
import type { HttpResponseInit } from '@azure/functions';
import { escapeHtml, selfRefreshingPage } from '../http/html.js';
import { CONSENT_PROPAGATING, type TenantConsentOutcome } from './tenant-consent.js';

export function consentWaitingPage(outcome: Extract<TenantConsentOutcome, { kind: 'waiting' }>): HttpResponseInit {
  const list = (roles: string[]) => (roles.length ? roles.map((r) => `<code>${escapeHtml(r)}</code>`).join(', ') : 'none yet');
  const seconds = Math.round(outcome.afterMs / 1000);
  const body = `<h1>Consent recorded: waiting for Microsoft</h1>
<p role="status">Your consent was recorded. Microsoft takes a few minutes to make the permissions it granted
available to this app. Keep this page open: it checks again by itself in ${seconds} seconds and takes you back
to the application as soon as they are there.</p>
<p class="hint">Available: ${list(outcome.granted)}. Still waiting for: ${list(outcome.missing)}.</p>
<p class="hint">Reference: <code>${CONSENT_PROPAGATING}</code></p>`;
  return selfRefreshingPage('Waiting for Microsoft', body, { url: outcome.checkUrl, afterSeconds: seconds });
}
