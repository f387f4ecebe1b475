// Control API for the Graph side, under /_sim/graph (JSON; see docs/simulator-graph.md): calendars and
// events changed "as the user in Outlook" (notifications fire), faults, limits, counters, notification
// deliveries, endpoint health, meetings (rooms' calendar processing, messages) and delta-token expiry. Lifecycle
// notifications have no call of their own: they follow the clock, revocations and drop faults, as in Microsoft 365.
// The Outlook-side changes it makes are what Graph reports: https://learn.microsoft.com/en-us/graph/outlook-change-notifications-overview
import { z } from 'zod';
import type { Router, SimRequest, SimResponse } from './router.js';
import type { SimUser } from './state.js';
import { GraphHttpError } from './graph/errors.js';
import { findOccurrence, masterView, parseEventInput, parseOccurrenceId, serializeEvent, type EventView } from './graph/event-model.js';
import { ATTENDEE_RESPONSES, createEvent, deleteEvent, setAttendeeResponse, updateEvent } from './graph/events.js';
import { viewsOfCalendar } from './graph/calendar-view.js';
import { parseLocal } from './graph/timezones.js';
import { parsePrefer } from './graph/odata.js';
import { subscriptionJson } from './graph/subscriptions.js';
import { OUTLOOK_LIMITS, type Fault } from './graph/throttling.js';
import { calendarJson } from './graph/users-calendars.js';
import { ONLINE_MEETING_PROVIDERS } from './graph/online-meetings.js';
import { CALENDAR_ROLES, type CalendarRole } from './graph/store.js';
import type { GraphWorld } from './graph/world.js';
import { workingHoursInput, workingHoursJson } from './graph/working-hours.js';

type Handler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

const calendarProcessingPatch = z
  .object({
    automateProcessing: z.enum(['AutoAccept', 'AutoUpdate', 'None']),
    allowConflicts: z.boolean(),
    allBookInPolicy: z.boolean(),
    resourceDelegates: z.array(z.string().email()),
  })
  .partial()
  .strict();

const onlineMeetingSettings = z
  .object({
    allowedOnlineMeetingProviders: z.array(z.enum(ONLINE_MEETING_PROVIDERS)).min(1),
    defaultOnlineMeetingProvider: z.enum(ONLINE_MEETING_PROVIDERS),
  })
  .partial()
  .strict();

const fail = (status: number, code: string, message: string) => new GraphHttpError(status, code, message);

function json<T>(req: SimRequest): T {
  if (!req.body.length) return {} as T;
  try {
    return JSON.parse(req.body.toString('utf8')) as T;
  } catch {
    throw fail(400, 'invalid_json', 'The body is not valid JSON.');
  }
}

