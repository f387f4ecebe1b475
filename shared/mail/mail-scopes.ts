// Which permissions a client's connections ask for, and whether a connection holds them. Mail is opt-in
// per client (clients.mailEnabled, clients.legacyProtocols). Graph scopes go in the authorize and token
// requests; the Outlook resource's scopes (SMTP AUTH, IMAP and POP over XOAUTH2) are only consented at
// authorize time (MSAL's extraScopesToConsent), because one token request may name one resource only:
// Outlook tokens are later redeemed from the same refresh token with the Outlook scopes alone.
import { GRAPH_SCOPES } from '../auth/entra-credentials.js';
import type { ClientEntity } from '../store/repositories/clients.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';

export const MAIL_SEND_SCOPE = 'Mail.Send';
/** Lets the app check that the user can open a shared mailbox before handing out an IMAP/SMTP token for it. */
export const SHARED_MAILBOX_CHECK_SCOPE = 'Mail.ReadBasic.Shared';
/** The public cloud's Outlook resource; a deployment's own is `config.cloud.outlookResource` (shared/cloud.ts). */
export const OUTLOOK_RESOURCE = 'https://outlook.office.com';

export const MAIL_PROTOCOLS = ['smtp', 'imap', 'pop'] as const;
export type MailProtocol = (typeof MAIL_PROTOCOLS)[number];

// The permission each protocol's XOAUTH2 token carries
// (https://learn.microsoft.com/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth#get-an-access-token).
const PROTOCOL_PERMISSIONS: Record<MailProtocol, string> = { smtp: 'SMTP.Send', imap: 'IMAP.AccessAsUser.All', pop: 'POP.AccessAsUser.All' };

/** The qualified scope of a protocol on the cloud's Outlook resource (https://outlook.office.com/POP.AccessAsUser.All). */
export function protocolScope(protocol: MailProtocol, outlookResource = OUTLOOK_RESOURCE): string {
  return `${outlookResource}/${PROTOCOL_PERMISSIONS[protocol]}`;
}

export type MailSettings = Pick<ClientEntity, 'mailEnabled' | 'legacyProtocols'>;

export interface ConsentScopes {
  /** Graph scopes beyond GRAPH_SCOPES, requested at authorize and in token requests. */
  graph: string[];
  /** Outlook resource scopes, consented at authorize only. */
  outlook: string[];
}

/** The extra scopes a client's connect links ask for (Outlook scopes on the cloud's Outlook resource). */
export function mailConsentScopes(client: MailSettings, outlookResource = OUTLOOK_RESOURCE): ConsentScopes {
  if (!client.mailEnabled) return { graph: [], outlook: [] };
  if (!client.legacyProtocols) return { graph: [MAIL_SEND_SCOPE], outlook: [] };
  return { graph: [MAIL_SEND_SCOPE, SHARED_MAILBOX_CHECK_SCOPE], outlook: MAIL_PROTOCOLS.map((p) => protocolScope(p, outlookResource)) };
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
