// The Graph request pipeline, shared by top-level requests and $batch items: route -> mailbox -> access
// -> counters -> throttling -> faults -> handler. Handlers throw GraphHttpError for Graph's error shape.
// Permissions each route needs: https://learn.microsoft.com/en-us/graph/permissions-reference; 401 with
// InvalidAuthenticationToken and 403 as https://learn.microsoft.com/en-us/graph/errors describes; without a
// .Shared permission a delegated token reaches only the signed-in user's own mailbox:
// https://learn.microsoft.com/en-us/graph/outlook-share-or-delegate-calendar
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerResponse } from 'node:http';
import { Router, type SimRequest, type SimResponse } from '../router.js';
import { type GraphCaller, SimAuthError, type SimState, type SimUser } from '../state.js';
import { GraphHttpError, type RequestIds, accessDenied, badRequest, errorResponse, idHeaders, invalidJson } from './errors.js';
import { type Prefer, canonicalQuery, parsePrefer } from './odata.js';
import type { Counters, Faults, MailboxThrottle } from './throttling.js';
import { READ_ROLES, WRITE_ROLES, type CalendarRole } from './store.js';

/** What a route needs from the caller: calendar read or write, profile, mailbox settings, free/busy. */
export type Access = 'read' | 'write' | 'user' | 'mailboxSettings' | 'schedule' | 'any';

export interface GraphRequest extends SimRequest {
  caller: GraphCaller;
  /** The mailbox named by /me or /users/{id|upn}; set on mailbox routes. */
  mailbox: SimUser;
  ids: RequestIds;
  prefer: Prefer;
  endpoint: string;
  /** The version-relative path as requested, e.g. /me/calendarView (for links). */
  json<T = unknown>(): T;
}

export type GraphHandler = (req: GraphRequest) => Promise<SimResponse> | SimResponse;

interface RouteMeta {
  access: Access;
  endpoint: string;
  mailbox: boolean;
  handler: GraphHandler;
}

const ANY_CALENDAR_READ = ['Calendars.Read', 'Calendars.ReadWrite'];
const PERMISSIONS: Record<Exclude<Access, 'any'>, { delegated: string[]; app: string[] }> = {
  read: { delegated: ANY_CALENDAR_READ, app: ANY_CALENDAR_READ },
  write: { delegated: ['Calendars.ReadWrite'], app: ['Calendars.ReadWrite'] },
  schedule: { delegated: ['Calendars.ReadBasic', ...ANY_CALENDAR_READ], app: ['Calendars.ReadBasic', ...ANY_CALENDAR_READ] },
  user: {
    delegated: ['User.Read', 'User.ReadBasic.All', 'User.Read.All', 'Directory.Read.All'],
    app: ['User.ReadBasic.All', 'User.Read.All', 'Directory.Read.All'],
  },
  mailboxSettings: { delegated: ['MailboxSettings.Read', 'MailboxSettings.ReadWrite'], app: ['MailboxSettings.Read', 'MailboxSettings.ReadWrite'] },
};

export interface PipelineDeps {
  state: SimState;
  counters: Counters;
  throttle: MailboxThrottle;
  faults: Faults;
  /** The signed-in user's role on the calendar a route of another mailbox names, if its owner shared it with them. */
  sharedCalendarRole?: (req: GraphRequest) => CalendarRole | undefined;
}

/** Delegated permissions that reach calendars other people share with or delegate to the signed-in user. */
const SHARED_SCOPES = { read: ['Calendars.Read.Shared', 'Calendars.ReadWrite.Shared'], write: ['Calendars.ReadWrite.Shared'] } as const;

export interface ExecuteInput {
  caller: GraphCaller;
  method: string;
  /** Version-relative path with query, e.g. /me/events?$top=5. */
  url: string;
  headers: Record<string, string | undefined>;
  body: Buffer;
  ids: RequestIds;
}

export class GraphPipeline {
  private router = new Router();

  constructor(private deps: PipelineDeps) {}

