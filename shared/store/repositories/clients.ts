// clients: one row per booking system. PartitionKey 'client' / RowKey clientId (a small table, one partition).
import type { Versioned } from '../repository.js';
import { TableRepository } from '../repository.js';

export const CLIENT_PARTITION = 'client';

export interface ClientEntity {
  partitionKey: typeof CLIENT_PARTITION;
  /** clientId */
  rowKey: string;
  name: string;
  /** Hashes of the API keys currently accepted (two during a rotation). Never the keys themselves. */
  apiKeyHashes: string[];
  /** Origins a connect flow may redirect back to. */
  allowedReturnOrigins: string[];
  webhookUrl?: string;
  /** In Azure webhooks go to port 443 only, or also to this port when the operator allowed one. */
  webhookPort?: number;
  /** Name of the secret-store secret holding the outbound webhook signing secret. */
  signingSecretName?: string;
  /**
   * Versions of that secret deliveries are signed with, newest first: two after a rotation (until the
   * next one, or until the previous is revoked). Absent: the latest version only.
   */
  signingSecretVersions?: string[];
  disabled?: boolean;
  /** Mail from connected mailboxes (shared/mail): connect links also ask for Mail.Send. */
  mailEnabled?: boolean;
  /** With mailEnabled: also SMTP AUTH / IMAP tokens (XOAUTH2) for the Outlook resource. */
  legacyProtocols?: boolean;
  createdAt: Date;
  updatedAt?: Date;
}

export class ClientRepository extends TableRepository<ClientEntity> {
  getClient(clientId: string): Promise<Versioned<ClientEntity> | null> {
    return this.get(CLIENT_PARTITION, clientId);
  }
}
