// The daily reconciliation through the connection-upkeep queue, page by page: the timer only queues a scan;
// each scan message reads one page of owners, queues their work and the scan of the next page. A worker that
// dies mid-page leaves its message on the queue, and the scan resumes from that page's continuation, not
// from the start. Tables and queues of this file's own; no host polls them, the test drains them itself.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeQueueMessage, getQueue } from '../../shared/queues/queue-client.js';
import { defaultSyncDeps } from '../../shared/sync/sync-deps.js';
import { OWNER_RETRY_LIMIT, parseUpkeepMessage, processUpkeepMessage, startReconcileScan, UPKEEP_QUEUE, type UpkeepMessage } from '../../shared/upkeep/upkeep.js';
import { useOwnTables } from '../support/own-tables.js';
import { waitFor } from '../support/wait-for.js';

const ownServices = useOwnTables('rc');
const CLIENT = 'client-reconcile';

async function seedConnection(status: 'active' | 'disconnected'): Promise<string> {
  const connectionId = randomUUID();
  await ownServices().store.connections.create({
    partitionKey: CLIENT,
    rowKey: connectionId,
    externalUserId: `user-${connectionId}`,
    status,
    objectId: randomUUID(),
    busyCalendarIds: ['cal-a'],
    createdAt: new Date(),
  });
  return connectionId;
}

