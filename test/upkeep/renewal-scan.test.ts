// The renewal scan groups what is due into work messages of up to 20 connections and 100 subscriptions, so a
// message records its renewals' new expiry index rows (which share an hour's partition) in one transaction.
// Tables and queues of this file's own; the test reads the queue itself (no Graph is called).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeQueueMessage, getQueue } from '../../shared/queues/queue-client.js';
import { defaultSyncDeps } from '../../shared/sync/sync-deps.js';
import { parseUpkeepMessage, processUpkeepMessage, UPKEEP_QUEUE, type UpkeepMessage } from '../../shared/upkeep/upkeep.js';
import { useOwnTables } from '../support/own-tables.js';

const ownServices = useOwnTables('rn');

async function seedDue(connectionId: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    await ownServices().store.subscriptions.createSubscription({
      subscriptionId: randomUUID(),
      clientId: 'client-renew',
      connectionId,
      calendarId: `cal-${i}`,
      resource: `/users/x/calendars/cal-${i}/events`,
      clientStateHash: 'hash',
      expiresAt: new Date(Date.now() + 30 * 60_000),
      createdAt: new Date(),
    });
  }
}

describe('renewal scan', () => {
  it('puts work messages of up to 20 connections and 100 subscriptions, every due subscription in one of them', async () => {
    const services = ownServices();
    const queue = await getQueue(services.config.storage, UPKEEP_QUEUE);
    await queue.clearMessages();
    // 45 connections with one subscription, and one with 90.
    for (let i = 0; i < 45; i += 1) await seedDue(randomUUID(), 1);
    await seedDue('many-calendars', 90);

    const outcome = await processUpkeepMessage(defaultSyncDeps(services), { kind: 'renewal-scan', until: new Date(Date.now() + 3600_000).toISOString() });
    expect(outcome).toMatchObject({ kind: 'scanned', task: 'renewal', rows: 135, more: false });
    const work: Extract<UpkeepMessage, { kind: 'renewal' }>[] = [];
    for (;;) {
      const { receivedMessageItems: items } = await queue.receiveMessages({ numberOfMessages: 32 });
      if (items.length === 0) break;
      for (const item of items) work.push(parseUpkeepMessage(decodeQueueMessage(item.messageText)) as Extract<UpkeepMessage, { kind: 'renewal' }>);
    }
    expect(work.every((m) => m?.kind === 'renewal')).toBe(true);
    for (const m of work) {
      expect(m.connections.length).toBeLessThanOrEqual(20);
      expect(m.connections.flatMap((c) => c.subscriptions).length).toBeLessThanOrEqual(100);
    }
    expect(work.flatMap((m) => m.connections.flatMap((c) => c.subscriptions)).length).toBe(135);
    // 46 connections need at least 3 messages; the grouping follows the index's order, so 3 or 4 (one a
    // connection would be 46).
    expect(work.length).toBeGreaterThanOrEqual(3);
    expect(work.length).toBeLessThanOrEqual(4);
  });
});
