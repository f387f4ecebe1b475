// /subscriptions for Outlook events: create (resource, changeType, expiry and clientState checks, the
// validation handshake to notificationUrl and lifecycleNotificationUrl, 409 for duplicates), get, list,
// renew (PATCH), delete and reauthorize. Expiry runs on the sim clock.
import { randomUUID } from 'node:crypto';
import type { GraphCaller, SimState, SimUser } from '../state.js';
import { GraphHttpError, badRequest, unknownProperty } from './errors.js';
import { GRAPH_ROOT } from './odata.js';
import type { GraphRequest } from './pipeline.js';
import type { GraphWorld } from './world.js';

export interface Subscription {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  expirationMs: number;
  clientState?: string;
  applicationId: string;
  creatorId: string;
  tenantId: string;
  mailboxId: string;
  /** Per-calendar subscriptions; undefined for /users/{id}/events (default calendar). */
  calendarId?: string;
  delegatedUserId?: string;
  /**
   * Created with Prefer: IdType="ImmutableId": notifications name events by immutable id; "existing
   * subscriptions created without the header continue to use the default ID format".
   * https://learn.microsoft.com/en-us/graph/outlook-immutable-id#immutable-id-with-change-notifications
   */
  immutableIds: boolean;
  /** Delegated: when the access the subscription was created or last renewed with lapses (sim clock). */
  accessExpiresMs?: number;
  /** The access expiry a reauthorizationRequired was sent for, before it lapses and when it lapsed. */
  challenged?: { beforeMs?: number; lapsedMs?: number };
  /** Set by a reauthorizationRequired: change notifications are held until a renewal or reauthorization. */
  paused?: { sinceMs: number; held: Record<string, unknown>[] };
}

const MAX_MINUTES = 10_080;
const MIN_MINUTES = 45;
const VALIDATION_TIMEOUT_MS = 10_000;

export class SubscriptionRegistry {
  private subs = new Map<string, Subscription>();
  constructor(private state: SimState) {}

  reset(): void {
    this.subs.clear();
  }

  /** Live subscriptions; expired ones are deleted as Graph does. */
  active(): Subscription[] {
    const now = this.state.clock.now();
    for (const [id, s] of this.subs) if (s.expirationMs <= now) this.subs.delete(id);
    return [...this.subs.values()];
  }

  get(id: string): Subscription | undefined {
    return this.active().find((s) => s.id === id);
  }

  add(sub: Subscription): void {
    this.subs.set(sub.id, sub);
  }

  delete(id: string): boolean {
    return this.subs.delete(id);
  }

  all(): Subscription[] {
    return this.active();
  }
}

const extensionError = (status: number, reason: string) =>
  new GraphHttpError(status, 'ExtensionError', `Operation: Create; Exception: [Status Code: ${statusName(status)}; Reason: ${reason}]`);
const statusName = (s: number) => ({ 400: 'BadRequest', 403: 'Forbidden', 404: 'NotFound' })[s] ?? String(s);
const notFound = () => new GraphHttpError(404, 'ResourceNotFound', 'The object was not found.');

export function subscriptionJson(sub: Subscription): Record<string, unknown> {
  return {
    '@odata.context': `${GRAPH_ROOT}/$metadata#subscriptions/$entity`,
    id: sub.id,
    resource: sub.resource,
    applicationId: sub.applicationId,
    changeType: sub.changeType,
    clientState: sub.clientState ?? null,
    notificationUrl: sub.notificationUrl,
    notificationQueryOptions: null,
    lifecycleNotificationUrl: sub.lifecycleNotificationUrl ?? null,
    expirationDateTime: new Date(sub.expirationMs).toISOString().replace(/Z$/, '0000Z'),
    creatorId: sub.creatorId,
    includeResourceData: false,
    latestSupportedTlsVersion: 'v1_2',
    encryptionCertificate: null,
    encryptionCertificateId: null,
    notificationUrlAppId: null,
  };
}

/**
 * Resolves a subscription resource to a mailbox and optional calendar, enforcing who may subscribe.
 * Documented for Outlook events: "Changes to all events in a user's mailbox: /users/{id}/events" (and
 * /me/events); any other form (a calendar's events, one event) is refused as Graph refuses a resource it
 * does not support, unless the allowUndocumented switch is on.
 * https://learn.microsoft.com/en-us/graph/api/resources/change-notifications-api-overview
 * https://learn.microsoft.com/en-us/graph/outlook-change-notifications-overview
 */
