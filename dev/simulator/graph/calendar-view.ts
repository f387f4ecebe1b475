// calendarView (a window of single instances, occurrences and exceptions) and calendarView/delta: each
// round diffs the window against the snapshot kept for the previous round's delta token.
import { randomBytes } from 'node:crypto';
import type { SimClock } from '../state.js';
import { GraphHttpError, badRequest } from './errors.js';
import { type EventView, serializeEvent, viewId, viewsInWindow } from './event-model.js';
import { responseZone } from './event-routes.js';
import { GRAPH_ROOT, applySelect, pageOf } from './odata.js';
import type { GraphRequest } from './pipeline.js';
import type { StoredCalendar } from './store.js';
import { parseLocal } from './timezones.js';
import { calendarOf } from './users-calendars.js';
import type { GraphWorld } from './world.js';

/** startDateTime/endDateTime are required; without an offset they are UTC (Prefer does not apply). */
export function parseWindow(req: GraphRequest): { from: number; to: number } {
  const start = req.query.get('startDateTime') ?? req.query.get('StartDateTime');
  const end = req.query.get('endDateTime') ?? req.query.get('EndDateTime');
  if (!start || !end)
    throw badRequest(
      'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
      'ErrorInvalidParameter',
    );
  const from = parseLocal(start.trim(), 'UTC');
  const to = parseLocal(end.trim(), 'UTC');
  if (from === undefined || to === undefined)
    throw badRequest(`The value '${from === undefined ? start : end}' of parameter 'StartDateTime' or 'EndDateTime' is invalid.`, 'ErrorInvalidParameter');
  if (to < from) throw badRequest('The parameter EndDateTime must be later than StartDateTime.', 'ErrorInvalidParameter');
  return { from, to };
}

export function viewsOfCalendar(calendar: StoredCalendar, from: number, to: number): EventView[] {
  const views: EventView[] = [];
  for (const event of calendar.events.values()) views.push(...viewsInWindow(event, from, to));
  return views.sort((a, b) => a.startMs - b.startMs || a.id.localeCompare(b.id));
}

interface SyncState {
  mailboxId: string;
  calendarId: string;
  from: number;
  to: number;
  /** Stable key (immutable view id) -> changeKey and regular id of every item the client has seen in the window. */
  snapshot: Map<string, { changeKey: string; id: string }>;
  createdMs: number;
  path: string;
}

interface Round {
  next: SyncState;
  items: Record<string, unknown>[];
  offset: number;
  pageSize: number;
}

/** Delta and skip tokens. Delta tokens live 7 days of sim time (Outlook's limit is undocumented). */
export class DeltaTokens {
  static readonly TTL_MS = 7 * 24 * 3600_000;
  private tokens = new Map<string, SyncState>();
  private rounds = new Map<string, Round>();

  constructor(private clock: SimClock) {}

  reset(): void {
    this.tokens.clear();
    this.rounds.clear();
  }

  /** Forgets every delta token, as when Exchange evicts its delta token cache. */
  expireAll(): number {
    const n = this.tokens.size + this.rounds.size;
    this.reset();
    return n;
  }

  token(t: string): SyncState | undefined {
    const state = this.tokens.get(t);
    if (state && state.createdMs + DeltaTokens.TTL_MS < this.clock.now()) {
      this.tokens.delete(t);
      return undefined;
    }
    return state;
  }

  issueToken(state: SyncState): string {
    const t = randomBytes(24).toString('base64url');
    this.tokens.set(t, state);
    return t;
  }

  round(t: string): Round | undefined {
    return this.rounds.get(t);
  }

  issueRound(round: Round): string {
    const t = randomBytes(24).toString('base64url');
    this.rounds.set(t, round);
    return t;
  }
}

const syncStateNotFound = (location?: string) =>
  new GraphHttpError(
    410,
    // https://learn.microsoft.com/en-us/graph/delta-query-overview#synchronization-reset (410 Gone)
    'SyncStateNotFound',
    'The sync state is not found or has expired. Start a new synchronization without a delta or skip token.',
    location ? { Location: location } : {},
  );

