// POST /api/availability: bookable slots for up to 50 participants of the caller (connections and spaces),
// in groups that need every member free (`all`) or at least N of them (round-robin), inside working hours,
// with buffers around events, minimum notice, a horizon, slot length and alignment, and on request the
// reason each candidate slot was not offered.
// Reads: the connection rows 14 to a query (only what availability needs) and, at the same time, the
// participants' busy summaries, 14 to a query (one row per participant holding its whole busy cache,
// kept by push sync: shared/sync/busy-summary.ts; an owner without one yet is read from its busy
// partition); a participant the cache cannot answer is read live, a few at a time, each one $batch against
// its own mailbox. Working hours come from the connection row (mailbox-working-hours.ts), never from Graph
// per request.
import * as z from 'zod';
import { externalId } from '../bookings/booking-request.js';
import { requireConnection } from '../bookings/connection-access.js';
import { AppError } from '../errors/app-error.js';
import type { Services } from '../services.js';
import { spaceAsOwner, spaceOwnerId, type CalendarOwner } from '../spaces/space-owner.js';
import { readBusySummaries } from '../sync/busy-summary.js';
import type { BusySummaryEntity } from '../store/repositories/busy.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import type { Interval } from '../time/intervals.js';
import { DAYS_OF_WEEK, workingHoursSchema, workingIntervals, type WorkingHours } from '../time/working-hours.js';
import { ianaZoneFor } from '../time/windows-zones.js';
import { parseDateTime, toUtcIso } from '../time/zoned-time.js';
import { busySpansFromSummary, readBusyLive, readBusySpansFromCache, type BusySpans } from './busy.js';
import { refreshWorkingHours } from './mailbox-working-hours.js';
import { findSlots, type SlotGroup } from './slots.js';
import { checkWindow, isoInstant, windowOf } from './time-window.js';

export const MAX_AVAILABILITY_CONNECTIONS = 50;
/** Participants whose busy time (or working hours, on first use) is read live from Graph at once. */
export const AVAILABILITY_CONCURRENCY = 8;
export const MAX_SLOTS = 5000;
const MAX_GROUPS = 10;
const DAY_MINUTES = 24 * 60;

const uniqueIds = z
  .array(externalId)
  .max(MAX_AVAILABILITY_CONNECTIONS)
  .refine((ids) => new Set(ids).size === ids.length, { message: 'ids must be unique' });

const group = z
  .strictObject({
    connectionIds: uniqueIds.optional(),
    spaceIds: uniqueIds.optional(),
    minimumFree: z.number().int().min(1).optional().describe('members that must be free; leave out for all of them'),
  })
  .superRefine((g, ctx) => {
    const size = (g.connectionIds?.length ?? 0) + (g.spaceIds?.length ?? 0);
    if (size === 0) ctx.addIssue({ code: 'custom', path: ['connectionIds'], message: 'a group needs at least one connection or space' });
    else if (g.minimumFree !== undefined && g.minimumFree > size) ctx.addIssue({ code: 'custom', path: ['minimumFree'], message: `the group has only ${size} members` });
  });

/** Working hours given by the request, for every participant. */
const workingHoursOverride = z.strictObject({
  daysOfWeek: z.array(z.enum(DAYS_OF_WEEK)).min(1).max(7),
  startTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'hh:mm'),
  endTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'hh:mm'),
  timeZone: z
    .string()
    .max(100)
    .refine((name) => ianaZoneFor(name) !== undefined, { message: 'an IANA or Windows time zone name' }),
});

const minutes = (max: number) => z.number().int().min(0).max(max);

