// The OAuth callback: the state is checked and consumed (single use, unexpired, conditional on its ETag),
// the code redeemed with its PKCE verifier and nonce, the account and calendars read, and the connection
// created or updated. The result says where the browser goes next; nothing is stored when it fails.
import type { ProblemCode } from '../errors/catalogue.js';
import { randomUUID } from 'node:crypto';
import type { AuthenticationResult } from '@azure/msal-node';
import { createGraphClient, isMailboxNotSupported } from '../graph/client.js';
import { retryTransientReads } from '../graph/transient-retry.js';
import { createMsalClient } from '../auth/msal-client.js';
import { CONNECT_SCOPES, entraClientCredential, GRAPH_SCOPES } from '../auth/entra-credentials.js';
import { recordEntraCredentialFailure, withEntraCredential } from '../auth/entra-credential-health.js';
import { encryptTokenCache } from '../auth/token-cache-plugin.js';
import { describeError } from '../logging.js';
import { escapeKey } from '../store/keys.js';
import { odata } from '@azure/data-tables';
import { ConcurrencyError, NotFoundError } from '../store/errors.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { OAUTH_STATE_ROW, type OAuthStateEntity } from '../store/repositories/oauth-states.js';
import type { Services } from '../services.js';
import { applyCalendarChoice, DEFAULT_REMINDER_MINUTES, listCalendars, ownedCalendars, type CalendarInfo } from './calendars.js';
import { isAppError } from '../errors/app-error.js';
import { callbackUrl, verifierBinding } from './start-connect.js';
import { returnUrlWith } from './return-url.js';
import { requestSubscriptionSync } from '../sync/calendar-subscriptions.js';
import type { BrowserCheck } from './browser-binding.js';
import { isClientActive, linkRevoked } from './connect-links.js';
import { connectsPausedError, isSyncPaused } from '../admin/pause.js';
import { accountKindOf } from '../auth/account-kind.js';
import { countConnectionStatusChange } from '../telemetry/gauges.js';
import { emitWebhookEvent, stableEventId } from '../webhooks/emit.js';

export type ConnectOutcome =
  /** Back to the booking system (connected, or an error it can act on). */
  | { kind: 'redirect'; location: string }
  /** The hosted picker, before going back. */
  | { kind: 'picker'; connection: ConnectionEntity; calendars: CalendarInfo[]; returnUrl: string }
  /**
   * No safe place to go back to (or going back would mislead, or the person must read why): a page for the
   * user, with a link when `returnUrl`; `final` when starting again would end the same way.
   */
  | { kind: 'page'; code: ProblemCode; message: string; returnUrl?: string; final?: boolean };

/** Stable error codes a booking system receives as `error=` on its return URL. */
export type ConnectErrorCode =
  | 'access_denied'
  | 'admin_consent_required'
  | 'interaction_required'
  | 'authorization_failed'
  | 'missing_code'
  | 'invalid_grant'
  | 'token_redemption_failed'
  | 'graph_unavailable'
  /** The callback came to a browser other than the one that opened the link (shown on a page, with a link back). */
  | 'browser_mismatch'
  /** The link named loginHint and another account signed in. */
  | 'account_mismatch'
  /** The operator paused the integration while the person was signing in (shown on a page, with a link back). */
  | 'integration_paused'
  /** A personal Microsoft account signed in and the operator allows work or school accounts only (PERSONAL_ACCOUNTS=deny). */
  | 'personal_account_not_allowed'
  /** The mailbox is on-premises or hybrid, not in Exchange Online: Graph cannot serve it (a page first, then back). */
  | 'mailbox_not_supported';

const MAX_PARAM_CHARS = 4096;
/** How long the callback keeps retrying transient Graph failures of its reads while the browser waits. */
const GRAPH_READ_BUDGET_MS = 30_000;

