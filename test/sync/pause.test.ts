// The system-wide pause stops sync without losing work: queued sync messages wait on the queue, the
// renewal, reconciliation and resync timers do nothing, and a disabled client's messages are dropped.
// This file uses tables of its own (TABLE_NAME_PREFIX), so its pause cannot reach other test files.
import { beforeAll, describe, expect, it } from 'vitest';
import { forgetCachedSwitches, setSystemPause } from '../../shared/admin/pause.js';
import { getQueue } from '../../shared/queues/queue-client.js';
import type { Services } from '../../shared/services.js';
import { CLIENT_PARTITION } from '../../shared/store/repositories/clients.js';
import { processSyncMessage } from '../../shared/sync/process-sync-message.js';
import { reconcileSubscriptions } from '../../shared/sync/reconcile-subscriptions.js';
import { renewExpiringSubscriptions } from '../../shared/sync/renew-subscriptions.js';
import { resyncCalendars } from '../../shared/sync/resync-calendars.js';
import { defaultSyncDeps } from '../../shared/sync/sync-deps.js';
import { CALENDAR_SYNC_QUEUE } from '../../shared/sync/sync-messages.js';
import { useOwnTables } from '../support/own-tables.js';

const ownServices = useOwnTables('pz');
let services: Services;
const message = (clientId: string) => ({
  kind: 'changes',
  clientId,
  connectionId: 'conn-paused',
  calendarId: 'cal-1',
  subscriptionId: 'sub-1',
  receivedAt: new Date().toISOString(),
});

beforeAll(async () => {
  services = ownServices();
  for (const [id, disabled] of [['client-on', false], ['client-off', true]] as const) {
    await services.store.clients.create({
      partitionKey: CLIENT_PARTITION,
      rowKey: id,
      name: id,
      apiKeyHashes: [],
      allowedReturnOrigins: [],
      disabled,
      createdAt: new Date(),
    });
  }
});

async function queuedCount(): Promise<number> {
  const queue = await getQueue(services.config.storage, CALENDAR_SYNC_QUEUE);
  return (await queue.getProperties()).approximateMessagesCount ?? 0;
}

describe('pause and sync', () => {
  it('keeps sync messages waiting while paused, and lets them through after resume', async () => {
    await setSystemPause(services, true, { reason: 'maintenance' });
    const before = await queuedCount();
    const deps = defaultSyncDeps(services);
    expect(await processSyncMessage(deps, message('client-on'))).toEqual({ kind: 'skipped', reason: 'paused' });
    expect(await queuedCount()).toBe(before + 1);

    expect(await renewExpiringSubscriptions(deps)).toMatchObject({ paused: true, renewed: 0 });
    expect(await reconcileSubscriptions(deps)).toMatchObject({ paused: true, connections: 0 });
    expect(await resyncCalendars(deps)).toMatchObject({ paused: true, queued: 0 });

    await setSystemPause(services, false);
    forgetCachedSwitches(services);
    const outcome = await processSyncMessage(deps, message('client-on'));
    expect(outcome).not.toEqual({ kind: 'skipped', reason: 'paused' });
    expect(await renewExpiringSubscriptions(deps)).not.toHaveProperty('paused');
  });

  it("drops a disabled client's sync messages", async () => {
    const deps = defaultSyncDeps(services);
    expect(await processSyncMessage(deps, message('client-off'))).toEqual({ kind: 'skipped', reason: 'client_disabled' });
  });
});
