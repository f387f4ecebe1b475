// connections: PartitionKey clientId / RowKey connectionId, so a booking system's connections are one range scan.
import type { ListOptions, Page, Versioned } from '../repository.js';
import { TableRepository } from '../repository.js';
import type { WorkingHours } from '../../time/working-hours.js';

/** What the code writes (the API documents exactly these). */
export type ConnectionStatus = 'active' | 'needs_reauth' | 'disconnected';

export interface ConnectionEntity {
  /** clientId */
  partitionKey: string;
  /** connectionId */
  rowKey: string;
  externalUserId: string;
  status: ConnectionStatus;
  /** Microsoft account: tenant id, object id, user principal name. */
  tenantId?: string;
  objectId?: string;
  upn?: string;
  /** MSAL's account key (`<oid>.<tid>`), to find the account in this connection's token cache. */
  homeAccountId?: string;
  bookingCalendarId?: string;
  busyCalendarIds?: string[];
  /**
   * Chosen calendars (booking or busy) that other people share with or delegate to this user: calendar id ->
   * the owner's address. Graph reaches them in the owner's mailbox, and they are kept by scheduled delta.
   */
  sharedCalendars?: Record<string, string>;
  /** True while sharedCalendars is not empty: what the shared-calendar poll's table filter reads. */
  pollsSharedCalendars?: boolean;
  /** Graph showAs values that count as busy for this connection (default: busy, tentative, oof, unknown). */
  busyShowAs?: string[];
  defaultReminderMinutes?: number;
  /** The mailbox's working hours as Graph last gave them (availability reads them from here, not from Graph). */
  workingHours?: WorkingHours;
  /** When workingHours was last read from Graph (also set when the mailbox had none). */
  workingHoursReadAt?: Date;
  lastTokenRefreshAt?: Date;
  /**
   * When the user last signed in to make or renew this connection. A refresh that failed with an older
   * sign-in's tokens cannot undo a newer sign-in (a reconnect racing a dying refresh).
   */
  connectedAt?: Date;
  /** Envelope-encrypted MSAL token cache (shared/secrets/envelope.ts); long values are chunked on write. */
  tokenCache?: string;
  /** Version of the key that encrypted tokenCache, so a rotation can find rows still on an old key. */
  tokenKeyVersion?: string;
  /** Delegated scopes the user consented to (Graph short names, other resources qualified); absent: the base set. */
  grantedScopes?: string[];
  /** The latest move of future bookings into this connection's booking calendar (shared/moves). */
  move?: BookingMoveProgress;
  createdAt: Date;
  updatedAt?: Date;
}

/** A move of future bookings: where from, where to, and how far it got (what the connection API shows). */
export interface BookingMoveProgress {
  id: string;
  state: 'running' | 'done';
  /** `calendar`: the booking calendar changed; `account`: adopted from another connection of the same user. */
  kind: 'calendar' | 'account';
  fromConnectionId: string;
  fromCalendarId?: string;
  toCalendarId: string;
  /** Bookings ending after this instant are moved. */
  since: string;
  total?: number;
  moved: number;
  failed: number;
  /** Moved, but the old event could not be removed (the old connection has no access any more). */
  leftInOldCalendar: number;
  failedBookingIds: string[];
  startedAt: string;
  finishedAt?: string;
  /** Pages finished, and the Table continuation token of the next page (absent: the first). */
  pagesDone: number;
  cursor?: string;
  /** The worker running a page holds the move until then; after it, a recheck message takes over. */
  leaseUntil?: string;
  /** connection.bookings_moved was queued (a crash between done and the webhook sends it from the recheck). */
  notified?: boolean;
}

// The ETag each connection object was read with, so that a later step of the same request (the token cache)
// can use the row it already has instead of reading it again. Only the very object read is known: a copy
// or a row from another request is read afresh.
const readVersions = new WeakMap<ConnectionEntity, string>();

/** The row and ETag `entity` was read with by getConnection(), if it is that very object. */
export function knownConnectionRow(entity: object): Versioned<ConnectionEntity> | undefined {
  const etag = readVersions.get(entity as ConnectionEntity);
  return etag ? { entity: entity as ConnectionEntity, etag } : undefined;
}

export class ConnectionRepository extends TableRepository<ConnectionEntity> {
  protected override readonly notFoundCode = 'connection_not_found';

  async getConnection(clientId: string, connectionId: string): Promise<Versioned<ConnectionEntity> | null> {
    const found = await this.get(clientId, connectionId);
    if (found) readVersions.set(found.entity, found.etag);
    return found;
  }

  listByClient(clientId: string, options: ListOptions = {}): Promise<Page<ConnectionEntity>> {
    return this.listPartition(clientId, options);
  }
}
