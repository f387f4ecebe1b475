// deadLetters: webhook deliveries that failed for 24 hours. PartitionKey clientId / RowKey event id, so
// one booking system's dead letters are one range scan and a replay is a point read. Rows hold the event
// and what went wrong, never a signing secret, the webhook URL (it may carry the receiver's own token)
// or a connect link (a bearer capability; replay makes a fresh one).
import type { CallOptions, ListOptions, Page, Versioned } from '../repository.js';
import { TableRepository } from '../repository.js';

export interface DeadLetterEntity {
  /** clientId */
  partitionKey: string;
  /** event id */
  rowKey: string;
  eventType: string;
  /** The event as it would have been sent ({id, type, occurredAt, data}), capabilities removed. */
  event: Record<string, unknown>;
  attempts: number;
  firstAttemptAt: Date;
  deadLetteredAt: Date;
  /** HTTP status of the last attempt, when there was an answer. */
  lastStatus?: number;
  /** Short, redacted description of the last failure. */
  lastError?: string;
}

export class DeadLetterRepository extends TableRepository<DeadLetterEntity> {
  getDeadLetter(clientId: string, eventId: string, options: CallOptions = {}): Promise<Versioned<DeadLetterEntity> | null> {
    return this.get(clientId, eventId, options);
  }

  listByClient(clientId: string, options: ListOptions = {}): Promise<Page<DeadLetterEntity>> {
    return this.listPartition(clientId, options);
  }

  /** Every client's dead letters, one page at a time. */
  listAll(options: ListOptions = {}): Promise<Page<DeadLetterEntity>> {
    return this.query("PartitionKey ne ''", options);
  }
}
