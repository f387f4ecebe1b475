// The hourly resync sweep: a busy calendar whose cache is missing, stale (a missed notification, a lost
// subscription, a failed round) or whose window has fallen behind today gets a full round, queued. The
// window thus slides forward once a day, and a stale cache does not stay stale. A calendar no notification
// covers (`unwatched`, see calendar-subscriptions.ts) gets a delta round every sweep instead.
import { isSyncPaused } from '../admin/pause.js';
import { requestDeltaRound, requestFullSync, requestSubscriptionSync } from './calendar-subscriptions.js';
import { syncWindow } from './calendar-sync.js';
import { activeCalendarOwners, type CalendarOwner } from './calendar-owner.js';
import type { SyncDeps } from './sync-deps.js';

export async function resyncCalendars(deps: SyncDeps, now = new Date()): Promise<{ checked: number; queued: number; paused?: boolean }> {
  if (await isSyncPaused(deps.services)) return { checked: 0, queued: 0, paused: true };
  const totals = { checked: 0, queued: 0 };
  for await (const owner of activeCalendarOwners(deps.services)) await resyncOwner(deps, owner, now, totals);
  return totals;
}

/** One owner's part of the sweep (the upkeep queue runs it page by page): counts into `totals`. */
export async function resyncOwner(
  deps: SyncDeps,
  connection: CalendarOwner,
  now: Date,
  totals: { checked: number; queued: number },
): Promise<void> {
  const { store } = deps.services;
  const windowStart = syncWindow(now).start.getTime();
  const busy = connection.busyCalendarIds ?? [];
  if (busy.length === 0) return;
  // The calendars no notification covers (secondary calendars on the mailbox resource): the owner's own
  // index partition says which, so the sweep never scans the subscriptions table (that would grow with
  // every owner's subscriptions, once per work message: quadratic in the number of connections).
  const unwatched = await store.subscriptions.listUnwatched(connection.partitionKey, connection.rowKey);
  let neverSynced = false;
  for (const calendarId of busy) {
    totals.checked += 1;
    const state = (await store.busy.getSyncState(connection.rowKey, calendarId))?.entity;
    const polled = unwatched.get(calendarId);
    if (state && state.status === 'synced' && state.windowStart.getTime() >= windowStart) {
      if (polled) {
        await requestDeltaRound(deps.services, connection, calendarId, polled);
        totals.queued += 1;
      }
      continue;
    }
    neverSynced ||= !state;
    await requestFullSync(deps.services, connection, calendarId);
    totals.queued += 1;
  }
  // A calendar never synced may never have been subscribed either (the request at connect time failed):
  // the subscription upkeep is idempotent, so ask for it rather than cache a calendar nobody notifies.
  if (neverSynced) await requestSubscriptionSync(deps.services, connection);
}
