// A booking placed beyond its calendar's cached window asks for a full round, which stretches the window
// to reach it (calendar-sync.ts): from then on a change to it in Outlook is seen like any other.
import { describeError } from '../logging.js';
import type { Services } from '../services.js';
import type { BookingEntity } from '../store/repositories/bookings.js';
import { requestFullSync } from './calendar-subscriptions.js';

export async function watchBookingAhead(services: Services, booking: Pick<BookingEntity, 'partitionKey' | 'connectionId' | 'calendarId' | 'end'>): Promise<void> {
  if (!booking.calendarId || !booking.end) return;
  try {
    // No sync state: not a busy calendar (or not synced yet, and its first full round will reach it).
    const state = (await services.store.busy.getSyncState(booking.connectionId, booking.calendarId))?.entity;
    if (!state || state.windowEnd.getTime() >= booking.end.getTime()) return;
    await requestFullSync(services, { partitionKey: booking.partitionKey, rowKey: booking.connectionId }, booking.calendarId);
  } catch (error) {
    // The booking itself is made; the hourly resync's full round stretches the window too.
    console.warn(`booking beyond the busy-cache window: full round not requested: ${describeError(error)}`);
  }
}