export async function completeConnect(query: URLSearchParams, services: Services, sameBrowser: BrowserCheck): Promise<ConnectOutcome> {
  const state = query.get('state');
  if (!state || state.length > 512) return page('state_missing', 'This sign-in response is not valid: it has no state.');
  const attempt = await consumeState(state, services);
  if ('kind' in attempt) return attempt;
  // A sign-in URL copied out of someone else's flow: never connect this person's mailbox to that flow.
  if (!sameBrowser(attempt.partitionKey, attempt.bindingHash))
    return page(
      'browser_mismatch',
      'This sign-in was started in another browser. For your safety your calendar was not connected. Open the link from your application again, in this browser.',
      returnUrlWith(attempt.returnUrl!, { status: 'error', error: 'browser_mismatch' }),
    );

  // The booking system was disabled while its user was signing in: nothing is connected for it.
  if (!(await isClientActive(services, attempt.clientId))) return page('link_revoked', linkRevoked().message);
  // Paused while the person was at Microsoft's sign-in: nothing is connected; the page says to come back later.
  if (await isSyncPaused(services)) return pausedPage(attempt.returnUrl!);

  const toApp = (code: ConnectErrorCode): ConnectOutcome => ({
    kind: 'redirect',
    location: returnUrlWith(attempt.returnUrl!, { status: 'error', error: code }),
  });
  const error = query.get('error');
  if (error) return toApp(microsoftErrorCode(error, query.get('error_description') ?? ''));
  const code = query.get('code');
  if (!code || code.length > MAX_PARAM_CHARS) return toApp('missing_code');

  let result: AuthenticationResult;
  let serializedCache: string;
  try {
    const credential = await entraClientCredential(services).catch((e: unknown) => Promise.reject(recordEntraCredentialFailure(e)));
    const msal = await createMsalClient(services, { credential });
    const codeVerifier = await services.envelope.decryptString(attempt.codeVerifier, verifierBinding(attempt.partitionKey));
    result = await withEntraCredential(() =>
      msal.acquireTokenByCode({
        code,
        codeVerifier,
        nonce: attempt.nonce,
        scopes: [...CONNECT_SCOPES, ...(attempt.scopes ?? []).filter((s) => !s.includes('/'))],
        redirectUri: callbackUrl(services.config.publicBaseUrl),
      }),
    );
    serializedCache = msal.getTokenCache().serialize();
  } catch (err) {
    const codeOf = (err as { errorCode?: string }).errorCode;
    console.warn(`connect: code redemption failed: ${describeError(err)}`);
    if (codeOf === 'invalid_grant') return toApp('invalid_grant');
    if (codeOf === 'consent_required' || /AADSTS65001/.test(String((err as Error).message))) return toApp('admin_consent_required');
    return toApp('token_redemption_failed');
  }
  if (!result.account) return toApp('token_redemption_failed');
  // Deliberately: personal accounts connect only when the operator allows them. Nothing is stored otherwise.
  if (accountKindOf(result.account.tenantId) === 'personal' && services.config.entra.personalAccounts === 'deny') return toApp('personal_account_not_allowed');

  let me: SignedInUser;
  /** Who signed in, once read (a mailbox Graph cannot serve still has its user object). */
  let signedIn: SignedInUser | undefined;
  let calendars: CalendarInfo[];
  try {
    const graph = createGraphClient({ config: services.config, fetch: services.transports.fetch, getAccessToken: async () => result.accessToken });
    // A passing Graph fault must not cost the person their (now used) link: retry within the state's lifetime.
    const deadline = Math.min(Date.now() + GRAPH_READ_BUDGET_MS, attempt.expiresAt.getTime());
    me = await retryTransientReads(() => graph.api('/me').select('id,userPrincipalName,mail').get(), deadline);
    signedIn = me;
    calendars = await retryTransientReads(() => listCalendars(graph), deadline);
  } catch (err) {
    if (isMailboxNotSupported(err)) return mailboxNotSupported(services, attempt, signedIn);
    console.warn(`connect: reading the account failed: ${describeError(err)}`);
    return toApp('graph_unavailable');
  }

  if (attempt.loginHint && !attempt.allowOtherAccount && !isHintedAccount(attempt.loginHint, [me.userPrincipalName, me.mail, result.account.username])) {
    return toApp('account_mismatch');
  }

  let connection = await saveConnection(services, attempt, {
    tenantId: result.account.tenantId,
    objectId: me.id,
    upn: me.userPrincipalName ?? result.account.username,
    homeAccountId: result.account.homeAccountId,
    serializedCache,
    calendars,
    ownedIds: ownedCalendars(calendars, [me.mail, me.userPrincipalName]).map((c) => c.id),
  });
  if (attempt.calendarChoice) {
    // The picker's choice waited for this consent (a shared calendar): saved now, checked against the
    // calendars as they are; a choice that no longer fits shows the picker again.
    const choice = attempt.calendarChoice;
    const saved = await services.store.connections
      .mutate(connection.partitionKey, connection.rowKey, (current) => applyCalendarChoice(current, choice, calendars))
      .catch((error: unknown) => (isAppError(error) ? undefined : Promise.reject(error)));
    if (!saved) return { kind: 'picker', connection, calendars, returnUrl: attempt.returnUrl! };
    connection = saved.entity;
  }
  if (attempt.pickCalendars) return { kind: 'picker', connection, calendars, returnUrl: attempt.returnUrl! };
  await requestSubscriptionSync(services, connection).catch((err: unknown) => console.warn(`connect: subscriptions not requested: ${describeError(err)}`));
  return { kind: 'redirect', location: connectedUrl(attempt.returnUrl!, connection.rowKey) };
}