export const availabilityRequest = z
  .strictObject({
    connectionIds: uniqueIds.optional().describe('connections that must all be free'),
    spaceIds: uniqueIds.optional().describe('spaces (rooms) that must all be free'),
    groups: z.array(group).min(1).max(MAX_GROUPS).optional().describe('further groups, each needing all or `minimumFree` of its members free'),
    start: isoInstant,
    end: isoInstant,
    durationMinutes: z.number().int().min(5).max(DAY_MINUTES),
    /** Step between slot starts; defaults to alignMinutes, else the duration. */
    slotMinutes: z.number().int().min(5).max(DAY_MINUTES).optional(),
    alignMinutes: z
      .number()
      .int()
      .min(5)
      .max(DAY_MINUTES)
      .refine((m) => DAY_MINUTES % m === 0, { message: 'must divide a day (5, 10, 15, 20, 30, 60, ...)' })
      .optional()
      .describe('slots start on multiples of this on the UTC clock (15: :00, :15, :30, :45)'),
    bufferBeforeMinutes: minutes(DAY_MINUTES).optional().describe('free time needed before each existing event'),
    bufferAfterMinutes: minutes(DAY_MINUTES).optional().describe('free time needed after each existing event'),
    minimumNoticeMinutes: minutes(365 * DAY_MINUTES).optional().describe('no slot starts sooner than this from now'),
    maximumHorizonDays: z.number().int().min(0).max(3650).optional().describe('no slot starts later than this many days from now'),
    workingHours: z
      .union([z.literal('mailbox'), workingHoursOverride])
      .optional()
      .describe("`mailbox`: each connection's own working hours (Outlook's settings); or hours for everyone; left out: any time"),
    refreshWorkingHours: z.boolean().optional().describe('read the mailboxes\' working hours from Microsoft 365 again first (one Graph call each)'),
    explain: z.boolean().optional().describe('list every candidate slot not offered, with the reasons'),
  })
  .superRefine(checkWindow)
  .superRefine((r, ctx) => {
    const members = participantsOf(r);
    if (members.length === 0) ctx.addIssue({ code: 'custom', path: ['connectionIds'], message: 'name at least one connection or space' });
    if (members.length > MAX_AVAILABILITY_CONNECTIONS)
      ctx.addIssue({ code: 'custom', path: ['connectionIds'], message: `at most ${MAX_AVAILABILITY_CONNECTIONS} participants in all` });
    if (r.alignMinutes && r.slotMinutes && r.slotMinutes % r.alignMinutes !== 0)
      ctx.addIssue({ code: 'custom', path: ['slotMinutes'], message: 'must be a multiple of alignMinutes' });
  });

export type AvailabilityRequest = z.output<typeof availabilityRequest>;
type ParsedRequest = AvailabilityRequest;

const participantRef = { connectionId: z.string().optional(), spaceId: z.string().optional() };
const reasonSchema = z.enum(['busy', 'buffer', 'outside_working_hours', 'notice', 'horizon']);

export const availabilityResponse = z.object({
  start: z.string(),
  end: z.string(),
  durationMinutes: z.number(),
  slotMinutes: z.number(),
  slots: z
    .array(
      z.object({
        start: z.string(),
        end: z.string(),
        free: z
          .object({ connectionIds: z.array(z.string()), spaceIds: z.array(z.string()) })
          .optional()
          .describe('who is free in this slot; given when a group needs fewer than all its members (round-robin)'),
      }),
    )
    .describe(`bookable, UTC; at most ${MAX_SLOTS}`),
  truncated: z.boolean(),
  unavailable: z
    .array(z.object({ start: z.string(), end: z.string(), reasons: z.array(z.object({ reason: reasonSchema, ...participantRef })) }))
    .optional()
    .describe(`with explain: each candidate slot not offered and why (at most ${MAX_SLOTS})`),
  connections: z.array(
    z.object({
      connectionId: z.string(),
      source: z.enum(['cache', 'live']),
      asOf: z.string(),
      workingHours: z.enum(['mailbox', 'request', 'unknown']).optional().describe('whose working hours applied, when asked for'),
    }),
  ),
  spaces: z.array(z.object({ spaceId: z.string(), source: z.enum(['cache', 'live']), asOf: z.string() })).optional(),
});

export type AvailabilityResponse = z.infer<typeof availabilityResponse>;

interface Member {
  kind: 'connection' | 'space';
  id: string;
  /** The request field that first named it, for problems. */
  field: string;
}

/** Every participant once, in the order the request names them, and the groups over them. */
function participantsOf(r: Pick<ParsedRequest, 'connectionIds' | 'spaceIds' | 'groups'>): Member[] {
  return planOf(r).members;
}

function planOf(r: Pick<ParsedRequest, 'connectionIds' | 'spaceIds' | 'groups'>): { members: Member[]; groups: SlotGroup[] } {
  const members: Member[] = [];
  const index = new Map<string, number>();
  const add = (kind: Member['kind'], ids: readonly string[] | undefined, prefix: string): number[] =>
    (ids ?? []).map((id, i) => {
      const key = `${kind}:${id}`;
      let at = index.get(key);
      if (at === undefined) {
        at = members.push({ kind, id, field: `${prefix}.${i}` }) - 1;
        index.set(key, at);
      }
      return at;
    });
  const required = [...add('connection', r.connectionIds, 'connectionIds'), ...add('space', r.spaceIds, 'spaceIds')];
  const groups: SlotGroup[] = required.length ? [{ members: required, minimum: required.length }] : [];
  (r.groups ?? []).forEach((g, i) => {
    const m = [...add('connection', g.connectionIds, `groups.${i}.connectionIds`), ...add('space', g.spaceIds, `groups.${i}.spaceIds`)];
    groups.push({ members: m, minimum: g.minimumFree ?? m.length });
  });
  return { members, groups };
}

