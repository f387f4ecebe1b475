// Disconnecting a connection: its tokens are wiped and its status becomes `disconnected`. Events already
// written stay in Outlook. Steps that must run before the tokens go (deleting the connection's Graph
// subscriptions, which needs a token) register themselves in `beforeDisconnect`.
import type { ConnectionEntity } from '../store/repositories/connections.js';
import type { Services } from '../services.js';
import { describeError } from '../logging.js';
import { countConnectionStatusChange } from '../telemetry/gauges.js';

/** A step run before the tokens are wiped; a failure is logged and does not stop the disconnect. */
export type DisconnectStep = (connection: ConnectionEntity, services: Services) => Promise<void>;

/** Push sync adds "delete this connection's Graph subscriptions" here. */
export const beforeDisconnect: DisconnectStep[] = [];

/** Run after the disconnect is saved (shared/keepalive adds "send connection.disconnected"). */
export const afterDisconnect: DisconnectStep[] = [];

export async function disconnect(connection: ConnectionEntity, services: Services): Promise<ConnectionEntity> {
  for (const step of beforeDisconnect) {
    try {
      await step(connection, services);
    } catch (error) {
      console.warn(`disconnect ${connection.rowKey}: a clean-up step failed: ${describeError(error)}`);
    }
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
    for (const step of afterDisconnect) {
      await step(saved.entity, services).catch((error: unknown) =>
        console.warn(`disconnect ${connection.rowKey}: a follow-up step failed: ${describeError(error)}`),
      );
    }
  }
  return saved.entity;
}