  /** Registers a route; a /me pattern is registered for /users/{id|upn} too, counted as one endpoint. */
  route(method: string, pattern: string, access: Access, handler: GraphHandler): void {
    const isMailbox = pattern.startsWith('/me');
    const endpoint = `${method} ${isMailbox ? pattern.replace(/^\/me/, '/users/{user}') : pattern}`.replace(/:(\w+)/g, '{$1}');
    const meta: RouteMeta = { access, endpoint, mailbox: isMailbox, handler };
    const run = (req: SimRequest) => this.run(meta, req as GraphRequest);
    this.router.on(method, pattern, run);
    if (isMailbox) this.router.on(method, pattern.replace(/^\/me/, '/users/:user'), run);
  }

  /** Authenticates a top-level /v1.0 request and executes it. */
  async handleHttp(req: SimRequest): Promise<SimResponse> {
    const ids: RequestIds = {
      requestId: randomUUID(),
      clientRequestId: headerOf(req.headers['client-request-id']) ?? randomUUID(),
      date: this.deps.state.clock.date(),
    };
    let caller: GraphCaller;
    try {
      caller = await this.deps.state.identity.verifyGraphToken(headerOf(req.headers.authorization));
    } catch (error) {
      const e =
        error instanceof SimAuthError
          ? new GraphHttpError(error.status, error.code, error.message)
          : new GraphHttpError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
      if (e.status === 401) e.headers['WWW-Authenticate'] = 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';
      return errorResponse(e, ids);
    }
    const relative = req.url.pathname.replace(/^\/v1\.0/i, '') || '/';
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = headerOf(v);
    return this.execute({ caller, method: req.method, url: relative + req.url.search, headers, body: req.body, ids });
  }

  /** Runs one request (top-level or a $batch item) for an authenticated caller. */
  async execute(input: ExecuteInput): Promise<SimResponse> {
    const url = new URL(input.url, 'https://graph.microsoft.com');
    const query = canonicalQuery(url.searchParams);
    url.search = query.toString();
    const found = this.router.match(input.method, url.pathname);
    if (!found || 'allowed' in found) {
      this.deps.counters.count(`${input.method} (unmatched)`);
      const segment = url.pathname.split('/').filter(Boolean).pop() ?? '';
      const error = found
        ? new GraphHttpError(405, 'Request_BadRequest', `Specified HTTP method is not allowed for the request uri ${url.pathname}.`)
        : badRequest(`Resource not found for the segment '${decodeURIComponent(segment)}'.`);
      return errorResponse(error, input.ids);
    }
    const req = {
      method: input.method.toUpperCase(),
      path: url.pathname,
      query: url.searchParams,
      headers: input.headers,
      params: found.params,
      body: input.body,
      url,
      caller: input.caller,
      ids: input.ids,
      prefer: parsePrefer(input.headers),
      json<T>() {
        if (!input.body.length) throw badRequest('Empty Payload. JSON content expected.');
        try {
          return JSON.parse(input.body.toString('utf8')) as T;
        } catch {
          throw invalidJson();
        }
      },
    } as unknown as GraphRequest;
    const result = await found.handler(req, undefined as unknown as ServerResponse);
    return result as SimResponse;
  }

  private async run(meta: RouteMeta, req: GraphRequest): Promise<SimResponse> {
    req.endpoint = meta.endpoint;
    let release: (() => void) | undefined;
    try {
      if (meta.mailbox) req.mailbox = this.resolveMailbox(req);
      this.deps.counters.count(meta.endpoint, req.mailbox?.userPrincipalName);
      this.checkAccess(meta.access, req);
      if (meta.mailbox && meta.access !== 'user' && req.mailbox.mailboxLocation === 'onPremises') throw mailboxNotEnabled();
      if (meta.mailbox) {
        try {
          release = this.deps.throttle.acquire(req.caller.appId, req.mailbox.id);
        } catch (error) {
          this.deps.counters.throttled++;
          throw error;
        }
      }
      const fault = this.deps.faults.forRequest(meta.endpoint, req.mailbox?.id);
      if (fault.latencyMs) await sleep(fault.latencyMs);
      if (fault.error) throw fault.error;
      const result = await meta.handler(req);
      return { ...result, headers: { ...result.headers, ...idHeaders(req.ids), ...(result.body !== undefined && typeof result.body === 'object' ? { 'Content-Type': 'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8', 'OData-Version': '4.0' } : {}) } };
    } catch (error) {
      if (error instanceof GraphHttpError) return errorResponse(error, req.ids);
      console.error('graph simulator handler failed', error);
      return errorResponse(new GraphHttpError(500, 'generalException', 'An unexpected error occurred in the simulator.'), req.ids);
    } finally {
      release?.();
    }
  }

