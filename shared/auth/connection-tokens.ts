// THE way every Graph call gets an access token for a connection: MSAL's silent flow over the connection's
// own encrypted cache (one MSAL client per call, so calls for different connections never share state),
// refreshing with the cached refresh token when the access token is stale. Concurrent refreshes of one
// connection are serialized by the cache row's ETag (token-cache-plugin.ts): the loser re-reads and uses
// the winner's tokens. A dead refresh token marks the connection needs_reauth.
import type { Client } from '@microsoft/microsoft-graph-client';
import { knownConnectionRow, type ConnectionEntity } from '../store/repositories/connections.js';
import { ConcurrencyError } from '../store/errors.js';
import { AppError } from '../errors/app-error.js';
import { createGraphClient } from '../graph/client.js';
import { getServices, type Services } from '../services.js';
import { describeError } from '../logging.js';
import { createMsalClient, isReauthRequired } from './msal-client.js';
import { connectionGraphScopes, entraClientCredential } from './entra-credentials.js';
import { isEntraCredentialFailure, recordEntraCredentialFailure, withEntraCredential } from './entra-credential-health.js';
import { ConnectionTokenCachePlugin, TokenCacheConflictError } from './token-cache-plugin.js';
import { createConnectLink, type ConnectLink } from '../connect/connect-links.js';
import { recordNeedsReauth } from '../telemetry/metrics.js';
import { countConnectionStatusChange } from '../telemetry/gauges.js';

/** The connection's refresh token no longer works: the user must connect again. */
export class NeedsReauthError extends AppError {
  constructor(readonly connection: ConnectionEntity, options: { cause?: unknown } = {}) {
    super('connection_needs_reauth', 'The connection has lost access to the calendar; the user must connect again.', options);
  }
}

/** The connection was disconnected (or never finished connecting): there is nothing to get a token with. */
export class ConnectionNotActiveError extends AppError {
  constructor(readonly connection: ConnectionEntity) {
    super('connection_not_active', `The connection is ${connection.status}.`);
  }
}

/** The user has not consented to scopes asked for beyond the base set; the connection itself still works. */
export class ConsentMissingError extends AppError {
  constructor(readonly scopes: readonly string[], options: { cause?: unknown } = {}) {
    super('consent_missing', 'The user has not consented to the permissions this needs; send them the connect link to consent.', options);
  }
}

export interface AccessTokenOptions {
  /** Skip the cached access token (Graph refused it although MSAL thought it valid). */
  forceRefresh?: boolean;
  /**
   * Scopes instead of the connection's Graph scopes (connectionGraphScopes): more Graph scopes (Mail.Send) or another resource's (Outlook's SMTP.Send).
   * A consent_required refusal for them is a ConsentMissingError, and the connection stays active.
   */
  scopes?: readonly string[];
}

export interface AccessToken {
  token: string;
  /** True when this call redeemed the refresh token (and stored the new tokens). */
  refreshed: boolean;
  expiresOn?: Date;
}

const MAX_ATTEMPTS = 4;

/** A current access token for the connection's Graph calls. */
export async function getAccessToken(
  connection: Pick<ConnectionEntity, 'partitionKey' | 'rowKey'>,
  options: AccessTokenOptions = {},
  services: Services = getServices(),
): Promise<AccessToken> {
  const clientId = connection.partitionKey;
  const connectionId = connection.rowKey;
  const credential = await entraClientCredential(services).catch((error: unknown) => Promise.reject(recordEntraCredentialFailure(error)));
  let forceRefresh = options.forceRefresh ?? false;
  for (let attempt = 1; ; attempt += 1) {
    // First attempt: the row this request read already (if any); after a conflict, a fresh read.
    const known = attempt === 1 ? knownConnectionRow(connection) : undefined;
    const plugin = new ConnectionTokenCachePlugin(services, clientId, connectionId, known?.entity.rowKey === connectionId ? known : undefined);
    const msal = await createMsalClient(services, { credential, cachePlugin: plugin });
    const cache = msal.getTokenCache();
    try {
      // The first cache access reads the row (status and tokens) once for this attempt.
      const accounts = await cache.getAllAccounts();
      const current = plugin.connection!;
      if (current.status !== 'active') {
        if (current.status === 'needs_reauth') throw new NeedsReauthError(current);
        throw new ConnectionNotActiveError(current);
      }
      const account = accounts.find((a) => a.homeAccountId === current.homeAccountId);
      if (!account) {
        const lost = await markNeedsReauth(services, current, new Error('no account in the token cache'));
        if (lost || attempt >= MAX_ATTEMPTS) throw lost ?? new NeedsReauthError(current);
        continue;
      }
      const result = await withEntraCredential(() => msal.acquireTokenSilent({ account, scopes: [...(options.scopes ?? connectionGraphScopes(current))], forceRefresh }));
      return { token: result.accessToken, refreshed: plugin.wroteAt !== undefined, expiresOn: result.expiresOn ?? undefined };
    } catch (error) {
      if (error instanceof TokenCacheConflictError && attempt < MAX_ATTEMPTS) {
        // Someone else refreshed first: their tokens are fresh, so read them rather than refresh again.
        forceRefresh = false;
        continue;
      }
      // The app's own credential failed (withEntraCredential recorded it): an operator's problem, so the
      // connection stays active and the caller gets a 503, never needs_reauth.
      if (isEntraCredentialFailure(error)) throw error;
      if (options.scopes && isConsentRequired(error)) throw new ConsentMissingError(options.scopes, { cause: error });
      if (isReauthRequired(error)) {
        const lost = await markNeedsReauth(services, plugin.connection, error);
        if (lost || attempt >= MAX_ATTEMPTS) throw lost ?? error;
        // The user signed in again while this attempt used the old tokens: use the new ones.
        forceRefresh = false;
        continue;
      }
      throw error;
    }
  }
}

