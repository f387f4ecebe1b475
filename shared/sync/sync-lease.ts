// Per-calendar coordination of delta rounds, so that notifications collapse: one row per calendar in the
// busy table (RowKey `l|<calendarId>`, next to the calendar's sync state) holding a short lease and the
// start times of the last rounds. A message whose notification arrived before the last round started is
// already covered by it; while another worker holds the lease, the message waits and is looked at again.
// The lease is short and renewed by a heartbeat while the round runs, so a worker that dies mid-round
// (a crash, kill -9, a scale-in) holds the calendar for at most LEASE_MS; the round checks it still holds
// the lease before it writes the cache (a round that lost it writes nothing).
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/index.js';
import { TableRepository } from '../store/repository.js';
import { ConcurrencyError, ConflictError } from '../store/errors.js';

export interface SyncLeaseEntity {
  /** connectionId */
  partitionKey: string;
  /** `l|<calendarId>` */
  rowKey: string;
  leaseOwner?: string;
  leaseUntil?: Date;
  /** Start of the last completed round of any kind: notifications received before it are covered. */
  lastRoundStartedAt?: Date;
  /** Start of the last completed full round: resync requests received before it are covered. */
  lastFullRoundStartedAt?: Date;
}

/** How long a lease lasts without a heartbeat: what a dead worker can cost a calendar. */
export const LEASE_MS = 30_000;
/** A live round renews its lease this often (three heartbeats per lease). */
export const HEARTBEAT_MS = 10_000;

const repos = new WeakMap<Store, TableRepository<SyncLeaseEntity>>();

function leases(store: Store): TableRepository<SyncLeaseEntity> {
  let repo = repos.get(store);
  if (!repo) repos.set(store, (repo = new TableRepository<SyncLeaseEntity>(store.busy.events.client, 5000)));
  return repo;
}

export const syncLeaseRowKey = (calendarId: string) => `l|${calendarId}`;

export type LeaseOutcome = { kind: 'covered' } | { kind: 'busy'; retryInMs: number } | { kind: 'acquired'; lease: SyncLease };

export interface SyncLease {
  owner: string;
  etag: string;
  entity: SyncLeaseEntity;
}

/**
 * Takes the calendar's lease unless a round that started after `receivedAt` already covers the request
 * (`full` asks whether a full round covers it).
 */
export async function acquireSyncLease(store: Store, connectionId: string, calendarId: string, receivedAt: Date, full: boolean, now = new Date()): Promise<LeaseOutcome> {
  const repo = leases(store);
  const rowKey = syncLeaseRowKey(calendarId);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const current = await repo.get(connectionId, rowKey);
    const e = current?.entity;
    const coveredBy = full ? e?.lastFullRoundStartedAt : e?.lastRoundStartedAt;
    if (coveredBy && coveredBy.getTime() >= receivedAt.getTime()) return { kind: 'covered' };
    if (e?.leaseUntil && e.leaseUntil.getTime() > now.getTime()) return { kind: 'busy', retryInMs: Math.min(e.leaseUntil.getTime() - now.getTime(), 3000) };
    const owner = randomUUID();
    const next: SyncLeaseEntity = { ...(e ?? { partitionKey: connectionId, rowKey }), leaseOwner: owner, leaseUntil: new Date(now.getTime() + LEASE_MS) };
    try {
      const saved = current ? await repo.update(next, current.etag) : await repo.create(next);
      return { kind: 'acquired', lease: { owner, etag: saved.etag, entity: next } };
    } catch (error) {
      if (error instanceof ConcurrencyError || error instanceof ConflictError) continue; // someone else moved first
      throw error;
    }
  }
  return { kind: 'busy', retryInMs: 1000 };
}

/** The lease ran out and another worker may have taken it: this round must not write. */
export class SyncLeaseLostError extends Error {
  override name = 'SyncLeaseLostError';
}

/** Keeps a lease alive while a round runs; `stop()` before releasing it. */
export interface LeaseHeartbeat {
  /** Throws SyncLeaseLostError unless the lease is still this round's. */
  assertHeld(): void;
  stop(): Promise<void>;
}

export function startLeaseHeartbeat(store: Store, lease: SyncLease, intervalMs = HEARTBEAT_MS): LeaseHeartbeat {
  let lost = false;
  let expiresAt = lease.entity.leaseUntil?.getTime() ?? 0;
  let beat: Promise<void> = Promise.resolve();
  const renew = async () => {
    const next: SyncLeaseEntity = { ...lease.entity, leaseUntil: new Date(Date.now() + LEASE_MS) };
    try {
      const saved = await leases(store).update(next, lease.etag);
      lease.etag = saved.etag;
      lease.entity = next;
      expiresAt = next.leaseUntil!.getTime();
    } catch (error) {
      if (error instanceof ConcurrencyError) lost = true;
      else console.warn(`sync lease ${lease.entity.rowKey}: heartbeat failed: ${String(error)}`); // a later beat may succeed
    }
  };
  const timer = setInterval(() => {
    beat = beat.then(renew);
  }, intervalMs);
  timer.unref();
  return {
    assertHeld() {
      if (lost || Date.now() >= expiresAt) throw new SyncLeaseLostError(`the sync lease of ${lease.entity.rowKey} was lost`);
    },
    async stop() {
      clearInterval(timer);
      await beat;
    },
  };
}

/** Ends the lease; with `roundStartedAt`, records the round so the requests it covers are skipped. */
export async function releaseSyncLease(store: Store, lease: SyncLease, roundStartedAt?: Date, full = false): Promise<void> {
  const next: SyncLeaseEntity = { ...lease.entity, leaseOwner: undefined, leaseUntil: undefined };
  if (roundStartedAt) {
    next.lastRoundStartedAt = roundStartedAt;
    if (full) next.lastFullRoundStartedAt = roundStartedAt;
  }
  try {
    await leases(store).update(next, lease.etag);
  } catch (error) {
    // The lease ran out and another worker took it: its own round records itself.
    if (!(error instanceof ConcurrencyError)) throw error;
  }
}

export async function forgetSyncLease(store: Store, connectionId: string, calendarId: string): Promise<void> {
  await leases(store).delete(connectionId, syncLeaseRowKey(calendarId));
}

/** The calendar's lease row as it is (operators' tools and tests: is a round running, and since when?). */
export async function readSyncLease(store: Store, connectionId: string, calendarId: string): Promise<SyncLeaseEntity | undefined> {
  return (await leases(store).get(connectionId, syncLeaseRowKey(calendarId)))?.entity;
}