function resolveResource(world: GraphWorld, caller: GraphCaller, resource: string): { mailbox: SimUser; calendarId?: string } {
  const path = resource.trim().replace(/^\/+/, '').replace(/\/+$/, '');
  const documented = /^(me|users\/([^/]+))\/events$/i.exec(path);
  const undocumented = /^(me|users\/([^/]+))(?:\/calendar)?(?:\/calendars\/([^/]+))?\/events$/i.exec(path);
  const m = documented ?? (world.state.settings.allowUndocumented ? undocumented : null);
  if (!m) throw extensionError(400, `The value '${resource}' of parameter 'Resource' is not supported.`);
  let mailbox: SimUser | undefined;
  if (m[1]!.toLowerCase() === 'me') {
    if (!caller.userId) throw badRequest('/me request is only valid with delegated authentication flow.');
    mailbox = world.state.directory.users.get(caller.userId);
  } else mailbox = world.state.directory.findUser(decodeURIComponent(m[2]!));
  if (!mailbox || mailbox.tenantId !== caller.tenantId) throw extensionError(404, `The requested user '${m[2] ?? 'me'}' is invalid.`);
  // "Delegated permission supports subscribing to items in folders in only the signed-in user's mailbox."
  // https://learn.microsoft.com/en-us/graph/api/subscription-post-subscriptions#permissions
  if (caller.userId && caller.userId !== mailbox.id) throw extensionError(403, 'Forbidden');
  let calendarId: string | undefined;
  if (m[3]) {
    world.store.calendarsOf(mailbox);
    const calendar = world.store.calendar(mailbox.id, decodeURIComponent(m[3]));
    if (!calendar) throw extensionError(404, 'The specified object was not found in the store.');
    calendarId = calendar.isDefault ? undefined : calendar.id;
  }
  return { mailbox, calendarId };
}

function checkReadPermission(caller: GraphCaller): void {
  const granted = caller.userId ? caller.scopes : caller.roles;
  if (!['Calendars.Read', 'Calendars.ReadWrite'].some((p) => granted.has(p))) throw extensionError(403, 'Forbidden');
}

function parseExpiration(value: unknown, now: number): number {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw badRequest("The property 'expirationDateTime' is required and must be a DateTimeOffset.", 'InvalidRequest');
  if (ms <= now) throw badRequest('Subscription expiration can only be in the future.', 'InvalidRequest');
  if (ms - now > MAX_MINUTES * 60_000) throw extensionError(400, `Subscription expiration can only be ${MAX_MINUTES} minutes in the future.`);
  // Anything under 45 minutes is raised to 45 minutes from now.
  return Math.max(ms, now + MIN_MINUTES * 60_000);
}

function checkUrl(value: unknown, property: string): string {
  if (typeof value !== 'string') throw badRequest(`The property '${property}' is required.`, 'InvalidRequest');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badRequest(`Invalid '${property}': the value must be an absolute URL.`, 'InvalidRequest');
  }
  // Graph demands https; the simulator also accepts http so that local receivers work.
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badRequest(`The Uri scheme '${url.protocol.replace(':', '')}' is not allowed for the '${property}' property.`, 'InvalidRequest');
  return value;
}

