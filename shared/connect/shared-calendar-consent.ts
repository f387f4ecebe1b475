// Picking a calendar someone else shares needs Calendars.ReadWrite.Shared, which the first sign-in did not
// ask for (only those who pick one are asked: incremental consent). The connection API answers 409
// consent_missing with a link that asks for it; the hosted picker sends the browser through that sign-in
// with the choice, which the callback then saves.
import { SHARED_CALENDARS_SCOPE } from '../auth/entra-credentials.js';
import { consentMissingProblem } from '../mail/mail-consent.js';
import type { Services } from '../services.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import type { PendingCalendarChoice } from '../store/repositories/connect-links.js';
import { createConnectLink, linkRevoked } from './connect-links.js';
import { missingSharedConsent } from './shared-calendars.js';

/** Throws 409 consent_missing (with a consent link) when `chosen` uses a shared calendar the user has not consented to reach. */
export async function requireSharedCalendarConsent(services: Services, connection: ConnectionEntity, chosen: ConnectionEntity): Promise<void> {
  const missing = missingSharedConsent(chosen);
  if (!missing.length) return;
  throw await consentMissingProblem(services, connection, missing, {
    askFor: [SHARED_CALENDARS_SCOPE],
    detail: 'A chosen calendar belongs to someone else; the user has not consented to reach shared calendars. Send them connectUrl, then choose again.',
  });
}

/** The picker's way through the consent: a connect link for the same account that asks for the scope and carries the choice. */
export async function sharedConsentLink(services: Services, connection: ConnectionEntity, returnUrl: string, choice: PendingCalendarChoice): Promise<string> {
  const client = await services.store.clients.getClient(connection.partitionKey);
  if (!client || client.entity.disabled) throw linkRevoked();
  const link = await createConnectLink(
    client.entity,
    {
      externalUserId: connection.externalUserId,
      returnUrl,
      loginHint: connection.upn,
      connectionId: connection.rowKey,
      extraScopes: [SHARED_CALENDARS_SCOPE],
      calendarChoice: choice,
    },
    services,
  );
  return link.url;
}
