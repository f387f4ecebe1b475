// busy: the busy cache, PartitionKey connectionId, so everything about one connection is one partition.
// - One row per event that can make time busy (RowKey `e|<calendarId>|<eventId>`): a delta round applies its
//   changes row by row, and a busy query is one partition range scan filtered on time.
// - One sync-state row per calendar (RowKey `s|<calendarId>`): the window the cache covers, the calendar's
//   calendarView/delta link and whether the cache can be trusted.
// - Beside them, one summary row per owner in its client's partition (PartitionKey `summary|<clientId>`,
//   RowKey the owner id): the whole partition above, compacted (shared/sync/busy-summary.ts), so a team
//   availability read gets 14 owners a query.
import { odata, type TableClient } from '@azure/data-tables';
import type { CallOptions, Versioned } from '../repository.js';
import { TableRepository } from '../repository.js';
import { escapeKey } from '../keys.js';

export interface BusyEventEntity {
  /** connectionId */
  partitionKey: string;
  /** busyEventRowKey(calendarId, eventId) */
  rowKey: string;
  calendarId: string;
  eventId: string;
  start: Date;
  end: Date;
  /** Graph showAs: free, tentative, busy, oof, workingElsewhere, unknown. */
  showAs: string;
  isAllDay?: boolean;
  /** `clientId/bookingId` when a booking of ours created the event (our extended property). */
  bookingRef?: string;
  /** The event's @odata.etag / changeKey as last seen. */
  changeKey?: string;
  updatedAt: Date;
}

export type CalendarSyncStatus = 'synced' | 'stale';

export interface CalendarSyncEntity {
  partitionKey: string;
  /** calendarSyncRowKey(calendarId) */
  rowKey: string;
  calendarId: string;
  /** The cache holds every busy event of the calendar overlapping [windowStart, windowEnd). */
  windowStart: Date;
  windowEnd: Date;
  /** Whole @odata.deltaLink URL of the last complete calendarView/delta round. */
  deltaLink?: string;
  /** `stale`: a notification may have been missed; reads go live until the next full sync. */
  status: CalendarSyncStatus;
  syncedAt: Date;
}

const EVENT_PREFIX = 'e|';
/** What readWindow() reads of event and sync-state rows. */
const WINDOW_FIELDS = ['calendarId', 'eventId', 'start', 'end', 'showAs', 'windowStart', 'windowEnd', 'status', 'syncedAt'];
const SYNC_PREFIX = 's|';

/** Per calendar in a summary: its sync state and its events merged per showAs, as [start, end, ...] ms. */
export interface SummaryCalendar {
  status: CalendarSyncStatus;
  windowStart: number;
  windowEnd: number;
  syncedAt: number;
  busy: Record<string, number[]>;
}

export interface BusySummaryEntity {
  /** busySummaryPartition(clientId) */
  partitionKey: string;
  /** The owner id: a connection id or a space owner id. */
  rowKey: string;
  calendars?: Record<string, SummaryCalendar>;
  /** The partition did not fit one row: readers use the partition itself. */
  tooLarge?: boolean;
  updatedAt: Date;
}

export function busySummaryPartition(clientId: string): string {
  return `summary|${clientId}`;
}

export function busyEventRowKey(calendarId: string, eventId: string): string {
  return `${EVENT_PREFIX}${calendarId}|${eventId}`;
}

export function calendarSyncRowKey(calendarId: string): string {
  return `${SYNC_PREFIX}${calendarId}`;
}

// Keys are stored escaped; '}' sorts after every character escapeKey leaves, so it bounds a prefix range.
function prefixRange(prefix: string): { from: string; to: string } {
  const from = escapeKey(prefix);
  return { from, to: `${from}}` };
}

export class BusyRepository {
  readonly events: TableRepository<BusyEventEntity>;
  readonly syncStates: TableRepository<CalendarSyncEntity>;
  readonly summaries: TableRepository<BusySummaryEntity>;

  constructor(client: TableClient, timeoutMs: number) {
    this.events = new TableRepository<BusyEventEntity>(client, timeoutMs);
    this.syncStates = new TableRepository<CalendarSyncEntity>(client, timeoutMs);
    this.summaries = new TableRepository<BusySummaryEntity>(client, timeoutMs);
  }

  getSyncState(connectionId: string, calendarId: string, options: CallOptions = {}): Promise<Versioned<CalendarSyncEntity> | null> {
    return this.syncStates.get(connectionId, calendarSyncRowKey(calendarId), options);
  }

