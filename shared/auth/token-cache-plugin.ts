// The MSAL cache of ONE connection, persisted encrypted in its connections row (tokenCache, chunked by the
// codec when large). Optimistic concurrency: the row is read once per plugin instance (one instance per
// MSAL client, one client per call), every cache access in that call sees the same snapshot, and a change
// is written back only if the row still has the ETag that was read. When another instance refreshed first,
// the write fails with TokenCacheConflictError and the caller re-reads the winner's tokens: two refreshes
// never write over each other.
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import type { Versioned } from '../store/repository.js';
import { ConcurrencyError, NotFoundError } from '../store/errors.js';
import type { Services } from '../services.js';

/** Another writer changed the connection's token cache first; re-read and use its tokens. */
export class TokenCacheConflictError extends Error {
  override name = 'TokenCacheConflictError';
}

/** Associated data binding an encrypted cache to its row: a cache copied to another connection won't decrypt. */
export function tokenCacheBinding(clientId: string, connectionId: string): string {
  return `connections/${clientId}/${connectionId}/tokenCache`;
}

export async function encryptTokenCache(services: Pick<Services, 'envelope'>, clientId: string, connectionId: string, serialized: string) {
  const tokenCache = await services.envelope.encrypt(serialized, tokenCacheBinding(clientId, connectionId));
  return { tokenCache, tokenKeyVersion: tokenCache.split('.')[2]! };
}

export class ConnectionTokenCachePlugin implements ICachePlugin {
  private loaded?: { snapshot: string; etag: string; entity: ConnectionEntity };
  /** Set when this instance wrote the cache (a refresh or a new sign-in happened). */
  wroteAt?: Date;

  constructor(
    private readonly services: Pick<Services, 'store' | 'envelope'>,
    readonly clientId: string,
    readonly connectionId: string,
    /** The row as this request already read it (with its ETag): the first access uses it instead of a read. */
    private readonly known?: Versioned<ConnectionEntity>,
  ) {}

  /** The connection as read by this instance (after the first cache access). */
  get connection(): ConnectionEntity | undefined {
    return this.loaded?.entity;
  }

  async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
    if (!this.loaded) {
      const found = this.known ?? (await this.services.store.connections.getConnection(this.clientId, this.connectionId));
      if (!found) throw new NotFoundError('connections', { code: 'connection_not_found' });
      const sealed = found.entity.tokenCache;
      const snapshot = sealed ? await this.services.envelope.decryptString(sealed, tokenCacheBinding(this.clientId, this.connectionId)) : '';
      this.loaded = { snapshot, etag: found.etag, entity: found.entity };
    }
    // The same snapshot every time within this call (MSAL clears its memory before some reads).
    context.tokenCache.deserialize(this.loaded.snapshot);
  }

  async afterCacheAccess(context: TokenCacheContext): Promise<void> {
    if (!context.cacheHasChanged || !this.loaded) return;
    const snapshot = context.tokenCache.serialize();
    if (snapshot === this.loaded.snapshot) return;
    const now = new Date();
    const sealed = await encryptTokenCache(this.services, this.clientId, this.connectionId, snapshot);
    const entity: ConnectionEntity = { ...this.loaded.entity, ...sealed, lastTokenRefreshAt: now, updatedAt: now };
    try {
      const saved = await this.services.store.connections.update(entity, this.loaded.etag);
      this.loaded = { snapshot, etag: saved.etag, entity };
      this.wroteAt = now;
    } catch (error) {
      if (error instanceof ConcurrencyError) throw new TokenCacheConflictError('the token cache was changed by a concurrent refresh');
      throw error;
    }
  }
}
