// busy: PartitionKey connectionId / RowKey interval key (`<calendarId>|<window start>`), so a busy query for a
// connection is one partition scan. Interval lists can be long, so they are JSON and chunked by the codec.
import type { ListOptions, Page } from '../repository.js';
import { TableRepository } from '../repository.js';

export interface BusyInterval {
  /** ISO 8601 UTC */
  start: string;
  end: string;
  /** Graph freeBusyStatus: busy, tentative, oof, workingElsewhere. */
  status: string;
}

export interface BusyEntity {
  /** connectionId */
  partitionKey: string;
  /** busyRowKey(calendarId, windowStart) */
  rowKey: string;
  calendarId: string;
  windowStart: Date;
  windowEnd: Date;
  intervals: BusyInterval[];
  updatedAt: Date;
}

export function busyRowKey(calendarId: string, windowStart: Date): string {
  return `${calendarId}|${windowStart.toISOString()}`;
}

export class BusyRepository extends TableRepository<BusyEntity> {
  listByConnection(connectionId: string, options: ListOptions = {}): Promise<Page<BusyEntity>> {
    return this.listPartition(connectionId, options);
  }
}
