// spaces: PartitionKey clientId / RowKey spaceId (the booking system's own id for a bookable space), so a
// booking system's spaces are one range scan. Each maps to one Exchange room mailbox of a consented tenant.
import type { ListOptions, Page, Versioned } from '../repository.js';
import { TableRepository } from '../repository.js';

export type SpaceStatus = 'active' | 'deleted';

/** How a booking against the space reaches Outlook. */
export type SpaceBookingMode =
  /** The event is written straight into the room's calendar (app-only). */
  | 'room_calendar'
  /** The event is written into the organiser's calendar (a connection) with the room as a resource attendee. */
  | 'invite_room';

export interface SpaceEntity {
  /** clientId */
  partitionKey: string;
  /** spaceId */
  rowKey: string;
  status: SpaceStatus;
  tenantId: string;
  roomEmail: string;
  roomObjectId: string;
  roomDisplayName?: string;
  /** The room's default calendar: where bookings go and what counts as busy. */
  calendarId: string;
  bookingMode: SpaceBookingMode;
  createdAt: Date;
  updatedAt?: Date;
}

export class SpaceRepository extends TableRepository<SpaceEntity> {
  getSpace(clientId: string, spaceId: string): Promise<Versioned<SpaceEntity> | null> {
    return this.get(clientId, spaceId);
  }

  listByClient(clientId: string, options: ListOptions = {}): Promise<Page<SpaceEntity>> {
    return this.listPartition(clientId, options);
  }
}