/** Entra refused scopes the user never consented to (AADSTS65001), as opposed to a dead refresh token. */
function isConsentRequired(error: unknown): boolean {
  const e = error as { errorCode?: string; subError?: string; message?: string } | undefined;
  return e?.subError === 'consent_required' || e?.errorCode === 'consent_required' || /AADSTS65001\b/.test(e?.message ?? '');
}

/** The same sign-in: a reconnect sets a new connectedAt (rows from before it have none on either side). */
const sameSignIn = (a: ConnectionEntity, b: ConnectionEntity) => a.connectedAt?.getTime() === b.connectedAt?.getTime();

/**
 * Records needs_reauth on the connection (once) and returns the error to throw; undefined when the user
 * signed in again after `connection` (the tokens that failed) was read, so the connection stays active.
 */
export async function markNeedsReauth(services: Services, connection: ConnectionEntity | undefined, cause: unknown): Promise<NeedsReauthError | undefined> {
  if (!connection) throw cause;
  console.warn(`connection ${connection.rowKey} needs re-authentication: ${describeError(cause)}`);
  try {
    let turned = false;
    let signedInAgain = false;
    const saved = await services.store.connections.mutate(connection.partitionKey, connection.rowKey, (current) => {
      signedInAgain = current.status === 'active' && !sameSignIn(current, connection);
      turned = current.status === 'active' && !signedInAgain;
      return turned ? { ...current, status: 'needs_reauth', updatedAt: new Date() } : current;
    });
    if (signedInAgain) return undefined;
    // Only the caller that made the change reacts (services.connectionReactions: subscriptions removed,
    // webhook sent), so the booking system hears of it once.
    if (turned) {
      recordNeedsReauth();
      await countConnectionStatusChange(services.store, 'active', 'needs_reauth');
      await services.connectionReactions.afterNeedsReauth(saved.entity, services).catch((error: unknown) =>
        console.warn(`connection ${connection.rowKey}: a needs_reauth step failed: ${describeError(error)}`),
      );
    }
    return new NeedsReauthError(saved.entity, { cause });
  } catch (error) {
    if (error instanceof ConcurrencyError) return new NeedsReauthError({ ...connection, status: 'needs_reauth' }, { cause });
    throw error;
  }
}

/**
 * A Graph client acting as the connection's user. The token is reused while valid, and a token Graph
 * refuses is refreshed once and the request retried. The Graph client wraps a token failure in a
 * GraphError; `onTokenError` sees the original (withConnectionGraph uses it to rethrow the typed error).
 */
export function getGraphClientForConnection(
  connection: Pick<ConnectionEntity, 'partitionKey' | 'rowKey'> & Partial<Pick<ConnectionEntity, 'sharedCalendars'>>,
  services: Services = getServices(),
  onTokenError?: (error: unknown) => void,
  scopes?: readonly string[],
): Client {
  let current: AccessToken | undefined;
  const stillValid = () => current && (!current.expiresOn || current.expiresOn.getTime() - Date.now() > 5 * 60_000);
  const fetchToken = async (forceRefresh: boolean) => {
    try {
      current = await getAccessToken(connection, { forceRefresh, scopes }, services);
      return current.token;
    } catch (error) {
      onTokenError?.(error);
      throw error;
    }
  };
  return createGraphClient({
    config: services.config,
    fetch: services.transports.fetch,
    getAccessToken: async () => (stillValid() ? current!.token : fetchToken(false)),
    refreshAccessToken: () => fetchToken(true),
    sharedCalendars: connection.sharedCalendars,
  });
}

/**
 * Runs Graph calls as the connection's user. A connection that is not active, or whose refresh token has
 * died, fails with NeedsReauthError / ConnectionNotActiveError (409 problems), not a wrapped GraphError.
 */
export async function withConnectionGraph<T>(
  connection: ConnectionEntity,
  fn: (graph: Client) => Promise<T>,
  services: Services = getServices(),
  scopes?: readonly string[],
): Promise<T> {
  if (connection.status === 'needs_reauth') throw new NeedsReauthError(connection);
  if (connection.status !== 'active') throw new ConnectionNotActiveError(connection);
  let tokenError: unknown;
  const graph = getGraphClientForConnection(
    connection,
    services,
    (error) => {
      tokenError = error;
    },
    scopes,
  );
  try {
    return await fn(graph);
  } catch (error) {
    throw tokenError ?? error;
  }
}

/**
 * A fresh connect link for a connection that needs re-authentication (bookings answer 409
 * connection_needs_reauth with it; the keep-alive timer sends it in a webhook). Its return URL is the
 * client's first allowed origin.
 */
export async function createConnectLinkForReauth(
  connection: ConnectionEntity,
  services: Services = getServices(),
  /** Scopes the sign-in asks for beyond what the connection holds (incremental consent). */
  extraScopes?: string[],
): Promise<ConnectLink> {
  const client = await services.store.clients.getClient(connection.partitionKey);
  const origin = client?.entity.allowedReturnOrigins[0];
  // Not an answer: every caller logs it and answers (or sends its webhook) without the link.
  if (!client || !origin) throw new Error('The client has no allowed return origin for a re-connect link.');
  return createConnectLink(
    client.entity,
    { externalUserId: connection.externalUserId, returnUrl: `${origin}/`, loginHint: connection.upn, connectionId: connection.rowKey, extraScopes },
    services,
  );
}