interface SignedInUser {
  id: string;
  userPrincipalName?: string;
  mail?: string;
}

/**
 * The person signed in, but their mailbox is not in Exchange Online (the user object is served; every
 * mailbox request answers MailboxNotEnabledForRESTAPI). Nothing is stored. The person gets a page saying
 * why, with a link back carrying `error=mailbox_not_supported`; the booking system also gets a webhook,
 * since the person may never follow that link.
 */
async function mailboxNotSupported(services: Services, attempt: OAuthStateEntity, me: SignedInUser | undefined): Promise<ConnectOutcome> {
  const data = { externalUserId: attempt.externalUserId!, reason: 'mailbox_not_supported' as const, userPrincipalName: me?.userPrincipalName ?? null };
  await emitWebhookEvent(services.config.storage, attempt.clientId, 'connection.failed', data, stableEventId('connection.failed', attempt.partitionKey)).catch((err: unknown) =>
    console.warn(`connect: connection.failed not queued: ${describeError(err)}`),
  );
  return {
    kind: 'page',
    code: 'mailbox_not_supported',
    message:
      'Your mailbox is kept on your organisation\'s own Exchange server, which this service cannot reach through Microsoft 365. Your calendar was not connected. Ask your IT department to move the mailbox to Exchange Online.',
    returnUrl: returnUrlWith(attempt.returnUrl!, { status: 'error', error: 'mailbox_not_supported' }),
    final: true,
  };
}

/** The signed-in account is the one the link named (UPN, mail or the sign-in name, case-insensitive). */
function isHintedAccount(loginHint: string, names: (string | undefined)[]): boolean {
  const hint = loginHint.trim().toLowerCase();
  return names.some((name) => name?.trim().toLowerCase() === hint);
}

export function connectedUrl(returnUrl: string, connectionId: string): string {
  return returnUrlWith(returnUrl, { connectionId, status: 'connected' });
}

/** The page for a sign-in that came back while the integration is paused, with a link back to the booking system. */
export function pausedPage(returnUrl: string): ConnectOutcome {
  return page('integration_paused', connectsPausedError({ retryAfterSeconds: 0 }).message, returnUrlWith(returnUrl, { status: 'error', error: 'integration_paused' }));
}

function page(code: ProblemCode, message: string, returnUrl?: string): ConnectOutcome {
  return { kind: 'page', code, message, returnUrl };
}

/** Marks the state used, conditional on the ETag read: of two concurrent callbacks, one wins. */
async function consumeState(state: string, services: Services): Promise<OAuthStateEntity | ConnectOutcome> {
  const found = await services.store.oauthStates.getByState(state);
  const unknown = page('state_unknown', 'This sign-in response is unknown or has already been used.');
  if (!found) return unknown;
  const entity = found.entity;
  if (entity.usedAt) return unknown;
  if (entity.expiresAt.getTime() <= Date.now()) {
    await services.store.oauthStates.delete(entity.partitionKey, OAUTH_STATE_ROW, { etag: found.etag }).catch(() => undefined);
    return page('state_expired', 'This sign-in took too long and has expired.');
  }
  try {
    await services.store.oauthStates.update({ ...entity, usedAt: new Date() }, found.etag);
  } catch (error) {
    if (error instanceof ConcurrencyError || error instanceof NotFoundError) return unknown;
    throw error;
  }
  // Won: the row has done its job (a replay now finds nothing, which is refused the same way).
  await services.store.oauthStates.delete(entity.partitionKey, OAUTH_STATE_ROW).catch(() => undefined);
  if (!entity.returnUrl) return page('state_unknown', 'This sign-in response is not valid.');
  return entity;
}