describe('reconciliation through the upkeep queue', () => {
  it('covers a set larger than a page over several scan messages, and a page whose worker died resumes from its continuation', async () => {
    const services = ownServices();
    const deps = defaultSyncDeps(services);
    const active = new Set<string>();
    for (let i = 0; i < 7; i += 1) active.add(await seedConnection('active'));
    const gone = await seedConnection('disconnected');
    const queue = await getQueue(services.config.storage, UPKEEP_QUEUE);

    await startReconcileScan(deps, new Date(), { pageSize: 3 });
    const scans: UpkeepMessage[] = [];
    const reached: string[] = [];
    let reconciled = 0;
    let orphanRuns = 0;
    let crashed: string | undefined;
    // Drains as the host does; the first page after the first is "crashed": processed, never deleted, so it
    // comes back after its visibility timeout, as after a worker's death.
    let redone = false;
    for (;;) {
      const [item] = (await queue.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 5 })).receivedMessageItems;
      if (!item) {
        if (!crashed || redone) break;
        await waitFor(async () => (await queue.peekMessages()).peekedMessageItems.length > 0, { message: 'the crashed scan message back on the queue', timeout: 10_000 });
        continue;
      }
      const message = parseUpkeepMessage(decodeQueueMessage(item.messageText));
      expect(message, item.messageText).toBeDefined();
      const outcome = await processUpkeepMessage(deps, message);
      if (message!.kind === 'reconcile-scan') {
        if (crashed && message!.continuationToken === crashed) redone = true;
        scans.push(message!);
      }
      if (message!.kind === 'reconcile') reached.push(...message!.connections.map((c) => c.connectionId));
      if (message!.kind === 'reconcile-orphans') orphanRuns += 1;
      if (outcome.kind === 'reconciled') reconciled += outcome.report.connections;
      const resumable = message!.kind === 'reconcile-scan' && message!.continuationToken;
      if (resumable && !crashed) {
        crashed = message!.continuationToken;
        continue;
      }
      await queue.deleteMessage(item.messageId, item.popReceipt);
    }

    const connectionScans = scans.filter((s) => s.kind === 'reconcile-scan' && s.table === 'connections');
    // 7 active rows at 3 a page: 3 pages, the crashed one read twice; the scan started once, never again from the top.
    expect(connectionScans.filter((s) => s.kind === 'reconcile-scan' && !s.continuationToken)).toHaveLength(1);
    expect(crashed).toBeDefined();
    expect(connectionScans.filter((s) => s.kind === 'reconcile-scan' && s.continuationToken === crashed)).toHaveLength(2);
    expect(new Set(reached)).toEqual(active);
    expect(reached).not.toContain(gone);
    // Each owner once, but for the crashed page's, which may be queued again (reconciling is idempotent; these
    // fake owners have no tokens, so the first pass marked them for re-connection and the redo finds none).
    expect(reached.length).toBeLessThanOrEqual(active.size + 3);
    expect(reconciled).toBe(reached.length);
    // The orphan-report pass follows each last page read (twice here: the redo reached the end again).
    expect(orphanRuns).toBeGreaterThanOrEqual(1);
    expect(orphanRuns).toBe(scans.filter((s) => s.kind === 'reconcile-scan' && s.table === 'spaces').length);
  }, 60_000);

  it('puts back only the owner it could not read, alone and after a backoff, instead of redoing the whole message', async () => {
    const services = ownServices();
    const deps = defaultSyncDeps(services);
    const queue = await getQueue(services.config.storage, UPKEEP_QUEUE);
    await queue.clearMessages();
    const ids = [await seedConnection('active'), await seedConnection('active'), await seedConnection('active')];
    const unreadable = ids[1]!;
    const repo = services.store.connections;
    const original = repo.getConnection;
    let failing = true;
    // A storage timeout on one owner's row (what made a loaded 1,000-owner sweep retry every message whole).
    repo.getConnection = async function (this: typeof repo, clientId: string, connectionId: string) {
      if (failing && connectionId === unreadable) throw new Error('Table request timed out (injected)');
      return original.call(this, clientId, connectionId);
    };
    try {
      const at = new Date().toISOString();
      const outcome = await processUpkeepMessage(deps, { kind: 'reconcile', at, connections: ids.map((connectionId) => ({ clientId: CLIENT, connectionId })) });
      expect(outcome).toMatchObject({ kind: 'reconciled', deferred: 1, report: { connections: 2 } });
      // Hidden for its backoff, not retried at once.
      expect((await queue.receiveMessages()).receivedMessageItems).toHaveLength(0);
      failing = false;
      const item = await waitFor(async () => (await queue.receiveMessages({ visibilityTimeout: 60 })).receivedMessageItems[0], { message: 'the unread owner back on the queue', timeout: 20_000, interval: 250 });
      const retried = parseUpkeepMessage(decodeQueueMessage(item.messageText));
      expect(retried).toEqual({ kind: 'reconcile', at, connections: [{ clientId: CLIENT, connectionId: unreadable }], attempt: 1 });
      expect(await processUpkeepMessage(deps, retried)).toMatchObject({ kind: 'reconciled', deferred: 0, report: { connections: 1 } });
      await queue.deleteMessage(item.messageId, item.popReceipt);

      // The last retry gives up (the owners wait for the timer's next run) instead of looping forever.
      failing = true;
      for (const kind of ['reconcile', 'resync', 'keepalive'] as const) {
        const last = await processUpkeepMessage(deps, { kind, at, connections: [{ clientId: CLIENT, connectionId: unreadable }], attempt: OWNER_RETRY_LIMIT });
        expect(last).toMatchObject({ deferred: 1 });
      }
      expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
    } finally {
      repo.getConnection = original;
    }
  }, 40_000);

  it('drops a work message whose retry count is not 1 to the limit', () => {
    const at = new Date().toISOString();
    const connections = [{ clientId: CLIENT, connectionId: 'c' }];
    for (const attempt of [0, OWNER_RETRY_LIMIT + 1, 1.5, '1']) expect(parseUpkeepMessage({ kind: 'resync', at, connections, attempt })).toBeUndefined();
    expect(parseUpkeepMessage({ kind: 'keepalive', at, connections, attempt: 2 })).toEqual({ kind: 'keepalive', at, connections, attempt: 2 });
  });

  it('drops a scan message with a page size outside 1 to 1,000', () => {
    const at = new Date().toISOString();
    for (const pageSize of [0, 1001, 2.5, '3']) expect(parseUpkeepMessage({ kind: 'reconcile-scan', at, table: 'connections', pageSize })).toBeUndefined();
    expect(parseUpkeepMessage({ kind: 'reconcile-scan', at, table: 'spaces', pageSize: 3 })).toEqual({ kind: 'reconcile-scan', at, table: 'spaces', pageSize: 3 });
    expect(parseUpkeepMessage({ kind: 'reconcile', at, connections: [] })).toBeUndefined();
  });
});
