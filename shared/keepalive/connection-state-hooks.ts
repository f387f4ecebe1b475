// What happens when a connection loses its tokens or is disconnected, wherever that is noticed (the
// keep-alive timer, a booking, a sync): its Graph subscriptions go (they cannot be renewed without a token,
// and Graph expires them within days) and the booking system gets a webhook. Registered on import, once.
import { afterNeedsReauth, type NeedsReauthStep } from '../auth/connection-tokens.js';
import { afterDisconnect, type DisconnectStep } from '../connect/disconnect.js';
import { removeConnectionSubscriptions } from '../sync/calendar-subscriptions.js';
import { describeError } from '../logging.js';
import { emitDisconnected, emitNeedsReauth } from '../webhooks/connection-events.js';

export const onNeedsReauth: NeedsReauthStep = async (connection, services) => {
  try {
    // No token any more: our records go, and Graph's copies expire by themselves.
    await removeConnectionSubscriptions(services, undefined, connection);
  } catch (error) {
    console.warn(`connection ${connection.rowKey}: removing subscriptions failed: ${describeError(error)}`);
  }
  await emitNeedsReauth(connection, services);
};

export const onDisconnected: DisconnectStep = async (connection, services) => {
  await emitDisconnected(connection, services);
};

if (!afterNeedsReauth.includes(onNeedsReauth)) afterNeedsReauth.push(onNeedsReauth);
if (!afterDisconnect.includes(onDisconnected)) afterDisconnect.push(onDisconnected);
