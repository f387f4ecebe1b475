// The two webhooks about a connection's own state. needs_reauth carries a fresh connect link, so the
// booking system can put it in front of the user straight away.
import type { Services } from '../services.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { createConnectLinkForReauth } from '../auth/connection-tokens.js';
import { describeError } from '../logging.js';
import { emitWebhookEvent, type WebhookEvent } from './emit.js';
import type { FreshConnectLink } from './dead-letters.js';

/** A re-connect link for the connection, or null when none can be made (logged; the webhook still goes). */
export async function reauthConnectLink(connection: ConnectionEntity, services: Services): Promise<{ url: string; expiresAt: string } | null> {
  try {
    const link = await createConnectLinkForReauth(connection, services);
    return { url: link.url, expiresAt: link.expiresAt };
  } catch (error) {
    console.warn(`connection ${connection.rowKey}: no re-connect link for the webhook: ${describeError(error)}`);
    return null;
  }
}

export async function emitNeedsReauth(connection: ConnectionEntity, services: Services): Promise<WebhookEvent> {
  return emitWebhookEvent(services.config.storage, connection.partitionKey, 'connection.needs_reauth', {
    connectionId: connection.rowKey,
    externalUserId: connection.externalUserId,
    reason: 'refresh_token_rejected',
    connectLink: await reauthConnectLink(connection, services),
  });
}

export async function emitDisconnected(connection: ConnectionEntity, services: Services): Promise<WebhookEvent> {
  return emitWebhookEvent(services.config.storage, connection.partitionKey, 'connection.disconnected', {
    connectionId: connection.rowKey,
    externalUserId: connection.externalUserId,
  });
}

/** For a replay: a connection.needs_reauth event carries a new link while the connection still needs one. */
export function freshConnectLink(services: Services): FreshConnectLink {
  return async (clientId, connectionId) => {
    const found = await services.store.connections.getConnection(clientId, connectionId);
    return found?.entity.status === 'needs_reauth' ? reauthConnectLink(found.entity, services) : null;
  };
}