export function registerGraphControl(router: Router, world: GraphWorld): void {
  const { store } = world;
  const ctx = { state: world.state, store, meetings: world.meetings };
  const on = (method: string, pattern: string, handler: Handler) =>
    router.on(method, `/_sim/graph${pattern}`, async (req) => {
      try {
        return await handler(req);
      } catch (error) {
        if (error instanceof GraphHttpError) return { status: error.status, body: { error: { code: error.code, message: error.message } } };
        throw error;
      }
    });
  const user = (req: SimRequest): SimUser => {
    const u = world.state.directory.findUser(req.params.user!) ?? world.state.directory.findByMail(req.params.user!);
    if (!u) throw fail(404, 'user_not_found', `No user or room '${req.params.user}'.`);
    return u;
  };
  const calendar = (u: SimUser, id: string | undefined) => {
    if (!id || id === 'default') return store.defaultCalendar(u);
    store.calendarsOf(u);
    const c = store.calendar(u.id, id);
    if (!c) throw fail(404, 'calendar_not_found', `No calendar '${id}' for ${u.userPrincipalName}.`);
    return c;
  };
  const event = (u: SimUser, id: string) => {
    const e = store.event(id);
    if (!e || e.mailboxId !== u.id) throw fail(404, 'event_not_found', `No event '${id}' in ${u.userPrincipalName}.`);
    return e;
  };
  /** An event, or one occurrence of a series by its occurrence id, as the person sees it in Outlook. */
  const eventOrOccurrence = (u: SimUser, id: string): EventView => {
    const occ = store.event(id) ? undefined : parseOccurrenceId(id);
    if (!occ) return masterView(event(u, id));
    const view = findOccurrence(event(u, occ.masterId), occ.originalStartMs);
    if (!view) throw fail(404, 'event_not_found', `No occurrence '${id}' in ${u.userPrincipalName}.`);
    return view;
  };
  // Answers in UTC, with immutable ids when the caller sends Prefer: IdType="ImmutableId", as Graph would.
  const utcFor = (req: SimRequest) => ({ zoneName: 'UTC', immutableIds: parsePrefer(req.headers).immutableIds });

  on('GET', '/users/:user/calendars', (req) => {
    const u = user(req);
    return { status: 200, body: { value: store.calendarsOf(u).map((c) => calendarJson(c, u)) } };
  });
  on('POST', '/users/:user/calendars', (req) => {
    const u = user(req);
    const body = json<{ name?: string; color?: string }>(req);
    if (!body.name) throw fail(400, 'invalid_request', 'name is required.');
    return { status: 201, body: calendarJson(store.addCalendar(u, body.name, body.color), u) };
  });
  // An administrator's online meeting settings for a calendar (see graph/online-meetings.ts).
  on('PATCH', '/users/:user/calendars/:calendarId', (req) => {
    const u = user(req);
    const c = calendar(u, req.params.calendarId);
    const patch = onlineMeetingSettings.safeParse(json(req));
    if (!patch.success) throw fail(400, 'invalid_request', patch.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    Object.assign(c, patch.data);
    if (!c.allowedOnlineMeetingProviders.includes(c.defaultOnlineMeetingProvider)) c.defaultOnlineMeetingProvider = c.allowedOnlineMeetingProviders[0] ?? 'unknown';
    return { status: 200, body: calendarJson(c, u) };
  });

  // The owner shares a calendar ('default' for the default one) in Outlook and the sharee accepts: the
  // calendar appears in the sharee's /me/calendars and is reachable in the owner's mailbox with the role
  // given ('none' takes the share back).
  on('PUT', '/users/:user/calendars/:calendarId/permissions/:sharee', (req) => {
    const owner = user(req);
    const c = calendar(owner, req.params.calendarId);
    const sharee = world.state.directory.findUser(req.params.sharee!) ?? world.state.directory.findByMail(req.params.sharee!);
    if (!sharee || sharee.tenantId !== owner.tenantId) throw fail(404, 'user_not_found', `No user '${req.params.sharee}' in the owner's tenant.`);
    const { role } = json<{ role?: string }>(req);
    if (!CALENDAR_ROLES.includes(role as CalendarRole)) throw fail(400, 'invalid_role', `role must be one of ${CALENDAR_ROLES.join(', ')}.`);
    store.share(owner, c.id, sharee.id, role as CalendarRole);
    return { status: 200, body: { calendarId: c.id, owner: owner.mail, sharee: sharee.mail, role } };
  });
  on('GET', '/users/:user/calendars/:calendarId/events', (req) => {
    const u = user(req);
    const c = calendar(u, req.params.calendarId);
    const start = req.query.get('startDateTime');
    const end = req.query.get('endDateTime');
    const views =
      start && end
        ? viewsOfCalendar(c, parseLocal(start, 'UTC') ?? 0, parseLocal(end, 'UTC') ?? 0)
        : [...c.events.values()].map(masterView);
    return { status: 200, body: { value: views.map((v) => serializeEvent(v, u, { ...utcFor(req), expandProperties: () => true })) } };
  });
  on('POST', '/users/:user/events', (req) => {
    const u = user(req);
    const body = json<Record<string, unknown>>(req);
    const { calendarId, ...rest } = body;
    const { event: e } = createEvent(ctx, u, calendar(u, calendarId as string | undefined), parseEventInput(rest));
    return { status: 201, body: serializeEvent(masterView(e), u, utcFor(req)) };
  });
  on('PATCH', '/users/:user/events/:eventId', (req) => {
    const u = user(req);
    const view = updateEvent(ctx, eventOrOccurrence(u, req.params.eventId!), parseEventInput(json(req)));
    return { status: 200, body: serializeEvent(view, u, utcFor(req)) };
  });
  // The person drags the event to another of their calendars in Outlook (Graph v1.0 has no move for events).
  on('POST', '/users/:user/events/:eventId/move', (req) => {
    const u = user(req);
    const e = event(u, req.params.eventId!);
    const target = calendar(u, json<{ calendarId?: string }>(req).calendarId);
    if (target.id === e.calendarId) throw fail(400, 'invalid_request', 'The event is already in that calendar.');
    const was = store.move(e, target);
    store.emit('deleted', e, was);
    store.emit('created', e);
    return { status: 200, body: serializeEvent(masterView(e), u, utcFor(req)) };
  });
  on('DELETE', '/users/:user/events/:eventId', (req) => {
    const u = user(req);
    deleteEvent(ctx, eventOrOccurrence(u, req.params.eventId!));
    return { status: 204 };
  });

  on('POST', '/users/:user/events/:eventId/responses', (req) => {
    const u = user(req);
    const e = event(u, req.params.eventId!);
    const body = json<{ attendee?: unknown; response?: unknown }>(req);
    if (typeof body.attendee !== 'string') throw fail(400, 'invalid_request', 'attendee (an email address) is required.');
    if (!ATTENDEE_RESPONSES.includes(body.response as (typeof ATTENDEE_RESPONSES)[number]))
      throw fail(400, 'invalid_request', `response must be one of ${ATTENDEE_RESPONSES.join(', ')}.`);
    setAttendeeResponse(ctx, e, body.attendee, body.response as (typeof ATTENDEE_RESPONSES)[number]);
    return { status: 200, body: serializeEvent(masterView(e), u, utcFor(req)) };
  });

  // A room's booking policy, as an Exchange admin sets it with Set-CalendarProcessing (see graph/meetings.ts).
  const room = (req: SimRequest): SimUser => {
    const u = user(req);
    if (u.kind !== 'room') throw fail(400, 'not_a_room', `${u.userPrincipalName} is not a room mailbox.`);
    return u;
  };
  on('GET', '/rooms/:user/calendar-processing', (req) => ({ status: 200, body: world.meetings.policyOf(room(req)) }));
  on('PATCH', '/rooms/:user/calendar-processing', (req) => {
    const r = room(req);
    const parsed = calendarProcessingPatch.safeParse(json(req));
    if (!parsed.success) throw fail(400, 'invalid_request', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    return { status: 200, body: world.meetings.setPolicy(r, parsed.data) };
  });
  // Requests waiting for a delegate of the room, and the delegate's decision.
  on('GET', '/rooms/:user/requests', (req) => {
    const r = room(req);
    return { status: 200, body: { value: world.meetings.pendingApprovals(r).map((e) => serializeEvent(masterView(e), world.state.directory.users.get(e.mailboxId)!, utcFor(req))) } };
  });
  on('POST', '/rooms/:user/requests/:eventId', (req) => {
    const r = room(req);
    const { response } = json<{ response?: unknown }>(req);
    if (response !== 'accepted' && response !== 'declined') throw fail(400, 'invalid_request', 'response must be accepted or declined.');
    world.meetings.decide(r, req.params.eventId!, response);
    return { status: 204 };
  });
  // What arrived in a mailbox: meeting requests, updates and cancellations, and the answers to the organizer.
  on('GET', '/users/:user/messages', (req) => ({ status: 200, body: { value: world.meetings.messages(user(req)) } }));

  // The user changes their working hours in Outlook (what PATCH /me/mailboxSettings would do):
  // https://learn.microsoft.com/en-us/graph/api/user-update-mailboxsettings
  on('PATCH', '/users/:user/working-hours', (req) => {
    const u = user(req);
    const parsed = workingHoursInput.safeParse(json(req));
    if (!parsed.success) throw fail(400, 'ErrorInvalidRequest', `${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
    u.workingHours = parsed.data;
    return { status: 200, body: workingHoursJson(u) };
  });
  on('GET', '/faults', () => ({ status: 200, body: { value: world.faults.list } }));
  on('POST', '/faults', (req) => {
    const body = json<Omit<Fault, 'id'>>(req);
    if (body.status !== undefined && ![429, 503, 504].includes(body.status)) throw fail(400, 'invalid_request', 'status must be 429, 503 or 504.');
    for (const rate of [body.errorRate, body.dropNotifications, body.duplicateNotifications])
      if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate <= 1)) throw fail(400, 'invalid_request', 'rates are numbers from 0 to 1.');
    return { status: 201, body: world.faults.add(body) };
  });
  on('DELETE', '/faults', () => {
    world.faults.list.length = 0;
    return { status: 204 };
  });
  on('DELETE', '/faults/:id', (req) => {
    const i = world.faults.list.findIndex((f) => f.id === req.params.id);
    if (i < 0) throw fail(404, 'fault_not_found', 'No such fault.');
    world.faults.list.splice(i, 1);
    return { status: 204 };
  });
  on('GET', '/limits', () => ({ status: 200, body: world.throttle.limits }));
  on('PUT', '/limits', (req) => {
    const body = json<Partial<typeof OUTLOOK_LIMITS>>(req);
    world.throttle.limits = { ...OUTLOOK_LIMITS, ...body };
    return { status: 200, body: world.throttle.limits };
  });

  on('GET', '/counters', () => ({ status: 200, body: world.counters.toJSON() }));
  on('DELETE', '/counters', () => {
    world.counters.reset();
    return { status: 204 };
  });

  on('GET', '/notifications', (req) => {
    const status = req.query.get('status');
    const subscriptionId = req.query.get('subscriptionId');
    const value = world.notifier.deliveries
      .filter((d) => !status || d.status === status)
      .filter((d) => !subscriptionId || d.payload.value.some((n) => n.subscriptionId === subscriptionId))
      .map(({ inFlight: _inFlight, ...d }) => d);
    return { status: 200, body: { value } };
  });
  // Notification URLs as Graph judges them: normal, slow (new notifications wait 10 minutes) or drop.
  on('GET', '/endpoints', () => ({ status: 200, body: { value: world.notifier.endpoints() } }));
  on('DELETE', '/notifications', () => {
    world.notifier.reset();
    return { status: 204 };
  });
  // Graph's shape, plus whether delivery is paused (by a reauthorizationRequired) and how much it holds.
  on('GET', '/subscriptions', () => ({
    status: 200,
    body: { value: world.subscriptions.all().map((s) => ({ ...subscriptionJson(s), paused: Boolean(s.paused), held: s.paused?.held.length ?? 0 })) },
  }));
  on('POST', '/delta/expire', () => ({ status: 200, body: { expired: world.delta.expireAll() } }));
}
