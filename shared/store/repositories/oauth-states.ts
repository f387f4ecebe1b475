// oauthStates: single-use connect attempts. PartitionKey = hash of the state value / RowKey 's'.
// Only the hash is a key, so the table never holds a usable state; the PKCE verifier is encrypted.
import type { CallOptions, Versioned } from '../repository.js';
import { TableRepository } from '../repository.js';
import { sha256Base64Url } from '../../sha256.js';
import type { PendingCalendarChoice } from './connect-links.js';

export const OAUTH_STATE_ROW = 's';
export const OAUTH_STATE_TTL_MS = 10 * 60 * 1000;

export interface OAuthStateEntity {
  /** stateHash(state) */
  partitionKey: string;
  rowKey: typeof OAUTH_STATE_ROW;
  clientId: string;
  connectLinkId?: string;
  /** Set when re-connecting an existing connection. */
  connectionId?: string;
  externalUserId?: string;
  returnUrl?: string;
  /** Show the hosted calendar picker before going back to returnUrl. */
  pickCalendars?: boolean;
  /** Resource scopes the authorize request asked consent for (recorded on the connection when it succeeds). */
  scopes?: string[];
  /** The link's pending calendar choice, applied once the sign-in succeeds. */
  calendarChoice?: PendingCalendarChoice;
  /** Envelope-encrypted PKCE code verifier. */
  codeVerifier: string;
  nonce: string;
  /** Hash of the browser-binding cookie set when the link was opened (shared/connect/browser-binding.ts). */
  bindingHash?: string;
  /** The account the link named; another account's sign-in is refused unless allowOtherAccount. */
  loginHint?: string;
  allowOtherAccount?: boolean;
  expiresAt: Date;
  /** Set when the state is redeemed; a second use is refused. */
  usedAt?: Date;
}

export function stateHash(state: string): string {
  return sha256Base64Url(state);
}

export class OAuthStateRepository extends TableRepository<OAuthStateEntity> {
  getByState(state: string, options: CallOptions = {}): Promise<Versioned<OAuthStateEntity> | null> {
    return this.get(stateHash(state), OAUTH_STATE_ROW, options);
  }
}