/** What availability reads of a connection row: not the token cache. */
const CONNECTION_FIELDS = ['status', 'upn', 'busyCalendarIds__json', 'busyShowAs__json', 'workingHours__json', 'workingHoursReadAt'];

export async function findAvailability(services: Services, clientId: string, r: AvailabilityRequest): Promise<AvailabilityResponse> {
  const window = windowOf(r);
  const { members, groups } = planOf(r);
  const bufferBeforeMs = (r.bufferBeforeMinutes ?? 0) * 60_000;
  const bufferAfterMs = (r.bufferAfterMinutes ?? 0) * 60_000;
  // Events just outside the window still matter through their buffers.
  const busyWindow = { start: new Date(window.start.getTime() - bufferAfterMs), end: new Date(window.end.getTime() + bufferBeforeMs) };
  // The busy summaries are keyed by ids the request already names, so they are read alongside the rows
  // rather than after them; nothing read is used before the row shows the participant is the caller's.
  const summaries = readBusySummaries(services.store, clientId, members.map((m) => ownerIdOf(clientId, m)));
  summaries.catch(() => undefined); // awaited below unless a participant is refused first
  // Every participant is checked before any Graph call, so a bad id costs nothing.
  const owners = await loadOwners(services, clientId, members);
  const [busy, hours] = await Promise.all([readAllBusy(services, clientId, owners, members, busyWindow, await summaries), workingHoursOf(services, r, owners, members)]);

  const span: Interval = { start: window.start.getTime(), end: window.end.getTime() };
  const durationMs = r.durationMinutes * 60_000;
  const slotMinutes = r.slotMinutes ?? r.alignMinutes ?? r.durationMinutes;
  const now = Date.now();
  const answer = findSlots(
    members.map((_, i) => ({
      busy: busy[i]!.spans,
      working: hours[i]?.hours && workingIntervals(hours[i]!.hours!, span),
    })),
    groups,
    {
      window: span,
      durationMs,
      stepMs: slotMinutes * 60_000,
      anchor: r.alignMinutes ? 0 : span.start,
      bufferBeforeMs,
      bufferAfterMs,
      earliest: r.minimumNoticeMinutes === undefined ? -Infinity : now + r.minimumNoticeMinutes * 60_000,
      latest: r.maximumHorizonDays === undefined ? Infinity : now + r.maximumHorizonDays * 86_400_000,
      limit: MAX_SLOTS,
      explain: r.explain ?? false,
    },
  );
  const ref = (i: number) => (members[i]!.kind === 'connection' ? { connectionId: members[i]!.id } : { spaceId: members[i]!.id });
  const idsOf = (indices: number[], kind: Member['kind']) => indices.filter((i) => members[i]!.kind === kind).map((i) => members[i]!.id);
  const spaces = members.flatMap((m, i) => (m.kind === 'space' ? [{ spaceId: m.id, source: busy[i]!.source, asOf: busy[i]!.asOf.toISOString() }] : []));
  return {
    start: toUtcIso(span.start),
    end: toUtcIso(span.end),
    durationMinutes: r.durationMinutes,
    slotMinutes,
    slots: answer.slots.map((s) => ({
      start: toUtcIso(s.start),
      end: toUtcIso(s.end),
      ...(s.free ? { free: { connectionIds: idsOf(s.free, 'connection'), spaceIds: idsOf(s.free, 'space') } } : {}),
    })),
    truncated: answer.truncated,
    ...(answer.unavailable
      ? {
          unavailable: answer.unavailable.map((u) => ({
            start: toUtcIso(u.start),
            end: toUtcIso(u.end),
            reasons: u.reasons.map(({ reason, participant }) => ({ reason, ...(participant === undefined ? {} : ref(participant)) })),
          })),
        }
      : {}),
    connections: members.flatMap((m, i) =>
      m.kind === 'connection'
        ? [{ connectionId: m.id, source: busy[i]!.source, asOf: busy[i]!.asOf.toISOString(), ...(r.workingHours ? { workingHours: hours[i]!.from } : {}) }]
        : [],
    ),
    ...(spaces.length ? { spaces } : {}),
  };
}

