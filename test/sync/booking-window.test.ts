// A booking beyond its calendar's cached window asks for a full round; a booking inside the horizon every
// window is kept to (the hourly sweep slides each window daily) costs no sync-state read at all. Tables of
// its own; the calendar-sync queue is the worker's own, read without taking messages.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { replaceCalendarBusy } from '../../shared/sync/busy-cache.js';
import { syncWindow } from '../../shared/sync/calendar-sync.js';
import { FULL_ROUND_MAX_AGE_DAYS, watchBookingAhead, watchedHorizon } from '../../shared/sync/booking-window.js';
import { resyncCalendars } from '../../shared/sync/resync-calendars.js';
import { defaultSyncDeps } from '../../shared/sync/sync-deps.js';
import { useOwnTables } from '../support/own-tables.js';
import { clearSyncQueue, peekSyncQueue } from './support.js';

const ownServices = useOwnTables('bw');
const DAY_MS = 86_400_000;
const CLIENT = 'client-window';

/** A connection whose one busy calendar was last given a full round at `roundAt`. */
async function syncedCalendar(roundAt: Date): Promise<{ connectionId: string; calendarId: string }> {
  const services = ownServices();
  const connectionId = randomUUID();
  const calendarId = `cal-${connectionId.slice(0, 8)}`;
  await services.store.connections.create({
    partitionKey: CLIENT,
    rowKey: connectionId,
    externalUserId: `user-${connectionId}`,
    status: 'active',
    objectId: randomUUID(),
    busyCalendarIds: [calendarId],
    createdAt: new Date(),
  });
  const window = syncWindow(roundAt, services.config.busyCacheDaysAhead);
  await replaceCalendarBusy(services.store, { partitionKey: CLIENT, rowKey: connectionId }, calendarId, window, [], 'delta-link', roundAt);
  return { connectionId, calendarId };
}

const fullRoundsFor = async (connectionId: string) =>
  (await peekSyncQueue(ownServices())).filter((m) => m.kind === 'resync' && m.connectionId === connectionId).length;

describe('booking beyond the busy-cache window', () => {
  it('asks for a full round when the booking ends past the window, and not when the window reaches it', async () => {
    const services = ownServices();
    await clearSyncQueue(services);
    const { connectionId, calendarId } = await syncedCalendar(new Date());
    const windowEnd = (await services.store.busy.getSyncState(connectionId, calendarId))!.entity.windowEnd;
    const booking = (end: Date) => ({ partitionKey: CLIENT, connectionId, calendarId, end });

    // Past the horizon but inside this calendar's window: the state is read, and nothing is asked.
    await watchBookingAhead(services, booking(new Date(windowEnd.getTime() - 3600_000)));
    expect(await fullRoundsFor(connectionId)).toBe(0);
    // An hour past the window: a full round, which stretches it.
    await watchBookingAhead(services, booking(new Date(windowEnd.getTime() + 3600_000)));
    expect(await fullRoundsFor(connectionId)).toBe(1);
  });

  it('trusts the horizon without reading the sync state: a booking ending at it asks nothing, one a minute later is checked', async () => {
    const services = ownServices();
    await clearSyncQueue(services);
    // A window far shorter than any the sweep leaves standing (a full round 30 days ago), so only a
    // check that reads the state can notice the booking is beyond it.
    const { connectionId, calendarId } = await syncedCalendar(new Date(Date.now() - 30 * DAY_MS));
    const horizon = watchedHorizon(new Date(), services.config.busyCacheDaysAhead);
    const booking = (end: Date) => ({ partitionKey: CLIENT, connectionId, calendarId, end });

    await watchBookingAhead(services, booking(horizon));
    expect(await fullRoundsFor(connectionId)).toBe(0);
    await watchBookingAhead(services, booking(new Date(horizon.getTime() + 60_000)));
    expect(await fullRoundsFor(connectionId)).toBe(1);
  });

  it('sets the horizon where the windows the resync sweep leaves standing all reach', async () => {
    const services = ownServices();
    const daysAhead = services.config.busyCacheDaysAhead;
    const now = new Date();
    const horizon = watchedHorizon(now, daysAhead).getTime();
    // The oldest window the sweep leaves alone (a full round today), the one before today's sweep has run
    // (yesterday's), and one a missed day older: all reach the horizon.
    for (let daysAgo = 0; daysAgo <= FULL_ROUND_MAX_AGE_DAYS; daysAgo += 1) {
      expect(syncWindow(new Date(now.getTime() - daysAgo * DAY_MS), daysAhead).end.getTime()).toBeGreaterThanOrEqual(horizon);
    }
    // And the sweep does give yesterday's window a full round, so none gets older than that while it runs.
    await clearSyncQueue(services);
    const today = await syncedCalendar(now);
    const yesterday = await syncedCalendar(new Date(now.getTime() - DAY_MS));
    await resyncCalendars(defaultSyncDeps(services), now);
    expect(await fullRoundsFor(today.connectionId)).toBe(0);
    expect(await fullRoundsFor(yesterday.connectionId)).toBe(1);
    // The horizon is still far ahead: most bookings lie inside it.
    expect(horizon - now.getTime()).toBeGreaterThan((daysAhead - FULL_ROUND_MAX_AGE_DAYS - 1) * DAY_MS);
  });
});