/** Maps the authorize endpoint's error to a stable code (AADSTS numbers are only hints, Microsoft
 * says not to build logic on them: https://learn.microsoft.com/entra/identity-platform/reference-error-codes). */
function microsoftErrorCode(error: string, description: string): ConnectErrorCode {
  if (error === 'access_denied') return 'access_denied';
  if (error === 'consent_required' || /AADSTS(65001|90094|90095)/.test(description)) return 'admin_consent_required';
  if (error === 'interaction_required' || error === 'login_required') return 'interaction_required';
  if (error === 'invalid_grant') return 'invalid_grant';
  return 'authorization_failed';
}

interface SignedIn {
  tenantId: string;
  objectId: string;
  upn: string;
  homeAccountId: string;
  serializedCache: string;
  calendars: CalendarInfo[];
  ownedIds: string[];
}

/** Creates the connection, or updates the one this client already has for the same user and account. */
async function saveConnection(services: Services, attempt: OAuthStateEntity, signedIn: SignedIn): Promise<ConnectionEntity> {
  const clientId = attempt.clientId;
  const externalUserId = attempt.externalUserId!;
  const filter = odata`PartitionKey eq ${escapeKey(clientId)} and externalUserId eq ${externalUserId} and tenantId eq ${signedIn.tenantId} and objectId eq ${signedIn.objectId}`;
  const existing = (await services.store.connections.query(filter, { pageSize: 1 })).items[0];
  const live = new Set(signedIn.calendars.map((c) => c.id));
  const defaultCalendar = signedIn.calendars.find((c) => c.isDefault) ?? signedIn.calendars.find((c) => c.canEdit);
  const account = { tenantId: signedIn.tenantId, objectId: signedIn.objectId, upn: signedIn.upn, homeAccountId: signedIn.homeAccountId };
  // Consent is cumulative: what this sign-in consented to adds to what the connection held.
  const scopesWith = (previous?: string[]) => [...new Set([...(previous ?? GRAPH_SCOPES), ...(attempt.scopes ?? GRAPH_SCOPES)])];

  if (existing) {
    const id = existing.entity.rowKey;
    const sealed = await encryptTokenCache(services, clientId, id, signedIn.serializedCache);
    let previousStatus: ConnectionEntity['status'] | undefined;
    const saved = await services.store.connections.mutate(clientId, id, (current) => {
      previousStatus = current.status;
      const busy = (current.busyCalendarIds ?? []).filter((c) => live.has(c));
      return {
        ...current,
        ...account,
        ...sealed,
        status: 'active',
        grantedScopes: scopesWith(current.grantedScopes),
        bookingCalendarId: current.bookingCalendarId && live.has(current.bookingCalendarId) ? current.bookingCalendarId : defaultCalendar?.id,
        busyCalendarIds: busy.length ? busy : signedIn.ownedIds,
        lastTokenRefreshAt: new Date(),
        connectedAt: new Date(),
        updatedAt: new Date(),
      };
    });
    await countConnectionStatusChange(services.store, previousStatus, 'active');
    return saved.entity;
  }

  const id = randomUUID();
  const now = new Date();
  const entity: ConnectionEntity = {
    partitionKey: clientId,
    rowKey: id,
    externalUserId,
    status: 'active',
    ...account,
    ...(await encryptTokenCache(services, clientId, id, signedIn.serializedCache)),
    grantedScopes: scopesWith(),
    bookingCalendarId: defaultCalendar?.id,
    busyCalendarIds: signedIn.ownedIds,
    defaultReminderMinutes: DEFAULT_REMINDER_MINUTES,
    lastTokenRefreshAt: now,
    connectedAt: now,
    createdAt: now,
  };
  const created = (await services.store.connections.create(entity)).entity;
  await countConnectionStatusChange(services.store, undefined, 'active');
  return created;
}