/**
 * The participants' rows: connections in a few queries of their partition (only the fields needed), spaces
 * likewise. A connection that is missing or not active is read in full to answer its exact problem.
 */
async function loadOwners(services: Services, clientId: string, members: readonly Member[]): Promise<CalendarOwner[]> {
  const ids = (kind: Member['kind']) => members.filter((m) => m.kind === kind).map((m) => m.id);
  const [connections, spaces] = await Promise.all([
    services.store.connections.getMany(clientId, ids('connection'), { select: CONNECTION_FIELDS }),
    ids('space').length ? services.store.spaces.getMany(clientId, ids('space')) : new Map(),
  ]);
  // Settled, not raced: the problem names the first participant at fault in request order, whichever
  // lookup answers first.
  const settled = await Promise.allSettled(
    members.map(async (m): Promise<CalendarOwner> => {
      if (m.kind === 'space') {
        const space = spaces.get(m.id);
        if (!space || space.status !== 'active') throw new AppError('space_not_found', `${m.field}: no such space`, { field: m.field });
        return spaceAsOwner(space);
      }
      const row = connections.get(m.id);
      return row?.status === 'active' ? row : requireConnection(services, clientId, m.id, m.field);
    }),
  );
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<CalendarOwner>).value);
}

/** Busy time of each participant: from the cache where it can answer, else live, a few at a time. */
async function readAllBusy(
  services: Services,
  clientId: string,
  owners: readonly CalendarOwner[],
  members: readonly Member[],
  window: { start: Date; end: Date },
  summaries: ReadonlyMap<string, BusySummaryEntity>,
): Promise<BusySpans[]> {
  // An owner without a summary yet (its cache written before summaries existed) is read from its partition.
  const cached = await Promise.all(
    owners.map((owner) => {
      const summary = summaries.get(owner.rowKey);
      return summary ? busySpansFromSummary(owner, window, summary) : readBusySpansFromCache(services, owner, window);
    }),
  );
  const live = cached.flatMap((c, i) => (c ? [] : [i]));
  const fetched = await mapBounded(live, AVAILABILITY_CONCURRENCY, async (i): Promise<BusySpans> => {
    const member = members[i]!;
    // A connection's live read needs its token cache, which the partial row above left out.
    const owner = member.kind === 'connection' ? await requireConnection(services, clientId, member.id, member.field) : owners[i]!;
    const read = await readBusyLive(services, owner, window, member.field);
    return { source: read.source, asOf: read.asOf, spans: read.intervals.map((b) => ({ start: parseDateTime(b.start, 'UTC')!, end: parseDateTime(b.end, 'UTC')! })) };
  });
  let next = 0; // the live results come in the order of `live`, which is the participants' order
  return cached.map((c) => c ?? fetched[next++]!);
}

interface AppliedHours {
  hours?: WorkingHours;
  from: 'mailbox' | 'request' | 'unknown';
}

/** The id the busy cache keys a participant by. */
const ownerIdOf = (clientId: string, m: Member) => (m.kind === 'connection' ? m.id : spaceOwnerId(clientId, m.id));

/** Whose working hours apply to each participant; a space (a room) has none of its own. */
async function workingHoursOf(services: Services, r: ParsedRequest, owners: readonly CalendarOwner[], members: readonly Member[]): Promise<(AppliedHours | undefined)[]> {
  const choice = r.workingHours;
  if (!choice) return owners.map(() => undefined);
  if (choice !== 'mailbox') {
    const hours = workingHoursSchema.parse({ ...choice, timeZone: { name: choice.timeZone } });
    return owners.map(() => ({ hours, from: 'request' as const }));
  }
  // Read from Graph only when asked to, or when this connection's were never read.
  const toRead = owners.flatMap((o, i) => (!o.space && (r.refreshWorkingHours || !o.workingHoursReadAt) ? [i] : []));
  const read = await mapBounded(toRead, AVAILABILITY_CONCURRENCY, async (i) => {
    const member = members[i]!;
    const full = await requireConnection(services, owners[i]!.partitionKey, member.id, member.field);
    return refreshWorkingHours(services, full, member.field);
  });
  const fresh = new Map(toRead.map((i, k) => [i, read[k]]));
  return owners.map((o, i): AppliedHours | undefined => {
    if (o.space) return undefined;
    const hours = fresh.has(i) ? fresh.get(i) : (o as ConnectionEntity).workingHours;
    return hours ? { hours, from: 'mailbox' } : { from: 'unknown' };
  });
}

/** Maps with at most `limit` calls running; the first failure rejects (the rest finish unobserved). */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
