// mailMessages: PartitionKey clientId / RowKey messageId (the booking system's own id: the idempotency key
// of POST /api/connections/{id}/mail). The row is written before anything is sent, so a repeat finds it
// and sends nothing. It holds the outcome, never the message body.
import type { Versioned } from '../repository.js';
import { TableRepository } from '../repository.js';

/** sending: claimed, Graph not yet answered; sent: Graph accepted it; unknown: Graph's answer was lost (it may have been sent). */
export type MailMessageStatus = 'sending' | 'sent' | 'unknown';

export interface MailMessageEntity {
  /** clientId */
  partitionKey: string;
  /** messageId */
  rowKey: string;
  connectionId: string;
  status: MailMessageStatus;
  /** Digest of the request: the same messageId with another message is a conflict, not a retry. */
  fingerprint: string;
  /** The mailbox it is sent from. */
  from?: string;
  recipients: number;
  bookingId?: string;
  sentAt?: Date;
  createdAt: Date;
  updatedAt?: Date;
}

export class MailMessageRepository extends TableRepository<MailMessageEntity> {
  getMessage(clientId: string, messageId: string): Promise<Versioned<MailMessageEntity> | null> {
    return this.get(clientId, messageId);
  }
}