/** The handshake: POST url?validationToken=..., expecting 200 text/plain echoing the decoded token within 10 s. */
async function validateEndpoint(url: string): Promise<void> {
  const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
  const target = `${url}${url.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(token)}`;
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      signal: AbortSignal.timeout(VALIDATION_TIMEOUT_MS),
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    throw badRequest(
      timedOut
        ? 'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request within 10 seconds.'
        : `Subscription validation request failed. Notification endpoint ${url} is not reachable.`,
      'ValidationError',
    );
  }
  const body = await response.text().catch(() => '');
  if (response.status !== 200) throw badRequest('Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.', 'ValidationError');
  if (!(response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/plain'))
    throw badRequest('Subscription validation request failed. Response must have Content-Type text/plain.', 'ValidationError');
  if (body !== token) throw badRequest('Subscription validation request failed. Response must exactly match validationToken query parameter.', 'ValidationError');
}

const WRITABLE = new Set(['changeType', 'notificationUrl', 'lifecycleNotificationUrl', 'resource', 'expirationDateTime', 'clientState', 'latestSupportedTlsVersion', 'includeResourceData', 'notificationQueryOptions', 'encryptionCertificate', 'encryptionCertificateId', 'notificationUrlAppId']);

export function registerSubscriptionRoutes(world: GraphWorld): void {
  const { pipeline, subscriptions } = world;
  const visible = (req: GraphRequest, id: string) => {
    const sub = subscriptions.get(id);
    if (!sub || sub.applicationId !== req.caller.appId || sub.tenantId !== req.caller.tenantId) throw notFound();
    return sub;
  };

  pipeline.route('POST', '/subscriptions', 'any', async (req) => {
    const body = req.json<Record<string, unknown>>();
    for (const key of Object.keys(body)) if (!WRITABLE.has(key) && !key.startsWith('@odata.')) throw unknownProperty(key, 'microsoft.graph.subscription');
    checkReadPermission(req.caller);
    const changeType = typeof body.changeType === 'string' ? body.changeType.split(',').map((s) => s.trim()).filter(Boolean) : [];
    if (!changeType.length || changeType.some((t) => !['created', 'updated', 'deleted'].includes(t)))
      throw badRequest("The property 'changeType' must be a comma-separated list of created, updated and deleted.", 'InvalidRequest');
    if (typeof body.resource !== 'string' || !body.resource.trim()) throw badRequest("The property 'resource' is required.", 'InvalidRequest');
    if (body.includeResourceData === true) throw badRequest('Rich notifications (includeResourceData) are not supported by the simulator.', 'InvalidRequest');
    const { mailbox, calendarId } = resolveResource(world, req.caller, body.resource);
    const now = world.state.clock.now();
    const expirationMs = parseExpiration(body.expirationDateTime, now);
    if (body.clientState !== undefined && body.clientState !== null && (typeof body.clientState !== 'string' || body.clientState.length > 128))
      throw badRequest('The clientState must be a string of at most 128 characters.', 'InvalidRequest');
    const notificationUrl = checkUrl(body.notificationUrl, 'notificationUrl');
    const lifecycleNotificationUrl =
      body.lifecycleNotificationUrl === undefined || body.lifecycleNotificationUrl === null ? undefined : checkUrl(body.lifecycleNotificationUrl, 'lifecycleNotificationUrl');
    const normalised = changeType.slice().sort().join(',');
    const refuseDuplicate = () => {
      const duplicate = subscriptions
        .active()
        .find((s) => s.applicationId === req.caller.appId && s.mailboxId === mailbox.id && s.calendarId === calendarId && s.changeType.split(',').sort().join(',') === normalised);
      if (duplicate) throw new GraphHttpError(409, 'ExtensionError', `Subscription Id ${duplicate.id} already exists for the requested combination`);
    };
    refuseDuplicate();
    await validateEndpoint(notificationUrl);
    if (lifecycleNotificationUrl) await validateEndpoint(lifecycleNotificationUrl);
    // Again after the handshakes: of two creates racing for one combination, one gets the 409.
    refuseDuplicate();
    const sub: Subscription = {
      id: randomUUID(),
      resource: body.resource,
      changeType: changeType.join(','),
      notificationUrl,
      lifecycleNotificationUrl,
      expirationMs,
      clientState: (body.clientState as string | undefined) ?? undefined,
      applicationId: req.caller.appId,
      creatorId: req.caller.userId ?? req.caller.appId,
      tenantId: req.caller.tenantId,
      mailboxId: mailbox.id,
      calendarId,
      delegatedUserId: req.caller.userId,
      immutableIds: req.prefer.immutableIds ?? false,
      accessExpiresMs: req.caller.userId ? req.caller.expiresAtMs : undefined,
    };
    subscriptions.add(sub);
    return { status: 201, body: subscriptionJson(sub) };
  });

  pipeline.route('GET', '/subscriptions', 'any', (req) => ({
    status: 200,
    body: {
      '@odata.context': `${GRAPH_ROOT}/$metadata#subscriptions`,
      value: subscriptions
        .active()
        .filter((s) => s.applicationId === req.caller.appId && s.tenantId === req.caller.tenantId && (!req.caller.userId || s.delegatedUserId === req.caller.userId))
        .map(subscriptionJson),
    },
  }));
  pipeline.route('GET', '/subscriptions/:id', 'any', (req) => ({ status: 200, body: subscriptionJson(visible(req, req.params.id!)) }));
  pipeline.route('PATCH', '/subscriptions/:id', 'any', async (req) => {
    const sub = visible(req, req.params.id!);
    const body = req.json<Record<string, unknown>>();
    for (const key of Object.keys(body))
      if (!['expirationDateTime', 'notificationUrl', '@odata.type'].includes(key))
        throw badRequest(`The property '${key}' cannot be updated on a subscription.`, 'InvalidRequest');
    const now = world.state.clock.now();
    const expirationMs = body.expirationDateTime !== undefined ? parseExpiration(body.expirationDateTime, now) : sub.expirationMs;
    if (body.notificationUrl !== undefined) {
      const url = checkUrl(body.notificationUrl, 'notificationUrl');
      if (url !== sub.notificationUrl) await validateEndpoint(url);
      sub.notificationUrl = url;
    }
    sub.expirationMs = expirationMs;
    // "Renewing your subscription also reauthorizes" it:
    // https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events#responding-to-reauthorizationrequired-notifications
    world.notifier.resume(sub, req.caller);
    return { status: 200, body: subscriptionJson(sub) };
  });
  pipeline.route('DELETE', '/subscriptions/:id', 'any', (req) => {
    subscriptions.delete(visible(req, req.params.id!).id);
    return { status: 204 };
  });
  pipeline.route('POST', '/subscriptions/:id/reauthorize', 'any', (req) => {
    const sub = visible(req, req.params.id!);
    checkReadPermission(req.caller);
    // https://learn.microsoft.com/en-us/graph/api/subscription-reauthorize
    world.notifier.resume(sub, req.caller);
    return { status: 204 };
  });
}

