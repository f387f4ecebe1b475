// What happens when a connection is disconnected or loses its tokens, wherever that is noticed (the
// connection API, the keep-alive timer, a booking, a sync). Composed here once and carried by the services
// (services.ts), so every path that changes a connection's state runs the same reactions, whichever modules
// the process happens to have loaded. What they call is loaded on first use: the services are built by every
// process (the admin CLI too), and most never need Graph, MSAL or the webhook queue.
import { describeError } from './logging.js';
import type { Services } from './services.js';
import type { ConnectionEntity } from './store/repositories/connections.js';

/** A reaction to a connection's change of state; its failure is logged by the caller and changes nothing else. */
export type ConnectionReaction = (connection: ConnectionEntity, services: Services) => Promise<void>;

export interface ConnectionReactions {
  /** Before a disconnect wipes the tokens (the connection as it was; it may still hold a token). */
  beforeDisconnect: ConnectionReaction;
  /** After the disconnect is saved, once, when the connection was not disconnected already. */
  afterDisconnect: ConnectionReaction;
  /** Once, run by the caller whose write turned the connection needs_reauth. */
  afterNeedsReauth: ConnectionReaction;
}

const subscriptions = () => import('./sync/calendar-subscriptions.js');
const connectionEvents = () => import('./webhooks/connection-events.js');

export const connectionReactions: ConnectionReactions = {
  // Push sync's part: the Graph subscriptions are deleted (which needs the token, hence before) and the
  // busy cache forgotten.
  beforeDisconnect: async (connection, services) => {
    const [{ getGraphClientForConnection }, { removeConnectionSubscriptions }] = await Promise.all([import('./auth/connection-tokens.js'), subscriptions()]);
    const graph = connection.status === 'active' ? getGraphClientForConnection(connection, services) : undefined;
    await removeConnectionSubscriptions(services, graph, connection);
  },
  afterDisconnect: async (connection, services) => {
    await (await connectionEvents()).emitDisconnected(connection, services);
  },
  // Without a token the subscriptions cannot be renewed: our records go, and Graph's copies expire by
  // themselves. The booking system gets a webhook with a fresh connect link.
  afterNeedsReauth: async (connection, services) => {
    try {
      await (await subscriptions()).removeConnectionSubscriptions(services, undefined, connection);
    } catch (error) {
      console.warn(`connection ${connection.rowKey}: removing subscriptions failed: ${describeError(error)}`);
    }
    await (await connectionEvents()).emitNeedsReauth(connection, services);
  },
};
