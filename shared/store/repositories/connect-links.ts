// connectLinks: the two single-use, expiring capabilities of the connect flow, read by point reads.
// - A connect link (PartitionKey = hash of the link id, RowKey 'link'): made by a booking system, opened once
//   by its user. Only the hash is a key, so the table never holds a usable link.
// - A calendar-picker session (PartitionKey = hash of its token, RowKey 'picker'): the CSRF token of the
//   hosted picker form, bound to one connection, consumed by the submit that uses it.
import type { TableClient } from '@azure/data-tables';
import { TableRepository, type CallOptions, type Versioned } from '../repository.js';
import { sha256Base64Url } from '../../sha256.js';

export const CONNECT_LINK_ROW = 'link';
export const PICKER_ROW = 'picker';

export interface ConnectLinkEntity {
  /** capabilityHash(linkId) */
  partitionKey: string;
  rowKey: typeof CONNECT_LINK_ROW;
  clientId: string;
  externalUserId: string;
  returnUrl: string;
  loginHint?: string;
  /** The booking system lets its user sign in with an account other than loginHint (refused by default). */
  allowOtherAccount?: boolean;
  pickCalendars?: boolean;
  /** Set for a re-connect link made for an existing connection. */
  connectionId?: string;
  /** Graph scopes the sign-in asks for beyond the base set (incremental consent, e.g. shared calendars). */
  extraScopes?: string[];
  /**
   * A calendar choice the hosted picker could not save before the user consented to what it needs (a
   * shared calendar): applied by the callback once the consent is recorded.
   */
  calendarChoice?: PendingCalendarChoice;
  /** 'tenant': an administrator's tenant-wide consent (shared/spaces/tenant-consent.ts); absent: a user's connect. */
  kind?: 'tenant';
  /** For a tenant link: the tenant (id or domain) whose admin-consent endpoint is opened. */
  tenant?: string;
  expiresAt: Date;
  /** Set when the link is opened; a second use is refused. */
  usedAt?: Date;
  createdAt: Date;
}

/** The picker's choice, as it travels through a consent sign-in (validated again when applied). */
export interface PendingCalendarChoice {
  bookingCalendarId?: string;
  busyCalendarIds?: string[];
  defaultReminderMinutes?: number;
}

export interface PickerSessionEntity {
  /** capabilityHash(token) */
  partitionKey: string;
  rowKey: typeof PICKER_ROW;
  clientId: string;
  connectionId: string;
  returnUrl: string;
  expiresAt: Date;
}

/** SHA-256 of a bearer capability (link id, picker token): what the table keys on. */
export function capabilityHash(value: string): string {
  return sha256Base64Url(value);
}

export class ConnectLinkRepository {
  readonly links: TableRepository<ConnectLinkEntity>;
  readonly pickers: TableRepository<PickerSessionEntity>;

  constructor(client: TableClient, timeoutMs: number) {
    this.links = new TableRepository<ConnectLinkEntity>(client, timeoutMs);
    this.pickers = new TableRepository<PickerSessionEntity>(client, timeoutMs);
  }

  getLink(linkId: string, options: CallOptions = {}): Promise<Versioned<ConnectLinkEntity> | null> {
    return this.links.get(capabilityHash(linkId), CONNECT_LINK_ROW, options);
  }

  getPicker(token: string, options: CallOptions = {}): Promise<Versioned<PickerSessionEntity> | null> {
    return this.pickers.get(capabilityHash(token), PICKER_ROW, options);
  }
}
