// 409 consent_missing: the connection works, but its user has not consented to what this request needs.
// The answer carries a fresh connect link: opened by the user, it asks for the client's mail scopes
// (incremental consent) and records them on the same connection.
import { createConnectLinkForReauth } from '../auth/connection-tokens.js';
import { AppError } from '../errors/app-error.js';
import { describeError } from '../logging.js';
import type { Services } from '../services.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { missingScopes } from './mail-scopes.js';

export async function consentMissingProblem(
  services: Services,
  connection: ConnectionEntity,
  scopes: readonly string[],
  /** `askFor`: Graph scopes the link itself asks for (those the client's settings do not already add). */
  options: { askFor?: string[]; detail?: string } = {},
): Promise<AppError> {
  const extra: Record<string, unknown> = { connectionId: connection.rowKey, missingScopes: [...scopes] };
  try {
    const link = await createConnectLinkForReauth(connection, services, options.askFor);
    extra.connectUrl = link.url;
    extra.connectUrlExpiresAt = link.expiresAt;
  } catch (error) {
    console.warn(`no consent link for connection ${connection.rowKey}: ${describeError(error)}`);
  }
  return new AppError('consent_missing', options.detail ?? 'The user has not consented to the mail permissions this needs; send them connectUrl to consent.', { extra });
}

/** Throws consent_missing unless the connection holds every scope in `needed`. */
export async function requireConsent(services: Services, connection: ConnectionEntity, needed: readonly string[]): Promise<void> {
  const missing = missingScopes(connection, needed);
  if (missing.length) throw await consentMissingProblem(services, connection, missing);
}

export function mailNotEnabled(): AppError {
  return new AppError('mail_not_enabled', 'Mail is not enabled for this booking system; the operator can enable it.');
}