  private resolveMailbox(req: GraphRequest): SimUser {
    const { caller } = req;
    let user: SimUser | undefined;
    if (req.params.user === undefined) {
      if (!caller.userId) throw badRequest('/me request is only valid with delegated authentication flow.');
      user = this.deps.state.directory.users.get(caller.userId);
      if (!user) throw new GraphHttpError(404, 'ErrorInvalidUser', `The requested user '${caller.userId}' is invalid.`);
    } else {
      user = this.deps.state.directory.findUser(req.params.user);
      if (!user || user.tenantId !== caller.tenantId)
        throw new GraphHttpError(404, 'ErrorInvalidUser', `The requested user '${req.params.user}' is invalid.`);
    }
    return user;
  }

  private checkAccess(access: Access, req: GraphRequest): void {
    if (access === 'any') return;
    const { caller } = req;
    const delegated = Boolean(caller.userId);
    const granted = delegated ? caller.scopes : caller.roles;
    const needed = PERMISSIONS[access][delegated ? 'delegated' : 'app'];
    const ok = needed.some((p) => granted.has(p));
    // Delegated tokens reach the signed-in user's own mailbox; profiles of others need a directory-wide
    // scope; free/busy of others is allowed.
    const other = delegated && req.mailbox && req.mailbox.id !== caller.userId;
    if (other && (access === 'read' || access === 'write')) return this.checkSharedCalendar(access, req);
    if (access === 'user') {
      if (!ok || (other && !['User.ReadBasic.All', 'User.Read.All', 'Directory.Read.All'].some((p) => granted.has(p))))
        throw new GraphHttpError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
      return;
    }
    if (!ok || (other && access !== 'schedule')) throw accessDenied();
  }

  /**
   * Another person's calendar, addressed in their mailbox (/users/{owner}/calendar/... or
   * /users/{owner}/calendars/{id}/...): only one its owner shared with or delegated to the signed-in user,
   * with a role that allows the request (read for reads, write or delegate for writes), and only with a
   * .Shared permission; Calendars.ReadWrite alone reaches the user's own calendars and is answered
   * ErrorAccessDenied, as is a calendar not shared with them. Routes that do not name a calendar
   * (/users/{owner}/events, /calendarView) are refused the same way.
   * https://learn.microsoft.com/en-us/graph/outlook-get-shared-events-calendars ("If Garth has not shared
   * his default calendar with John ... will return an error"),
   * https://learn.microsoft.com/en-us/graph/outlook-create-event-in-shared-delegated-calendar,
   * https://learn.microsoft.com/en-us/graph/permissions-reference#calendarsreadwriteshared,
   * https://learn.microsoft.com/en-us/graph/api/resources/calendarpermission#calendarroletype-values
   */
  private checkSharedCalendar(access: 'read' | 'write', req: GraphRequest): void {
    const scoped = SHARED_SCOPES[access].some((p) => req.caller.scopes.has(p));
    const role = this.deps.sharedCalendarRole?.(req);
    if (!scoped || !role || !(access === 'read' ? READ_ROLES : WRITE_ROLES).includes(role)) throw accessDenied();
  }
}

/**
 * A mailbox Graph cannot serve (on an Exchange Server, not a Microsoft 365 mailbox): "HTTP error: 404, Error
 * code: MailboxNotEnabledForRESTAPI"
 * (https://learn.microsoft.com/en-us/exchange/troubleshoot/user-and-shared-mailboxes/rest-api-is-not-yet-supported-for-this-mailbox-error),
 * with the message Graph is seen to send
 * (https://learn.microsoft.com/en-us/answers/questions/1457213/unable-to-obtain-free-busy-time-of-calendar-using).
 */
const mailboxNotEnabled = () =>
  new GraphHttpError(404, 'MailboxNotEnabledForRESTAPI', 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.');

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
