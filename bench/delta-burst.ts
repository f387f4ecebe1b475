// A burst of 50 changes "in Outlook" to one calendar: how many delta rounds (calendarView/delta requests)
// and Graph requests does it cost? The whole path runs: the simulator notifies the local host's
// /api/graph/notifications, the calendar-sync queue (Azurite) runs syncCalendars, and the cache must end
// equal to the simulator's calendar. BENCH_BURST (50).
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalHost } from '../dev/host/index.js';
import { freePort } from '../dev/host/ports.js';
import { graphLifecycleFunction } from '../functions/graphLifecycle.js';
import { graphNotificationsFunction } from '../functions/graphNotifications.js';
import type { QueueFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { defaultCalendarId } from '../shared/graph/subscriptions.js';
import { subscribeCalendar } from '../shared/sync/calendar-subscriptions.js';
import { syncCalendar } from '../shared/sync/calendar-sync.js';
import { processSyncMessage } from '../shared/sync/process-sync-message.js';
import { DEFAULT_SETTLE_MS, type SyncDeps } from '../shared/sync/sync-deps.js';
import { CALENDAR_SYNC_QUEUE } from '../shared/sync/sync-messages.js';
import { report, seedConnection, startSyncFixture } from './lib/sync-fixture.js';
import { waitFor } from '../test/support/wait-for.js';

const burst = Number(process.env.BENCH_BURST ?? 50);
const port = await freePort();
const fx = await startSyncFixture(`http://127.0.0.1:${port}`);
const deps: SyncDeps = {
  services: fx.services,
  graphFor: (connection) => fx.graphForUser(connection.objectId!),
  emit: async () => undefined,
  settleMs: DEFAULT_SETTLE_MS,
};
const syncFunction: QueueFunctionDefinition = {
  kind: 'queue',
  name: 'syncCalendars',
  queueName: CALENDAR_SYNC_QUEUE,
  handler: async (item) => {
    await processSyncMessage(deps, item);
  },
};
const host = await startLocalHost({
  definitions: [graphNotificationsFunction, graphLifecycleFunction, syncFunction],
  port,
  storage: fx.services.config.storage,
  logLevel: 'error',
  queues: { maxPollingIntervalMs: 200 },
});

try {
  const user = fx.addUser('burst');
  // The default calendar: the documented subscription resource /users/{id}/events notifies its changes
  // (https://learn.microsoft.com/en-us/graph/outlook-change-notifications-overview).
  const calendar = { id: await defaultCalendarId(fx.graphForUser(user.id)) };
  const connection = await seedConnection(fx.services, user, [calendar.id]);
  await subscribeCalendar(fx.services, deps.graphFor(connection), connection, calendar.id);
  await syncCalendar(deps, { clientId: connection.partitionKey, connectionId: connection.rowKey, calendarId: calendar.id, receivedAt: new Date(), full: true });
  await fx.control('DELETE', '/graph/counters');

  const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  const before = fx.graphRequests();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: burst }, (_, i) =>
      fx.control('POST', `/graph/users/${user.id}/events`, {
        calendarId: calendar.id,
        subject: `Burst ${i}`,
        start: { dateTime: `${day}T${String(i % 24).padStart(2, '0')}:00:00`, timeZone: 'UTC' },
        end: { dateTime: `${day}T${String(i % 24).padStart(2, '0')}:30:00`, timeZone: 'UTC' },
      }),
    ),
  );
  // Converged: every burst event cached, and the queue quiet for a while.
  let cached = 0;
  await waitFor(async () => (cached = (await fx.services.store.busy.listCalendarEvents(connection.rowKey, calendar.id)).length) >= burst, {
    message: `all ${burst} events in the cache`,
    timeout: 60_000,
  }).catch((error: Error) => {
    throw new Error(`${error.message} (${cached} got there)`);
  });
  const converged = (performance.now() - t0) / 1000;
  // A measurement window, not a wait for a condition: what straggling messages still send is counted too.
  await sleep(DEFAULT_SETTLE_MS + 3000);
  const counters = await fx.control<{ byEndpoint: Record<string, number> }>('GET', '/graph/counters');
  const deltaRequests = Object.entries(counters.byEndpoint)
    .filter(([k]) => k.includes('calendarView/delta'))
    .reduce((sum, [, v]) => sum + v, 0);
  const deliveries = await fx.control<{ value?: unknown[] } | unknown[]>('GET', '/graph/notifications');
  const posts = Array.isArray(deliveries) ? deliveries.length : (deliveries.value?.length ?? 0);
  const requests = fx.graphRequests() - before;
  console.info(`delta-burst: ${burst} changes -> ${posts} notification POSTs, ${deltaRequests} delta requests, ${requests} Graph requests; converged in ${converged.toFixed(1)} s`);
  report('delta-burst', 'delta rounds (calendarView/delta requests)', deltaRequests, 'requests');
  report('delta-burst', 'Graph requests', requests, 'requests');
  report('delta-burst', 'notification POSTs', posts, 'count');
  report('delta-burst', 'time to converge', Math.round(converged * 10) / 10, 's');
} finally {
  await host.close();
  await fx.close();
}
