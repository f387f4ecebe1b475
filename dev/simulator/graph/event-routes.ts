// Events CRUD on /me/events, /me/calendar/events, /me/calendars/{id}/events (and the /users/{id} forms):
// list with extended-property $filter/$expand, get, create (transactionId), PATCH/DELETE with If-Match,
// cancel, and instances of a series.
// https://learn.microsoft.com/en-us/graph/api/user-list-events, https://learn.microsoft.com/en-us/graph/api/user-post-events,
// https://learn.microsoft.com/en-us/graph/api/event-update, https://learn.microsoft.com/en-us/graph/api/event-delete,
// https://learn.microsoft.com/en-us/graph/api/event-cancel, https://learn.microsoft.com/en-us/graph/api/event-list-instances,
// extended properties: https://learn.microsoft.com/en-us/graph/api/singlevaluelegacyextendedproperty-get
import type { SimResponse } from '../router.js';
import { badRequest, itemNotFound } from './errors.js';
import {
  type EventView,
  findOccurrence,
  masterView,
  parseEventInput,
  parseOccurrenceId,
  serializeEvent,
  viewsInWindow,
} from './event-model.js';
import { cancelEvent, createEvent, deleteEvent, updateEvent } from './events.js';
import { GRAPH_ROOT, applySelect, pageOf } from './odata.js';
import type { GraphRequest } from './pipeline.js';
import { parseWindow } from './calendar-view.js';
import { resolveZone } from './timezones.js';
import { calendarOf } from './users-calendars.js';
import type { GraphWorld } from './world.js';

const COLLECTIONS = ['/me/events', '/me/calendar/events', '/me/calendars/:calendarId/events'];

/** The response zone: Prefer: outlook.timezone when Graph knows it, else UTC. */
export function responseZone(req: GraphRequest): { zoneName: string; headers: Record<string, string> } {
  const tz = req.prefer.timeZone;
  if (tz && resolveZone(tz)) return { zoneName: tz, headers: { 'Preference-Applied': `outlook.timezone="${tz}"` } };
  return { zoneName: 'UTC', headers: {} };
}

/** $expand=singleValueExtendedProperties($filter=id eq '...') -> which properties to include. */
function expandFilter(req: GraphRequest): ((p: { id: string }) => boolean) | undefined {
  const expand = req.query.get('$expand');
  if (!expand) return undefined;
  if (!/^\s*singleValueExtendedProperties\b/i.test(expand)) throw badRequest(`Parsing OData Select and Expand failed: Could not find a property named '${expand.split('(')[0]}' on type 'microsoft.graph.event'.`);
  const m = /\$filter\s*=\s*id\s+eq\s+'([^']+)'/i.exec(expand);
  return m ? (p) => p.id.toLowerCase() === m[1]!.toLowerCase() : () => true;
}

/** The only $filter the simulator evaluates: a lookup by extended property value (and by transactionId). */
function listFilter(req: GraphRequest): ((view: EventView) => boolean) | undefined {
  const filter = req.query.get('$filter');
  if (!filter) return undefined;
  const ext = /^\s*singleValueExtendedProperties\/any\(\s*(\w+)\s*:\s*\1\/id\s+eq\s+'([^']+)'\s+and\s+\1\/value\s+eq\s+'((?:[^']|'')*)'\s*\)\s*$/i.exec(filter);
  if (ext) {
    const id = ext[2]!.toLowerCase();
    const value = ext[3]!.replace(/''/g, "'");
    return (v) => v.event.extendedProperties.some((p) => p.id.toLowerCase() === id && p.value === value);
  }
  const tx = /^\s*transactionId\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter);
  if (tx) return (v) => v.event.transactionId === tx[1]!.replace(/''/g, "'");
  throw badRequest(`Invalid filter clause: the simulator supports singleValueExtendedProperties/any(...) and transactionId eq '...'.`, 'ErrorInvalidUrlQueryFilter');
}

