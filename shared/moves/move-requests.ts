// The two ways a booking system asks for future bookings to move: with a calendar switch
// (`PATCH /api/connections/{id}` with `moveFutureBookings: true`), and from a person's old connection to
// their new one (`POST /api/connections/{id}/adopt-bookings`). Both check and record; the move itself runs
// on the queue (move-future-bookings.ts).
import * as z from 'zod';
import { assertWritesAllowed } from '../admin/pause.js';
import { requireConnection } from '../bookings/connection-access.js';
import { calendarChoiceSchema } from '../connect/calendars.js';
import { updateConnection } from '../connect/own-connection.js';
import { AppError } from '../errors/app-error.js';
import type { Services } from '../services.js';
import type { ClientEntity } from '../store/repositories/clients.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { assertNoMoveRunning, startBookingMove } from './move-future-bookings.js';

export const connectionUpdateSchema = calendarChoiceSchema.extend({
  /** With a new `bookingCalendarId`: move the bookings that have not ended yet from the old calendar to it. */
  moveFutureBookings: z.boolean().optional(),
});

export type ConnectionUpdate = z.infer<typeof connectionUpdateSchema>;

export const adoptBookingsSchema = z.strictObject({
  /** The person's earlier connection (same `externalUserId`), whose future bookings move here. */
  fromConnectionId: z.string().min(1).max(64),
});

/** Applies the calendar choice; with `moveFutureBookings` and a new booking calendar, starts the move. */
export async function updateConnectionAndMove(services: Services, client: ClientEntity, connection: ConnectionEntity, update: ConnectionUpdate): Promise<ConnectionEntity> {
  const { moveFutureBookings, ...choice } = update;
  if (!moveFutureBookings) return updateConnection(services, connection, choice);
  if (choice.bookingCalendarId === undefined) {
    throw new AppError('invalid_field', 'moveFutureBookings: name the new bookingCalendarId to move the bookings to', { field: 'moveFutureBookings' });
  }
  const active = await requireConnection(services, client.rowKey, connection.rowKey, 'id');
  await assertWritesAllowed(services, client);
  assertNoMoveRunning(active);
  const before = active.bookingCalendarId;
  const updated = await updateConnection(services, active, choice);
  if (updated.bookingCalendarId === before) return updated; // the same calendar: nothing to move
  return startBookingMove(services, updated, { rowKey: updated.rowKey, bookingCalendarId: before }, updated.bookingCalendarId!, 'calendar');
}

/** Starts moving the future bookings of `fromConnectionId` (same person) into the connection's booking calendar. */
export async function adoptBookings(services: Services, client: ClientEntity, connectionId: string, fromConnectionId: string): Promise<ConnectionEntity> {
  const to = await requireConnection(services, client.rowKey, connectionId, 'id');
  const from = (await services.store.connections.getConnection(client.rowKey, fromConnectionId))?.entity;
  if (!from) throw new AppError('connection_not_found', 'fromConnectionId: no such connection', { field: 'fromConnectionId' });
  if (from.rowKey === to.rowKey) throw new AppError('invalid_field', 'fromConnectionId: a connection cannot adopt its own bookings', { field: 'fromConnectionId' });
  if (from.externalUserId !== to.externalUserId) {
    throw new AppError('invalid_field', "fromConnectionId: another user's connection (externalUserId differs)", { field: 'fromConnectionId' });
  }
  if (!to.bookingCalendarId) throw new AppError('invalid_field', 'id: the connection has no booking calendar yet', { field: 'id' });
  await assertWritesAllowed(services, client);
  return startBookingMove(services, to, from, to.bookingCalendarId, 'account');
}
