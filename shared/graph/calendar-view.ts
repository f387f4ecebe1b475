// The live busy read: every busy calendar's calendarView (recurring series expanded by Graph) in one $batch,
// nextLinks followed in further batches, times asked for in UTC. All-day events are floating dates:
// Graph may answer them as UTC midnight-to-midnight although they mean midnight in the event's own zone,
// so those are placed at midnight of that zone (eventToBusyItem).
import type { Client } from '@microsoft/microsoft-graph-client';
import { runBatch, relativeGraphUrl, type BatchItemResult, type BatchOptions, type BatchRequestItem } from './batch.js';
import { calendarPath } from './events.js';
import { batchItemProblem } from './graph-problems.js';
import type { BusyItem } from '../sync/merge-busy.js';
import { ianaZoneFor, type GraphDateTime } from '../time/windows-zones.js';
import { offsetAt, parseDateTime, toUtcIso } from '../time/zoned-time.js';

export const CALENDAR_VIEW_SELECT = 'showAs,start,end,isAllDay,isCancelled,type,originalStartTimeZone';
export const CALENDAR_VIEW_PAGE_SIZE = 250;
/** A bound on paging rounds, so a runaway nextLink chain cannot loop forever. */
const MAX_PAGE_ROUNDS = 40;

export interface CalendarViewEvent {
  id?: string;
  showAs?: string;
  start?: GraphDateTime;
  end?: GraphDateTime;
  isAllDay?: boolean;
  isCancelled?: boolean;
  type?: string;
  originalStartTimeZone?: string;
}

export interface LiveBusyQuery {
  /** Calendar ids; undefined stands for the default calendar. */
  calendarIds: readonly (string | undefined)[];
  start: Date;
  end: Date;
  /** IANA zone of the mailbox, for all-day events whose own zone is unknown. */
  mailboxTimeZone?: string;
  pageSize?: number;
}


/** Reads the busy items of the calendars over [start, end); throws the API's problem for a failed calendar. */
export async function readLiveBusy(client: Client, query: LiveBusyQuery, options: BatchOptions = {}): Promise<BusyItem[]> {
  const window = `startDateTime=${encodeURIComponent(toUtcIso(query.start.getTime()))}&endDateTime=${encodeURIComponent(toUtcIso(query.end.getTime()))}`;
  const headers = { Prefer: `outlook.timezone="UTC", odata.maxpagesize=${query.pageSize ?? CALENDAR_VIEW_PAGE_SIZE}` };
  let pending: BatchRequestItem[] = query.calendarIds.map((calendarId, i) => ({
    id: `c${i}`,
    method: 'GET',
    url: `${calendarPath(calendarId)}/calendarView?${window}&$select=${CALENDAR_VIEW_SELECT}`,
    headers,
  }));
  const items: BusyItem[] = [];
  for (let round = 0; pending.length > 0; round += 1) {
    if (round >= MAX_PAGE_ROUNDS) throw new Error(`calendarView paging did not end after ${MAX_PAGE_ROUNDS} rounds`);
    const results = await runBatch(client, pending, options);
    const next: BatchRequestItem[] = [];
    for (const request of pending) {
      const result = results.get(request.id)!;
      const page = pageOf(result);
      if (!page) continue;
      for (const event of page.value ?? []) {
        const item = eventToBusyItem(event, query.mailboxTimeZone);
        if (item) items.push(item);
      }
      const nextLink = page['@odata.nextLink'];
      if (nextLink) next.push({ ...request, url: relativeGraphUrl(nextLink) });
    }
    pending = next;
  }
  return items;
}

interface ViewPage {
  value?: CalendarViewEvent[];
  '@odata.nextLink'?: string;
}

function pageOf(result: BatchItemResult): ViewPage | undefined {
  if (result.status === 200) return result.body as ViewPage;
  // A calendar deleted in Outlook since it was chosen has no events: nothing to count.
  if (result.status === 404) return undefined;
  throw batchItemProblem(result);
}

/** A calendarView event as a busy item (UTC instants); undefined for cancelled or unreadable events. */
export function eventToBusyItem(event: CalendarViewEvent, mailboxTimeZone?: string): BusyItem | undefined {
  if (event.isCancelled || !event.start || !event.end) return undefined;
  let start = instantOf(event.start);
  let end = instantOf(event.end);
  if (start === undefined || end === undefined) return undefined;
  if (event.isAllDay) {
    const zone = ianaZoneFor(event.originalStartTimeZone ?? '') ?? mailboxTimeZone;
    if (zone && isUtcMidnight(start) && isUtcMidnight(end) && offsetAt(start, zone) !== 0) {
      // Floating all-day dates: midnight-to-midnight in the event's zone, not in UTC.
      start = midnightIn(start, zone);
      end = midnightIn(end, zone);
    }
  }
  return { start, end, showAs: event.showAs ?? 'busy' };
}

function instantOf(value: GraphDateTime): number | undefined {
  const zone = ianaZoneFor(value.timeZone || 'UTC') ?? 'UTC';
  return parseDateTime(value.dateTime, zone);
}

const isUtcMidnight = (ms: number) => ms % 86_400_000 === 0;

/** Midnight at the start of the UTC calendar date of `utcMidnightMs`, on the wall clock of `zone`. */
function midnightIn(utcMidnightMs: number, zone: string): number {
  const d = new Date(utcMidnightMs);
  return parseDateTime(`${d.toISOString().slice(0, 10)}T00:00:00`, zone)!;
}
