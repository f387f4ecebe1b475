// connections: PartitionKey clientId / RowKey connectionId, so a booking system's connections are one range scan.
import type { ListOptions, Page, Versioned } from '../repository.js';
import { TableRepository } from '../repository.js';

export type ConnectionStatus = 'pending' | 'active' | 'needs_reauth' | 'revoked' | 'disconnected';

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
  /** Graph showAs values that count as busy for this connection (default: busy, tentative, oof, unknown). */
  busyShowAs?: string[];
  defaultReminderMinutes?: number;
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
  createdAt: Date;
  updatedAt?: Date;
}

export class ConnectionRepository extends TableRepository<ConnectionEntity> {
  getConnection(clientId: string, connectionId: string): Promise<Versioned<ConnectionEntity> | null> {
    return this.get(clientId, connectionId);
  }

  listByClient(clientId: string, options: ListOptions = {}): Promise<Page<ConnectionEntity>> {
    return this.listPartition(clientId, options);
  }
}
