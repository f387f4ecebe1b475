// The app's Microsoft Graph client: the real @microsoft/microsoft-graph-client with an explicit middleware
// chain (auth -> retry honouring Retry-After -> redirect -> telemetry -> HTTP). URLs stay on GRAPH_BASE_URL so
// the client keeps adding the bearer token and following @odata links; the last handler sends them with the
// fetch it is given (the services' transport: the platform's in Azure).
import {
  AuthenticationHandler,
  Client,
  type Context,
  GraphError,
  type Middleware,
  RedirectHandler,
  RedirectHandlerOptions,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
} from '@microsoft/microsoft-graph-client';
import type { Config } from '../config.js';
import { ImmutableIdHandler } from './immutable-ids.js';
import { mailboxRewrite, MailboxScopeHandler, sharedCalendarRewrite } from './mailbox-scope.js';
import { withSpan } from '../telemetry/tracing.js';

export const GRAPH_ORIGIN = 'https://graph.microsoft.com';

export interface GraphClientOptions {
  /** Returns a current access token for Graph (MSAL silent acquisition). */
  getAccessToken: () => Promise<string>;
  /**
   * Returns a freshly refreshed token. When given, a request Graph answers 401 is retried once with it:
   * Graph can refuse a token MSAL still counts as valid (revoked, or expired by Graph's clock).
   */
  refreshAccessToken?: () => Promise<string>;
  config: Pick<Config, 'graphBaseUrl'>;
  /** Sends each request (the services' transports.fetch). */
  fetch: typeof fetch;
  /** Retries of a 429/503/504 (Retry-After honoured; default 3, the client's cap is 10). */
  maxRetries?: number;
  /** Seconds to wait when a retryable answer has no Retry-After (default 3). */
  retryDelaySeconds?: number;
  /**
   * App-only clients act for one mailbox: `/me/...` (every calendar helper's path) is sent as
   * `/users/{mailboxId}/...`, also inside $batch bodies (shared/graph/mailbox-scope.ts).
   */
  mailboxId?: string;
  /**
   * Delegated clients: calendars other people share with the user (calendar id -> owner's address), whose
   * `/me/calendars/{id}/...` paths are sent to the owner's mailbox (shared/graph/mailbox-scope.ts).
   */
  sharedCalendars?: Readonly<Record<string, string>>;
}

/** The last handler: the given fetch, in a span. */
class GraphHttpHandler implements Middleware {
  constructor(private readonly send: typeof fetch) {}

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const method = (typeof context.request === 'string' ? context.options?.method : context.request.method) ?? 'GET';
    // The span has the path only: query strings carry paging and delta tokens.
    const attributes = { 'http.request.method': method, 'server.address': new URL(url).host, 'url.path': new URL(url).pathname };
    await withSpan(`Graph ${method}`, attributes, async (span) => {
      context.response = await this.send(context.request, context.options);
      span.setAttribute('http.response.status_code', context.response.status);
    });
  }
}

/** First in the chain when refreshAccessToken is given: on a 401, sets a refreshed token and sends once more. */
class UnauthorizedRetryHandler implements Middleware {
  constructor(
    private readonly refresh: () => Promise<string>,
    private readonly auth: Middleware,
    private readonly afterAuth: Middleware,
  ) {}

  async execute(context: Context): Promise<void> {
    await this.auth.execute(context);
    const body = context.options?.body;
    const replayable = body === undefined || body === null || typeof body === 'string';
    if (context.response?.status !== 401 || !replayable) return;
    const bearer = `Bearer ${await this.refresh()}`;
    if (typeof context.request !== 'string') context.request.headers.set('Authorization', bearer);
    const options = (context.options ??= {});
    if (options.headers instanceof Headers) options.headers.set('Authorization', bearer);
    else if (Array.isArray(options.headers)) options.headers = [...options.headers.filter(([k]) => k.toLowerCase() !== 'authorization'), ['Authorization', bearer]];
    else options.headers = { ...options.headers, Authorization: bearer };
    await this.afterAuth.execute(context);
  }

