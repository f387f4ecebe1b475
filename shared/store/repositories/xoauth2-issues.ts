// xoauth2Issues: the audit of every SMTP/IMAP/POP (XOAUTH2) token handed to a booking system. PartitionKey
// clientId / RowKey inverted time + random suffix, so a client's newest issues come first in one range scan.
// Never the token or the SASL string.
import { randomBytes } from 'node:crypto';
import type { ListOptions, Page } from '../repository.js';
import { TableRepository } from '../repository.js';

export interface Xoauth2IssueEntity {
  /** clientId */
  partitionKey: string;
  /** xoauth2IssueRowKey(issuedAt) */
  rowKey: string;
  connectionId: string;
  protocol: 'smtp' | 'imap' | 'pop';
  /** The shared mailbox the token was for, when one was named. */
  mailbox?: string;
  /** The SASL user (the connection's UPN, or the shared mailbox). */
  user: string;
  issuedAt: Date;
  expiresAt: Date;
}

const MAX_MS = 9_999_999_999_999;

/** Newest first: the inverted time in fixed width, plus randomness for issues in the same millisecond. */
export function xoauth2IssueRowKey(issuedAt: Date): string {
  return `${String(MAX_MS - issuedAt.getTime()).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
}

export class Xoauth2IssueRepository extends TableRepository<Xoauth2IssueEntity> {
  listByClient(clientId: string, options: ListOptions = {}): Promise<Page<Xoauth2IssueEntity>> {
    return this.listPartition(clientId, options);
  }
}
