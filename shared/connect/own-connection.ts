// The calling client's connection in whatever state it is (the connection API reads and disconnects
// connections that lost access too), and the choice of calendars a booking system makes for it.
import { withConnectionGraph } from '../auth/connection-tokens.js';
import { AppError } from '../errors/app-error.js';
import type { Services } from '../services.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { requestSubscriptionSync } from '../sync/calendar-subscriptions.js';
import { applyCalendarChoice, listCalendars, type CalendarChoice } from './calendars.js';
import { requireSharedCalendarConsent } from './shared-calendar-consent.js';
import { connectionView, subscriptionHealth, type ConnectionView } from './connection-view.js';

/** The client's connection, or 404 (also for another client's id). */
export async function ownConnection(services: Services, clientId: string, connectionId: string): Promise<ConnectionEntity> {
  const found = await services.store.connections.getConnection(clientId, connectionId);
  if (!found) throw new AppError('connection_not_found', 'id: no such connection', { field: 'id' });
  return found.entity;
}

/** The connection as the API shows it, with the health of its subscriptions. */
export async function viewWithHealth(services: Services, connection: ConnectionEntity): Promise<ConnectionView> {
  const { subscriptions, pushSync } = await subscriptionHealth(connection, services);
  return connectionView(connection, subscriptions, pushSync);
}

/** Applies the choice against the calendars the user has now; 400 before anything is written. */
export async function updateConnection(services: Services, connection: ConnectionEntity, choice: CalendarChoice): Promise<ConnectionEntity> {
  const live = await withConnectionGraph(connection, listCalendars, services);
  await requireSharedCalendarConsent(services, connection, applyCalendarChoice(connection, choice, live));
  const saved = await services.store.connections.mutate(connection.partitionKey, connection.rowKey, (current) => applyCalendarChoice(current, choice, live));
  // The busy calendars may have changed: subscriptions follow them (queued; retried by the queue).
  if (choice.busyCalendarIds !== undefined) await requestSubscriptionSync(services, saved.entity);
  return saved.entity;
}