/** Finds an event (or occurrence) of the route's mailbox and, for calendar routes, of that calendar. */
export function findEventView(world: GraphWorld, req: GraphRequest): EventView {
  const id = req.params.eventId!;
  // /events/{id} reaches any calendar of the mailbox; /calendar/events and /calendars/{id}/events only theirs.
  const calendarId =
    req.params.calendarId ?? (req.path.toLowerCase().includes('/calendar/events') ? world.store.defaultCalendar(req.mailbox).id : undefined);
  const inScope = (e: { mailboxId: string; calendarId: string }) => e.mailboxId === req.mailbox.id && (!calendarId || e.calendarId === calendarId);
  const direct = world.store.event(id);
  if (direct && inScope(direct)) return masterView(direct);
  const occ = parseOccurrenceId(id);
  const master = occ && world.store.event(occ.masterId);
  if (occ && master && inScope(master)) {
    const view = findOccurrence(master, occ.originalStartMs);
    if (view) return view;
  }
  throw itemNotFound();
}

export function registerEventRoutes(world: GraphWorld): void {
  const { pipeline, store } = world;
  const ctx = { state: world.state, store, meetings: world.meetings };
  const one = (req: GraphRequest, view: EventView, status = 200): SimResponse => {
    const { zoneName, headers } = responseZone(req);
    const body = serializeEvent(view, req.mailbox, { zoneName, immutableIds: req.prefer.immutableIds, expandProperties: expandFilter(req) });
    return {
      status,
      headers,
      body: { '@odata.context': `${GRAPH_ROOT}/$metadata#users('${req.mailbox.id}')/events/$entity`, ...applySelect(body, req.query.get('$select')) },
    };
  };

  for (const base of COLLECTIONS) {
    pipeline.route('GET', base, 'read', (req) => {
      const calendar = calendarOf(world, req);
      const filter = listFilter(req);
      const expand = expandFilter(req);
      const { zoneName, headers } = responseZone(req);
      const views = [...calendar.events.values()].map(masterView).filter((v) => !filter || filter(v));
      const page = pageOf(views, req, req.prefer);
      return {
        status: 200,
        headers: { ...headers, ...(page.sizeApplied ? { 'Preference-Applied': `odata.maxpagesize=${page.sizeApplied}` } : {}) },
        body: {
          '@odata.context': `${GRAPH_ROOT}/$metadata#users('${req.mailbox.id}')/events`,
          value: page.value.map((v) => applySelect(serializeEvent(v, req.mailbox, { zoneName, immutableIds: req.prefer.immutableIds, expandProperties: expand }), req.query.get('$select'))),
          ...(page.nextLink ? { '@odata.nextLink': page.nextLink } : {}),
        },
      };
    });
    pipeline.route('POST', base, 'write', (req) => {
      const calendar = calendarOf(world, req);
      const input = parseEventInput(req.json());
      const { event } = createEvent(ctx, req.mailbox, calendar, input);
      return one(req, masterView(event), 201);
    });
    pipeline.route('GET', `${base}/:eventId`, 'read', (req) => one(req, findEventView(world, req)));
    pipeline.route('PATCH', `${base}/:eventId`, 'write', (req) => {
      const view = findEventView(world, req);
      const input = parseEventInput(req.json());
      return one(req, updateEvent(ctx, view, input, req.headers['if-match'] as string | undefined));
    });
    pipeline.route('DELETE', `${base}/:eventId`, 'write', (req) => {
      deleteEvent(ctx, findEventView(world, req), req.headers['if-match'] as string | undefined);
      return { status: 204 };
    });
    pipeline.route('POST', `${base}/:eventId/cancel`, 'write', (req) => {
      const view = findEventView(world, req);
      if (req.body.length) {
        const body = req.json<Record<string, unknown>>();
        if (body.Comment !== undefined && typeof body.Comment !== 'string') throw badRequest("Cannot convert the literal to the expected type 'Edm.String'.", 'RequestBodyRead');
      }
      cancelEvent(ctx, req.mailbox, view);
      return { status: 202 };
    });
    pipeline.route('GET', `${base}/:eventId/instances`, 'read', (req) => {
      const view = findEventView(world, req);
      const { from, to } = parseWindow(req);
      const { zoneName, headers } = responseZone(req);
      const views = view.type === 'seriesMaster' ? viewsInWindow(view.event, from, to) : [];
      const page = pageOf(views, req, req.prefer);
      return {
        status: 200,
        headers,
        body: {
          value: page.value.map((v) => applySelect(serializeEvent(v, req.mailbox, { zoneName, immutableIds: req.prefer.immutableIds }), req.query.get('$select'))),
          ...(page.nextLink ? { '@odata.nextLink': page.nextLink } : {}),
        },
      };
    });
  }
}
