// A booking placed beyond its calendar's cached window asks for a full round, which stretches the window
// to reach it (calendar-sync.ts): from then on a change to it in Outlook is seen like any other.
// Most bookings end well inside every window, and those pay no Table read for the check: a full round sets
// a window to at least BUSY_CACHE_DAYS_AHEAD days past its day, and the hourly resync sweep gives a calendar
// a full round as soon as its window falls behind today (resync-calendars.ts). So a window is at most a day
// (and the sweep's hour) old; trusting it to be at most FULL_ROUND_MAX_AGE_DAYS old leaves a day of slack.
import { describeError } from '../logging.js';
import type { Services } from '../services.js';
import type { BookingEntity } from '../store/repositories/bookings.js';
import { requestFullSync } from './calendar-subscriptions.js';
import { syncWindow } from './calendar-sync.js';

/** The oldest full round a busy calendar's window is trusted to come from. */
export const FULL_ROUND_MAX_AGE_DAYS = 2;
const DAY_MS = 86_400_000;

/**
 * How far every busy calendar's window reaches for certain: as far as a full round FULL_ROUND_MAX_AGE_DAYS
 * ago set it. A booking ending by then is watched without a check.
 */
export function watchedHorizon(now: Date, daysAhead: number): Date {
  return syncWindow(new Date(now.getTime() - FULL_ROUND_MAX_AGE_DAYS * DAY_MS), daysAhead).end;
}

export async function watchBookingAhead(services: Services, booking: Pick<BookingEntity, 'partitionKey' | 'connectionId' | 'calendarId' | 'end'>): Promise<void> {
  if (!booking.calendarId || !booking.end) return;
  if (booking.end.getTime() <= watchedHorizon(new Date(), services.config.busyCacheDaysAhead).getTime()) return;
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
