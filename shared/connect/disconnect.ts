// Disconnecting a connection: its tokens are wiped and its status becomes `disconnected`. Events already
// written stay in Outlook. What else happens, before the tokens go and after, is the services'
// connectionReactions (shared/connection-reactions.ts).
import type { ConnectionEntity } from '../store/repositories/connections.js';
import type { Services } from '../services.js';
import { describeError } from '../logging.js';
import { countConnectionStatusChange } from '../telemetry/gauges.js';

export async function disconnect(connection: ConnectionEntity, services: Services): Promise<ConnectionEntity> {
  // A failed clean-up does not stop the disconnect.
  try {
    await services.connectionReactions.beforeDisconnect(connection, services);
  } catch (error) {
    console.warn(`disconnect ${connection.rowKey}: a clean-up step failed: ${describeError(error)}`);
  }
  const saved = await services.store.connections.mutate(connection.partitionKey, connection.rowKey, (current) => ({
    ...current,
    status: 'disconnected',
    tokenCache: undefined,
    tokenKeyVersion: undefined,
    updatedAt: new Date(),
  }));
  if (connection.status !== 'disconnected') {
    await countConnectionStatusChange(services.store, connection.status, 'disconnected');
    await services.connectionReactions.afterDisconnect(saved.entity, services).catch((error: unknown) =>
      console.warn(`disconnect ${connection.rowKey}: a follow-up step failed: ${describeError(error)}`),
    );
  }
  return saved.entity;
}