  /** Every calendar sync state of a connection. */
  async listSyncStates(connectionId: string, options: CallOptions = {}): Promise<CalendarSyncEntity[]> {
    const { from, to } = prefixRange(SYNC_PREFIX);
    const filter = odata`PartitionKey eq ${escapeKey(connectionId)} and RowKey ge ${from} and RowKey lt ${to}`;
    const out: CalendarSyncEntity[] = [];
    for await (const { entity } of this.syncStates.queryAll(filter, options)) out.push(entity);
    return out;
  }

  /** Busy events of a connection overlapping [start, end), all calendars (callers filter by calendar). */
  async listEventsOverlapping(connectionId: string, start: Date, end: Date, options: CallOptions = {}): Promise<BusyEventEntity[]> {
    const { from, to } = prefixRange(EVENT_PREFIX);
    const filter = odata`PartitionKey eq ${escapeKey(connectionId)} and RowKey ge ${from} and RowKey lt ${to} and start lt ${end} and end gt ${start}`;
    const out: BusyEventEntity[] = [];
    for await (const { entity } of this.events.queryAll(filter, options)) out.push(entity);
    return out;
  }

  /**
   * What a cached busy read needs, in one partition query: every calendar sync state of the connection and
   * its events overlapping [start, end) (all calendars; callers filter by calendar).
   */
  async readWindow(connectionId: string, start: Date, end: Date, options: CallOptions = {}): Promise<{ states: CalendarSyncEntity[]; events: BusyEventEntity[] }> {
    const sync = prefixRange(SYNC_PREFIX);
    const event = prefixRange(EVENT_PREFIX);
    const filter = odata`PartitionKey eq ${escapeKey(connectionId)} and ((RowKey ge ${sync.from} and RowKey lt ${sync.to}) or (RowKey ge ${event.from} and RowKey lt ${event.to} and start lt ${end} and end gt ${start}))`;
    return this.statesAndEvents(filter, options);
  }

  /** Every sync state and event of an owner (what its summary is computed from), with only the fields a busy read needs. */
  async readPartition(ownerId: string, options: CallOptions = {}): Promise<{ states: CalendarSyncEntity[]; events: BusyEventEntity[] }> {
    const sync = prefixRange(SYNC_PREFIX);
    const event = prefixRange(EVENT_PREFIX);
    // Only these two kinds: the partition also holds other rows (the sync lease).
    const filter = odata`PartitionKey eq ${escapeKey(ownerId)} and ((RowKey ge ${sync.from} and RowKey lt ${sync.to}) or (RowKey ge ${event.from} and RowKey lt ${event.to}))`;
    return this.statesAndEvents(filter, options);
  }

  private async statesAndEvents(filter: string, options: CallOptions): Promise<{ states: CalendarSyncEntity[]; events: BusyEventEntity[] }> {
    const states: CalendarSyncEntity[] = [];
    const events: BusyEventEntity[] = [];
    // Both kinds of row share the table: a sync state has no eventId. Only what a busy read uses is read
    // (a property a row lacks comes back null): less to send and parse.
    for await (const { entity } of this.events.queryAll(filter, { ...options, select: WINDOW_FIELDS })) {
      if (typeof entity.eventId === 'string') events.push(entity);
      else states.push(entity as unknown as CalendarSyncEntity);
    }
    return { states, events };
  }

  /** Every cached event row of one calendar (for a full resync that replaces them). */
  async listCalendarEvents(connectionId: string, calendarId: string, options: CallOptions = {}): Promise<BusyEventEntity[]> {
    const { from, to } = prefixRange(`${EVENT_PREFIX}${calendarId}|`);
    const filter = odata`PartitionKey eq ${escapeKey(connectionId)} and RowKey ge ${from} and RowKey lt ${to}`;
    const out: BusyEventEntity[] = [];
    for await (const { entity } of this.events.queryAll(filter, options)) out.push(entity);
    return out;
  }

  /**
   * Upserts and deletes rows of one partition in transactions of at most 100 (the service's limit).
   * Each transaction is atomic; the whole call is not, which callers tolerate by re-running a delta round.
   */
  async writeEvents(
    connectionId: string,
    upserts: readonly BusyEventEntity[],
    deletes: readonly { calendarId: string; eventId: string }[],
    options: CallOptions = {},
  ): Promise<void> {
    const rows = upserts.map((u) => ({ ...u, partitionKey: connectionId, rowKey: busyEventRowKey(u.calendarId, u.eventId) }));
    await this.events.writePartition(connectionId, rows, deletes.map((d) => busyEventRowKey(d.calendarId, d.eventId)), options);
  }

  saveSyncState(state: CalendarSyncEntity, options: CallOptions = {}): Promise<Versioned<CalendarSyncEntity>> {
    return this.syncStates.upsert(state, options);
  }

  deleteSyncState(connectionId: string, calendarId: string, options: CallOptions = {}): Promise<void> {
    return this.syncStates.delete(connectionId, calendarSyncRowKey(calendarId), options);
  }
}
