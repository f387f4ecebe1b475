// calendarView/delta for one calendar (https://learn.microsoft.com/en-us/graph/delta-query-events): the first round from a window, later rounds from the
// stored @odata.deltaLink (the whole URL, opaque), following @odata.nextLink to the end of the round.
// An expired or unknown token (410 Gone, or syncStateNotFound) is a DeltaResetError: the caller starts a
// full round. Occurrences of a series may come back as bare stubs ({id, type, seriesMasterId, start, end},
// no showAs), as other calendar integrations have found: those are
// completed from their series master, one read per master per round.
import type { Client } from '@microsoft/microsoft-graph-client';
import { categorizeGraphError } from './client.js';
import { calendarPath, type GraphAttendee, type GraphOnlineMeeting } from './events.js';
import type { GraphDateTime } from '../time/windows-zones.js';
import { toUtcIso } from '../time/zoned-time.js';

export const DELTA_PAGE_SIZE = 200;
const MAX_PAGES = 500;
const CALL_TIMEOUT_MS = 30_000;
/** Prefer outlook.timezone: "UTC assumed if absent" (https://learn.microsoft.com/en-us/graph/api/event-delta); said anyway so all-day handling sees UTC wall times. */
const PREFER = `outlook.timezone="UTC", odata.maxpagesize=${DELTA_PAGE_SIZE}`;

export interface DeltaEvent {
  '@odata.etag'?: string;
  '@removed'?: { reason?: string };
  id: string;
  changeKey?: string;
  type?: string;
  seriesMasterId?: string | null;
  /** An occurrence's or exception's start as its series' pattern set it (UTC; https://learn.microsoft.com/en-us/graph/api/resources/event#properties). */
  originalStart?: string;
  showAs?: string;
  isAllDay?: boolean;
  isCancelled?: boolean;
  start?: GraphDateTime;
  end?: GraphDateTime;
  originalStartTimeZone?: string;
  transactionId?: string;
  attendees?: GraphAttendee[];
  isOnlineMeeting?: boolean;
  onlineMeetingProvider?: string;
  onlineMeeting?: GraphOnlineMeeting | null;
}

export interface DeltaRound {
  /** Events added or changed in this round, the last appearance of each (replays happen: https://learn.microsoft.com/en-us/graph/delta-query-events). */
  changed: DeltaEvent[];
  /** Ids reported as @removed (deleted, or changed outside the window: https://learn.microsoft.com/en-us/graph/delta-query-events). */
  removed: string[];
  deltaLink: string;
  /** Graph requests this round made (pages plus master reads). */
  requests: number;
}

/** The stored link could not be used: start again with a full round. */
export class DeltaResetError extends Error {
  override name = 'DeltaResetError';
}

export interface DeltaWindow {
  start: Date;
  end: Date;
}

/** One delta round: from `deltaLink` when given, else a full round over `window`. */
export async function runDeltaRound(client: Client, calendarId: string, from: { deltaLink: string } | { window: DeltaWindow }): Promise<DeltaRound> {
  let url =
    'deltaLink' in from
      ? from.deltaLink
      : `${calendarPath(calendarId)}/calendarView/delta?startDateTime=${encodeURIComponent(toUtcIso(from.window.start.getTime()))}&endDateTime=${encodeURIComponent(toUtcIso(from.window.end.getTime()))}`;
  const latest = new Map<string, DeltaEvent>();
  let requests = 0;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    let body: { value?: DeltaEvent[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string };
    try {
      requests += 1;
      body = await client.api(url).header('Prefer', PREFER).options({ signal: AbortSignal.timeout(CALL_TIMEOUT_MS) }).get();
    } catch (error) {
      if (categorizeGraphError(error) === 'gone') throw new DeltaResetError('the delta token is no longer valid', { cause: error });
      throw error;
    }
    for (const item of body.value ?? []) if (typeof item?.id === 'string') latest.set(item.id, item);
    // Follow nextLink "even if the current response may contain an empty result" (https://learn.microsoft.com/en-us/graph/delta-query-events).
    if (body['@odata.nextLink']) {
      url = body['@odata.nextLink'];
      continue;
    }
    if (!body['@odata.deltaLink']) throw new Error('calendarView/delta answered with neither nextLink nor deltaLink');
    const changed: DeltaEvent[] = [];
    const removed: string[] = [];
    for (const item of latest.values()) {
      if (item['@removed']) removed.push(item.id);
      else changed.push(item);
    }
    requests += await hydrateOccurrenceStubs(client, calendarId, changed);
    return { changed, removed, deltaLink: body['@odata.deltaLink'], requests };
  }
  throw new Error(`calendarView/delta paging did not end after ${MAX_PAGES} pages`);
}

/** Occurrence stubs carry no showAs: take it (and isAllDay) from the series master. Returns requests made. */
async function hydrateOccurrenceStubs(client: Client, calendarId: string, events: DeltaEvent[]): Promise<number> {
  const stubs = events.filter((e) => e.showAs === undefined && e.seriesMasterId);
  if (stubs.length === 0) return 0;
  const masters = new Map<string, DeltaEvent | null>();
  for (const masterId of new Set(stubs.map((s) => s.seriesMasterId!))) {
    try {
      masters.set(
        masterId,
        await client
          .api(`${calendarPath(calendarId)}/events/${encodeURIComponent(masterId)}`)
          .select('id,showAs,isAllDay,isCancelled,originalStartTimeZone,transactionId')
          .options({ signal: AbortSignal.timeout(CALL_TIMEOUT_MS) })
          .get(),
      );
    } catch (error) {
      if (categorizeGraphError(error) !== 'not_found') throw error;
      masters.set(masterId, null);
    }
  }
  for (const stub of stubs) {
    const master = masters.get(stub.seriesMasterId!);
    if (!master) continue; // no master: counted as busy (the conservative answer)
    stub.showAs = master.showAs;
    stub.isAllDay ??= master.isAllDay;
    stub.originalStartTimeZone ??= master.originalStartTimeZone;
    if (master.isCancelled) stub.isCancelled = true;
  }
  return masters.size;
}
