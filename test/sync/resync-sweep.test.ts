// The hourly resync sweep: calendars whose cache is missing, stale or behind the window get a full round;
// a calendar never synced also gets the connection's subscription upkeep, in case the subscription request
// made at connect time was lost. Uses tables of its own, so other files' connections are not swept here.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { replaceCalendarBusy } from '../../shared/sync/busy-cache.js';
import { syncWindow } from '../../shared/sync/calendar-sync.js';
import { resyncCalendars } from '../../shared/sync/resync-calendars.js';
import { defaultSyncDeps } from '../../shared/sync/sync-deps.js';
import { useOwnTables } from '../support/own-tables.js';
import { clearSyncQueue, peekSyncQueue } from './support.js';

const ownServices = useOwnTables('rs');

async function seedConnection(busyCalendarIds: string[]): Promise<string> {
  const connectionId = randomUUID();
  await ownServices().store.connections.create({
    partitionKey: 'client-sweep',
    rowKey: connectionId,
    externalUserId: `user-${connectionId}`,
    status: 'active',
    objectId: randomUUID(),
    busyCalendarIds,
    createdAt: new Date(),
  });
  return connectionId;
}

describe('resync sweep', () => {
  it('asks a never-synced connection for its subscriptions and full rounds, and leaves a synced one alone', async () => {
    const services = ownServices();
    await clearSyncQueue(services);
    const now = new Date();
    const fresh = await seedConnection(['cal-a', 'cal-b']);
    const synced = await seedConnection(['cal-c']);
    const window = syncWindow(now);
    await replaceCalendarBusy(services.store, { partitionKey: 'client-sweep', rowKey: synced }, 'cal-c', window, [], 'delta-link', now);

    const report = await resyncCalendars(defaultSyncDeps(services), now);
    expect(report).toEqual({ checked: 3, queued: 2 });

    const messages = await peekSyncQueue(services);
    const forFresh = messages.filter((m) => m.connectionId === fresh);
    expect(forFresh.filter((m) => m.kind === 'resync').map((m) => m.calendarId).sort()).toEqual(['cal-a', 'cal-b']);
    expect(forFresh.filter((m) => m.kind === 'subscriptions')).toHaveLength(1);
    expect(messages.filter((m) => m.connectionId === synced)).toEqual([]);
  });
});
