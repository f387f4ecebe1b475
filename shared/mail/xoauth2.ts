// POST /api/connections/{id}/xoauth2: what a booking system's SMTP, IMAP or POP3 client needs to sign in to
// Microsoft 365 with OAuth (SASL XOAUTH2; basic auth is retired): an access token for the Outlook resource,
// redeemed silently from the connection's refresh token, and the ready-made SASL string. A shared mailbox
// may be named; the user must be able to open it (checked with Graph first). Every issue is audited
// (never the token), and the token is never logged.
import * as z from 'zod';
import { ConsentMissingError, getAccessToken, NeedsReauthError, withConnectionGraph } from '../auth/connection-tokens.js';
import { assertWritesAllowed } from '../admin/pause.js';
import { asApiProblem, reauthProblem, requireConnection } from '../bookings/connection-access.js';
import { graphStatus } from '../graph/graph-problems.js';
import { AppError, workAccountRequired } from '../errors/app-error.js';
import { accountKindOf } from '../auth/account-kind.js';
import type { Services } from '../services.js';
import type { ClientEntity } from '../store/repositories/clients.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { xoauth2IssueRowKey } from '../store/repositories/xoauth2-issues.js';
import { consentMissingProblem, mailNotEnabled, requireConsent } from './mail-consent.js';
import { MAIL_PROTOCOLS, protocolScope, SHARED_MAILBOX_CHECK_SCOPE, type MailProtocol } from './mail-scopes.js';

export const xoauth2Schema = z.strictObject({
  protocol: z.enum(MAIL_PROTOCOLS),
  mailbox: z.email().max(254).optional(),
});

export type Xoauth2Input = z.infer<typeof xoauth2Schema>;

export const xoauth2GrantSchema = z.object({
  protocol: z.enum(MAIL_PROTOCOLS),
  user: z.string().describe('the SASL user: the connected mailbox, or the shared mailbox asked for'),
  accessToken: z.string().describe("access token for the cloud's Outlook resource (https://outlook.office.com in the public cloud); never store or log it"),
  sasl: z.string().describe('base64("user=" user ^A "auth=Bearer " accessToken ^A ^A), the XOAUTH2 initial response'),
  expiresAt: z.string(),
});

export interface Xoauth2Grant {
  protocol: MailProtocol;
  user: string;
  accessToken: string;
  sasl: string;
  expiresAt: string;
}

/** SASL XOAUTH2 initial response: base64("user=" user ^A "auth=Bearer " token ^A ^A). */
export function xoauth2Sasl(user: string, accessToken: string): string {
  return Buffer.from(`user=${user}\x01auth=Bearer ${accessToken}\x01\x01`, 'utf8').toString('base64');
}

export async function issueXoauth2(services: Services, client: ClientEntity, connectionId: string, input: Xoauth2Input): Promise<Xoauth2Grant> {
  if (!client.mailEnabled) throw mailNotEnabled();
  if (!client.legacyProtocols)
    throw new AppError('legacy_protocols_not_enabled', 'SMTP/IMAP access is not enabled for this booking system; the operator can enable it.', { field: 'protocol' });
  const connection = await requireConnection(services, client.rowKey, connectionId, 'id');
  const scope = protocolScope(input.protocol, services.config.cloud.outlookResource);
  const shared = input.mailbox && input.mailbox.toLowerCase() !== connection.upn?.toLowerCase() ? input.mailbox.toLowerCase() : undefined;
  // Shared mailboxes are an Exchange Online organization's; a personal account has none.
  if (shared && accountKindOf(connection.tenantId) === 'personal') throw workAccountRequired('mailbox', 'mailbox: a personal Microsoft account has no shared mailboxes');
  await requireConsent(services, connection, shared ? [scope, SHARED_MAILBOX_CHECK_SCOPE] : [scope]);
  await assertWritesAllowed(services, client);
  if (shared) await requireMailboxAccess(services, connection, shared);

  let token: { token: string; expiresOn?: Date };
  try {
    token = await getAccessToken(connection, { scopes: [scope] }, services);
  } catch (error) {
    if (error instanceof ConsentMissingError) throw await consentMissingProblem(services, connection, [scope]);
    if (error instanceof NeedsReauthError) throw await reauthProblem(services, error.connection, 'id');
    throw error;
  }
  const user = shared ?? connection.upn ?? '';
  const issuedAt = new Date();
  const expiresAt = token.expiresOn ?? new Date(issuedAt.getTime() + 3600_000);
  // Audited before the token is handed out: no audit row, no token.
  await services.store.xoauth2Issues.create({
    partitionKey: client.rowKey,
    rowKey: xoauth2IssueRowKey(issuedAt),
    connectionId: connection.rowKey,
    protocol: input.protocol,
    mailbox: shared,
    user,
    issuedAt,
    expiresAt,
  });
  return { protocol: input.protocol, user, accessToken: token.token, sasl: xoauth2Sasl(user, token.token), expiresAt: expiresAt.toISOString() };
}

/** 403 unless the connection's user can open the shared mailbox (Exchange decides; Graph tells us). */
async function requireMailboxAccess(services: Services, connection: ConnectionEntity, mailbox: string): Promise<void> {
  try {
    await withConnectionGraph(
      connection,
      (graph) => graph.api(`/users/${encodeURIComponent(mailbox)}/mailFolders/inbox`).select('id').get(),
      services,
      [SHARED_MAILBOX_CHECK_SCOPE],
    );
  } catch (error) {
    if (error instanceof ConsentMissingError) throw await consentMissingProblem(services, connection, [SHARED_MAILBOX_CHECK_SCOPE]);
    const status = graphStatus(error);
    if (status === 403 || status === 404)
      throw new AppError('mailbox_access_denied', 'mailbox: the connected user cannot access this mailbox', { field: 'mailbox' });
    throw await asApiProblem(services, connection, error, 'id');
  }
}