export function registerCalendarViewRoutes(world: GraphWorld): void {
  const { pipeline, delta } = world;
  const bases = ['/me/calendarView', '/me/calendar/calendarView', '/me/calendars/:calendarId/calendarView'];
  for (const base of bases) {
    pipeline.route('GET', base, 'read', (req) => {
      const calendar = calendarOf(world, req);
      const { from, to } = parseWindow(req);
      const { zoneName, headers } = responseZone(req);
      let views = viewsOfCalendar(calendar, from, to);
      if (/^\s*start\/dateTime\s+desc\s*$/i.test(req.query.get('$orderby') ?? '')) views = views.reverse();
      const page = pageOf(views, req, req.prefer);
      return {
        status: 200,
        headers: { ...headers, ...(page.sizeApplied ? { 'Preference-Applied': `odata.maxpagesize=${page.sizeApplied}` } : {}) },
        body: {
          '@odata.context': `${GRAPH_ROOT}/$metadata#users('${req.mailbox.id}')/calendarView`,
          value: page.value.map((v) => applySelect(serializeEvent(v, req.mailbox, { zoneName, immutableIds: req.prefer.immutableIds }), req.query.get('$select'))),
          ...(page.nextLink ? { '@odata.nextLink': page.nextLink } : {}),
        },
      };
    });

    pipeline.route('GET', `${base}/delta`, 'read', (req) => {
      // v1.0 documents delta on /me/calendarView and /me/calendars/{id}/calendarView (and the /users/{id}
      // forms) only: https://learn.microsoft.com/en-us/graph/api/event-delta
      if (base === '/me/calendar/calendarView' && !world.state.settings.allowUndocumented)
        throw badRequest(`Resource not found for the segment 'delta'.`);
      const skip = req.query.get('$skiptoken');
      const deltaToken = req.query.get('$deltatoken');
      let round: Round | undefined;
      if (skip) {
        round = delta.round(skip);
        if (!round) throw syncStateNotFound();
      } else {
        let previous: SyncState | undefined;
        let window: { from: number; to: number };
        if (deltaToken) {
          previous = delta.token(deltaToken);
          if (!previous) throw syncStateNotFound();
          if (previous.mailboxId !== req.mailbox.id) throw syncStateNotFound();
          window = { from: previous.from, to: previous.to };
        } else window = parseWindow(req);
        const calendar = calendarOf(world, req);
        if (previous && previous.calendarId !== calendar.id) throw syncStateNotFound();
        round = computeRound(world, req, calendar, window, previous);
      }
      const page = round.items.slice(round.offset, round.offset + round.pageSize);
      const more = round.offset + round.pageSize < round.items.length;
      const path = round.next.path;
      const link = more
        ? { '@odata.nextLink': `${GRAPH_ROOT}${path}?$skiptoken=${delta.issueRound({ ...round, offset: round.offset + round.pageSize })}` }
        : { '@odata.deltaLink': `${GRAPH_ROOT}${path}?$deltatoken=${delta.issueToken({ ...round.next, createdMs: world.state.clock.now() })}` };
      return {
        status: 200,
        headers: responseZone(req).headers,
        body: { '@odata.context': `${GRAPH_ROOT}/$metadata#Collection(event)`, value: page, ...link },
      };
    });
  }
}

function computeRound(
  world: GraphWorld,
  req: GraphRequest,
  calendar: StoredCalendar,
  window: { from: number; to: number },
  previous: SyncState | undefined,
): Round {
  const { zoneName } = responseZone(req);
  const immutableIds = req.prefer.immutableIds;
  const views = viewsOfCalendar(calendar, window.from, window.to);
  const snapshot = new Map(views.map((v) => [viewId(v, true), { changeKey: v.changeKey, id: v.id }]));
  // Every item carries its @odata.type, as in the reference's sample responses:
  // https://learn.microsoft.com/en-us/graph/api/event-delta#response-1
  const items: Record<string, unknown>[] = [];
  for (const v of views)
    if (previous?.snapshot.get(viewId(v, true))?.changeKey !== v.changeKey)
      items.push({ '@odata.type': '#microsoft.graph.event', ...serializeEvent(v, req.mailbox, { zoneName, immutableIds }) });
  // Removed items are named by the id the request asked for (regular ids change on a move; immutable do not).
  const removed = new Map<string, string>();
  if (previous) {
    for (const [key, seen] of previous.snapshot) if (!snapshot.has(key)) removed.set(key, immutableIds ? key : seen.id);
    // Graph also reports, as removed, events outside the window that changed since the last round.
    const inWindow = new Set(views.map((v) => v.event.id));
    for (const event of calendar.events.values())
      if (event.lastModifiedMs > previous.createdMs && !inWindow.has(event.id) && !previous.snapshot.has(event.immutableId))
        removed.set(event.immutableId, immutableIds ? event.immutableId : event.id);
    for (const t of calendar.tombstones)
      if (t.deletedMs > previous.createdMs && !previous.snapshot.has(t.immutableId)) removed.set(t.immutableId, immutableIds ? t.immutableId : t.id);
  }
  for (const id of removed.values()) items.push({ '@odata.type': '#microsoft.graph.event', id, '@removed': { reason: 'deleted' } });
  const path = req.path.replace(/\/$/, '');
  return {
    next: { mailboxId: req.mailbox.id, calendarId: calendar.id, from: window.from, to: window.to, snapshot, createdMs: 0, path },
    items,
    offset: 0,
    pageSize: Math.min(req.prefer.maxPageSize ?? 10, 1000),
  };
}