  setNext(): void {
    // The chain is wired by createGraphClient.
  }
}

export function createGraphClient(options: GraphClientOptions): Client {
  const { config } = options;
  const auth = new AuthenticationHandler({ getAccessToken: () => options.getAccessToken() });
  const retry = new RetryHandler(new RetryHandlerOptions(options.retryDelaySeconds ?? 3, options.maxRetries ?? 3));
  const redirect = new RedirectHandler(new RedirectHandlerOptions());
  const telemetry = new TelemetryHandler();
  const http = new GraphHttpHandler(options.fetch);
  auth.setNext(retry);
  retry.setNext(redirect);
  redirect.setNext(telemetry);
  telemetry.setNext(http);
  const baseUrl = config.graphBaseUrl;
  const customHosts = baseUrl === GRAPH_ORIGIN ? undefined : new Set([new URL(baseUrl).hostname]);
  const authFirst = options.refreshAccessToken ? new UnauthorizedRetryHandler(options.refreshAccessToken, auth, retry) : auth;
  const rewrite = options.mailboxId
    ? mailboxRewrite(options.mailboxId)
    : options.sharedCalendars && Object.keys(options.sharedCalendars).length
      ? sharedCalendarRewrite(options.sharedCalendars)
      : undefined;
  const scoped = rewrite ? new MailboxScopeHandler(rewrite, authFirst) : authFirst;
  const first = new ImmutableIdHandler(scoped);
  return Client.initWithMiddleware({ middleware: first, baseUrl, customHosts, defaultVersion: 'v1.0' });
}

/** Stable categories the app branches on, whatever Graph's error code strings say. */
export type GraphErrorCategory =
  | 'throttled'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'gone'
  | 'auth'
  | 'bad_request'
  | 'server';

/**
 * The mailbox is not one Graph can serve: on an Exchange Server (on-premises or hybrid), not in Exchange
 * Online. Graph answers 404 MailboxNotEnabledForRESTAPI or MailboxNotSupportedForRESTAPI
 * (https://learn.microsoft.com/en-us/exchange/troubleshoot/user-and-shared-mailboxes/rest-api-is-not-yet-supported-for-this-mailbox-error).
 */
export function isMailboxNotSupported(error: unknown): boolean {
  const code = String((error as { code?: unknown })?.code ?? '');
  return code === 'MailboxNotEnabledForRESTAPI' || code === 'MailboxNotSupportedForRESTAPI';
}

/** Maps a GraphError (or a network failure) to a category; status decides, codes refine. */
export function categorizeGraphError(error: unknown): GraphErrorCategory {
  const status = error instanceof GraphError ? error.statusCode : ((error as { statusCode?: number })?.statusCode ?? -1);
  const code = String((error as { code?: unknown })?.code ?? '');
  if (status === 429 || code === 'ApplicationThrottled' || code === 'TooManyRequests') return 'throttled';
  // A 404 that says nothing of the item: the whole mailbox is out of Graph's reach (never "deleted in Outlook").
  if (isMailboxNotSupported(error)) return 'bad_request';
  if (status === 404 || code === 'ErrorItemNotFound' || code === 'ResourceNotFound') return 'not_found';
  // A stale If-Match: 412, or 409 as Outlook also answers it, both ErrorIrresolvableConflict.
  if (code === 'ErrorIrresolvableConflict') return 'precondition_failed';
  if (status === 409) return 'conflict';
  if (status === 412) return 'precondition_failed';
  if (status === 410 || /^(syncStateNotFound|resyncRequired|syncStateInvalid)$/i.test(code)) return 'gone';
  if (status === 401 || status === 403) return 'auth';
  if (status >= 400 && status < 500) return 'bad_request';
  return 'server';
}

/** Retry-After in seconds from a GraphError's response headers, if Graph sent one. */
export function retryAfterSeconds(error: unknown): number | undefined {
  const value = (error as { headers?: Headers })?.headers?.get?.('Retry-After');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
