// Which permissions a client's connections ask for, and whether a connection holds them. Mail is opt-in
// per client (clients.mailEnabled, clients.legacyProtocols). Graph scopes go in the authorize and token
// requests; the Outlook resource's scopes (SMTP AUTH and IMAP over XOAUTH2) are only consented at
// authorize time (MSAL's extraScopesToConsent), because one token request may name one resource only:
// Outlook tokens are later redeemed from the same refresh token with the Outlook scopes alone.
import { GRAPH_SCOPES } from '../auth/entra-credentials.js';
import type { ClientEntity } from '../store/repositories/clients.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';

export const MAIL_SEND_SCOPE = 'Mail.Send';
/** Lets the app check that the user can open a shared mailbox before handing out an IMAP/SMTP token for it. */
export const SHARED_MAILBOX_CHECK_SCOPE = 'Mail.ReadBasic.Shared';
export const OUTLOOK_RESOURCE = 'https://outlook.office.com';
export const SMTP_SEND_SCOPE = `${OUTLOOK_RESOURCE}/SMTP.Send`;
export const IMAP_SCOPE = `${OUTLOOK_RESOURCE}/IMAP.AccessAsUser.All`;

export type MailProtocol = 'smtp' | 'imap';

export const PROTOCOL_SCOPES: Record<MailProtocol, string> = { smtp: SMTP_SEND_SCOPE, imap: IMAP_SCOPE };

export type MailSettings = Pick<ClientEntity, 'mailEnabled' | 'legacyProtocols'>;

export interface ConsentScopes {
  /** Graph scopes beyond GRAPH_SCOPES, requested at authorize and in token requests. */
  graph: string[];
  /** Outlook resource scopes, consented at authorize only. */
  outlook: string[];
}

/** The extra scopes a client's connect links ask for. */
export function mailConsentScopes(client: MailSettings): ConsentScopes {
  if (!client.mailEnabled) return { graph: [], outlook: [] };
  if (!client.legacyProtocols) return { graph: [MAIL_SEND_SCOPE], outlook: [] };
  return { graph: [MAIL_SEND_SCOPE, SHARED_MAILBOX_CHECK_SCOPE], outlook: [SMTP_SEND_SCOPE, IMAP_SCOPE] };
}

/** Scopes the connection's user consented to; connections made before scopes were recorded hold the base set. */
export function grantedScopes(connection: Pick<ConnectionEntity, 'grantedScopes'>): Set<string> {
  return new Set((connection.grantedScopes ?? GRAPH_SCOPES).map((s) => s.toLowerCase()));
}

/** The scopes in `needed` that the connection has not been granted. */
export function missingScopes(connection: Pick<ConnectionEntity, 'grantedScopes'>, needed: readonly string[]): string[] {
  const granted = grantedScopes(connection);
  return needed.filter((s) => !granted.has(s.toLowerCase()));
}
