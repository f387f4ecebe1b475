// Push sync's part of disconnecting (shared/connect/disconnect.ts runs it while the tokens still exist):
// the connection's Graph subscriptions are deleted and its busy cache forgotten. Imported for its effect
// by the functions that can disconnect (functions/definitions.ts loads it with the sync functions).
import { getGraphClientForConnection } from '../auth/connection-tokens.js';
import { beforeDisconnect, type DisconnectStep } from '../connect/disconnect.js';
import { removeConnectionSubscriptions } from './calendar-subscriptions.js';

export const removeSubscriptionsOnDisconnect: DisconnectStep = async (connection, services) => {
  const graph = connection.status === 'active' ? getGraphClientForConnection(connection, services) : undefined;
  await removeConnectionSubscriptions(services, graph, connection);
};

if (!beforeDisconnect.includes(removeSubscriptionsOnDisconnect)) beforeDisconnect.push(removeSubscriptionsOnDisconnect);
