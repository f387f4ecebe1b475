// The hourly resync sweep: a busy calendar whose cache is missing, stale (a missed notification, a lost
// subscription, a failed round) or whose window has fallen behind today gets a full round, queued. The
// window thus slides forward once a day, and a stale cache does not stay stale. A calendar no notification
// covers (`unwatched`, see calendar-subscriptions.ts) gets a delta round every sweep instead.
import { isSyncPaused } from '../admin/pause.js';
import { odata } from '@azure/data-tables';
import type { SubscriptionEntity } from '../store/repositories/subscriptions.js';
import { requestDeltaRound, requestFullSync, requestSubscriptionSync } from './calendar-subscriptions.js';
import { syncWindow } from './calendar-sync.js';
import { activeCalendarOwners } from './calendar-owner.js';
import type { SyncDeps } from './sync-deps.js';

export async function resyncCalendars(deps: SyncDeps, now = new Date()): Promise<{ checked: number; queued: number; paused?: boolean }> {
  const { store } = deps.services;
  if (await isSyncPaused(deps.services)) return { checked: 0, queued: 0, paused: true };
  const windowStart = syncWindow(now).start.getTime();
  let checked = 0;
  let queued = 0;
  // Calendars no notification covers (secondary calendars on the mailbox resource): a delta round each sweep.
  const unwatched = new Map<string, SubscriptionEntity>();
  for await (const { entity } of store.subscriptions.records.queryAll(odata`unwatched eq true`)) unwatched.set(`${entity.connectionId}\n${entity.calendarId}`, entity);
  for await (const connection of activeCalendarOwners(deps.services)) {
    let neverSynced = false;
    for (const calendarId of connection.busyCalendarIds ?? []) {
      checked += 1;
      const state = (await store.busy.getSyncState(connection.rowKey, calendarId))?.entity;
      const polled = unwatched.get(`${connection.rowKey}\n${calendarId}`);
      if (state && state.status === 'synced' && state.windowStart.getTime() >= windowStart) {
        if (polled) await requestDeltaRound(deps.services, connection, calendarId, polled.subscriptionId);
        if (polled) queued += 1;
        continue;
      }
      neverSynced ||= !state;
      await requestFullSync(deps.services, connection, calendarId);
      queued += 1;
    }
    // A calendar never synced may never have been subscribed either (the request at connect time failed):
    // the subscription upkeep is idempotent, so ask for it rather than cache a calendar nobody notifies.
    if (neverSynced) await requestSubscriptionSync(deps.services, connection);
  }
  return { checked, queued };
}
