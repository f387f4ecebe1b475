// subscriptions: Graph subscriptions, read two ways in one table.
// - The record, keyed by subscription id (PartitionKey `sub-<id>`, RowKey 'record'): every notification is a
//   point read; other changes update it with its ETag (a stable key, so ETags survive a change of expiry).
// - An expiry index row per subscription (PartitionKey `exp-<yyyyMMddHH>` of expiry, RowKey <id>, with the
//   owner): the renewal timer reads one small key range of what expires soon, never the whole table, and
//   renews from those rows alone: the record's expiry is merged in without reading the record.
// - Share rows (PartitionKey `sub-<id>`, RowKey `share-<hash of owner and calendar>`): another owner's calendar
//   served by the same Graph subscription. Graph allows one subscription per app, resource and changeType
//   (a second create answers 409), so two connections to one mailbox, or a calendar that falls back to
//   the mailbox-wide resource, share it. A share row repeats the record's fields with its own owner.
// - An owner index row per record and share row (PartitionKey `own-<hash of client and connection>`, RowKey
//   `<id>|<record or share row key>`): an owner's subscriptions are one partition query plus a point read
//   each (reconciliation, disconnect, the connection view), never a scan of the table.
// Index rows are written before the record changes and removed after, so a crash leaves at worst a stale
// index row, which the readers recognise (listExpiring: its bucket no longer matches the record;
// listOwnerRecords: the row is gone or has another owner) and remove; a renewal renews a stale expiry row's
// subscription once more (a PATCH) and removes the row, or removes it when the record is gone.
import { odata, type TableClient } from '@azure/data-tables';
import { NotFoundError } from '../errors.js';
import type { CallOptions, EntityKeys, MutateOptions, Versioned } from '../repository.js';
import { settleLimited } from '../../runtime/settle-limited.js';
import { TableRepository } from '../repository.js';
import type { CounterRepository } from './counters.js';
import { describeError } from '../../logging.js';
import { sha256Hex } from '../../sha256.js';

export const SUBSCRIPTION_RECORD_ROW = 'record';
const SHARE_ROW_PREFIX = 'share-';
const RECORD_PREFIX = 'sub-';
const BUCKET_PREFIX = 'exp-';
const OWNER_PREFIX = 'own-';

export interface SubscriptionEntity {
  /** subscriptionRecordKey(subscriptionId) */
  partitionKey: string;
  /** SUBSCRIPTION_RECORD_ROW for the owner that renews it; a share row's key otherwise (isShareRow). */
  rowKey: string;
  subscriptionId: string;
  clientId: string;
  connectionId: string;
  /** Graph resource, e.g. `/me/calendars/{id}/events`. */
  resource: string;
  calendarId?: string;
  /** SHA-256 of the clientState sent to Graph; the value itself is never stored. */
  clientStateHash: string;
  /**
   * The calendar rides on a resource Outlook does not notify its changes on (a secondary calendar on the
   * mailbox resource, after Graph refused its own): the resync sweep runs its delta round every hour.
   */
  unwatched?: boolean;
  expiresAt: Date;
  deltaLink?: string;
  createdAt: Date;
  updatedAt?: Date;
}

/**
 * A subscription id Graph notified us about that we hold no record of (PartitionKey 'orphan', RowKey the id):
 * written by the notification endpoints (rate-limited), resolved and removed by reconciliation.
 */
export interface OrphanReportEntity {
  partitionKey: typeof ORPHAN_PARTITION;
  rowKey: string;
  /** The tenantId the notification carried (unverified: anyone can POST). */
  tenantId?: string;
  firstSeenAt: Date;
}

export const ORPHAN_PARTITION = 'orphan';

interface ExpiryIndexEntity {
  /** expiryBucket(expiresAt) */
  partitionKey: string;
  /** subscriptionId */
  rowKey: string;
  expiresAt: Date;
  /**
   * The owner, so the renewal scan groups by connection without reading each record (absent on old rows).
   * Not named clientId/connectionId: the owner scans (`clientId eq .. and connectionId eq ..`) over this
   * table must keep finding records and share rows only.
   */
  ownerClientId?: string;
  ownerConnectionId?: string;
}

/** Points from an owner to one of its record or share rows (no clientId/connectionId fields, see above). */
interface OwnerIndexEntity {
  /** ownerIndexKey(clientId, connectionId) */
  partitionKey: string;
  /** `<subscriptionId>|<the row's RowKey>` */
  rowKey: string;
  subscriptionId: string;
  row: string;
  indexedAt: Date;
  /** The row's calendar and whether a notification covers it, so the resync sweep finds the calendars it
   * must poll in the owner's own partition. Absent on pointers written before they carried it. */
  calendarId?: string;
  unwatched?: boolean;
}

/**
 * A pointer is written just before its row (and an owner's just before the record passes to it): one
 * younger than this may be a write still in flight, so readers skip it rather than remove it.
 */
const OWNER_INDEX_SETTLE_MS = 10 * 60_000;

type Owned = Pick<SubscriptionEntity, 'subscriptionId' | 'rowKey' | 'clientId' | 'connectionId' | 'calendarId' | 'unwatched'>;

/** The owner index partition of one connection (or space): hashed, so no key escaping is needed. */
export function ownerIndexKey(clientId: string, connectionId: string): string {
  return OWNER_PREFIX + sha256Hex(`${clientId}\n${connectionId}`).slice(0, 40);
}

/** One subscription the expiry index says is due, with its owner when the index row carries it. */
export interface ExpiringRef {
  subscriptionId: string;
  bucket: string;
  expiresAt: Date;
  clientId?: string;
  connectionId?: string;
}

/** Graph renewed it: the new expiry to record. */
export interface RenewedSubscription {
  due: DueSubscription;
  expiresAt: Date;
}

/** Record merges a renewal run keeps in flight at once: the Table service prefers a steady stream to a spike. */
const RECORD_WRITE_CONCURRENCY = 4;

/** A subscription due for renewal as its expiry index row names it: what a renewal needs, without the record. */
export interface DueSubscription {
  subscriptionId: string;
  /** The index row's bucket, removed once the renewal is recorded. */
  bucket: string;
  clientId: string;
  connectionId: string;
}

function sameOwner(a: Pick<SubscriptionEntity, 'clientId' | 'connectionId'>, b: Pick<SubscriptionEntity, 'clientId' | 'connectionId'>): boolean {
  return a.clientId === b.clientId && a.connectionId === b.connectionId;
}

export function isShareRow(entity: Pick<SubscriptionEntity, 'rowKey'>): boolean {
  return entity.rowKey.startsWith(SHARE_ROW_PREFIX);
}

function shareRowKey(owner: Pick<SubscriptionEntity, 'clientId' | 'connectionId' | 'calendarId'>): string {
  return SHARE_ROW_PREFIX + sha256Hex(`${owner.clientId}\n${owner.connectionId}\n${owner.calendarId ?? ''}`).slice(0, 40);
}

export function subscriptionRecordKey(subscriptionId: string): string {
  return `${RECORD_PREFIX}${subscriptionId}`;
}

/** The hour (UTC) of expiry: `exp-2025061314`. Sorts in time order. */
export function expiryBucket(expiresAt: Date): string {
  const iso = expiresAt.toISOString(); // 2025-06-13T14:05:00.000Z
  return `${BUCKET_PREFIX}${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}`;
}

/** The sharded counter (shared/store/repositories/counters.ts) holding `total`, the number of subscriptions. */
export const SUBSCRIPTION_COUNTER = 'subscriptions';

export type NewSubscription = Omit<SubscriptionEntity, 'partitionKey' | 'rowKey'>;

/** How far back listExpiring() looks for subscriptions that expired without being renewed. */
export const EXPIRED_LOOKBACK_MS = 7 * 24 * 3600 * 1000;

export class SubscriptionRepository {
  readonly records: TableRepository<SubscriptionEntity>;
  readonly orphans: TableRepository<OrphanReportEntity>;
  private readonly index: TableRepository<ExpiryIndexEntity>;
  readonly owners: TableRepository<OwnerIndexEntity>;

  /** `counters` keeps the number of subscriptions (for the telemetry gauge, without a scan). */
  constructor(
    client: TableClient,
    timeoutMs: number,
    private readonly counters?: CounterRepository,
  ) {
    this.records = new TableRepository<SubscriptionEntity>(client, timeoutMs);
    this.orphans = new TableRepository<OrphanReportEntity>(client, timeoutMs);
    this.index = new TableRepository<ExpiryIndexEntity>(client, timeoutMs);
    this.owners = new TableRepository<OwnerIndexEntity>(client, timeoutMs);
  }

  getSubscription(subscriptionId: string, options: CallOptions = {}): Promise<Versioned<SubscriptionEntity> | null> {
    return this.records.get(subscriptionRecordKey(subscriptionId), SUBSCRIPTION_RECORD_ROW, options);
  }

  /** ConflictError when the subscription id is already recorded. */
  async createSubscription(fields: NewSubscription, options: CallOptions = {}): Promise<Versioned<SubscriptionEntity>> {
    const entity: SubscriptionEntity = {
      ...fields,
      partitionKey: subscriptionRecordKey(fields.subscriptionId),
      rowKey: SUBSCRIPTION_RECORD_ROW,
    };
    await this.writeIndex(entity, options);
    await this.writeOwnerIndex(entity, options);
    const created = await this.records.create(entity, options);
    await this.count(1);
    return created;
  }

  /**
   * Read-modify-write of a subscription (renewal, new delta link), retried on lost races.
   * NotFoundError when it does not exist.
   */
  async mutateSubscription(
    subscriptionId: string,
    change: (current: SubscriptionEntity) => SubscriptionEntity,
    options: MutateOptions & { known?: Versioned<SubscriptionEntity> } = {},
  ): Promise<Versioned<SubscriptionEntity>> {
    let previous: SubscriptionEntity | undefined;
    const saved = await this.records.mutate(
      subscriptionRecordKey(subscriptionId),
      SUBSCRIPTION_RECORD_ROW,
      async (current) => {
        previous = current;
        const next = { ...change(current), partitionKey: current.partitionKey, rowKey: current.rowKey };
        // The index row carries the owner too (renewals group and renew by it without reading the record).
        if (expiryBucket(next.expiresAt) !== expiryBucket(current.expiresAt) || !sameOwner(next, current)) await this.writeIndex(next, options);
        if (!sameOwner(next, current)) await this.writeOwnerIndex(next, options);
        return next;
      },
      options,
    );
    if (previous && expiryBucket(previous.expiresAt) !== expiryBucket(saved.entity.expiresAt)) {
      await this.index.delete(expiryBucket(previous.expiresAt), subscriptionId, options);
    }
    if (previous && !sameOwner(previous, saved.entity)) await this.dropOwnerIndex(previous, options);
    return saved;
  }

  /**
   * Renewals' new expiries, recorded without reading the records: the index rows for the new hours first
   * (a renewal run's share one hour's partition: one entity-group transaction per 100), then each record's
   * expiry merged in (no ETag: it changes no other field, so no concurrent write is lost, and a concurrent
   * renewal writes an expiry as good), then the old index rows removed, again by partition. A record that is
   * gone (unsubscribed meanwhile) takes both its index rows with it. A merge that fails leaves the record's
   * old expiry and both index rows: the next scan renews it again.
   */
  async recordRenewals(renewed: readonly RenewedSubscription[], options: CallOptions = {}): Promise<{ recorded: number; gone: number; failed: number }> {
    const outcome = { recorded: 0, gone: 0, failed: 0 };
    if (renewed.length === 0) return outcome;
    await this.writeIndexRows(renewed.map(({ due, expiresAt }) => this.indexRow({ ...due, expiresAt })), [], options);
    const merged = await settleLimited(renewed, RECORD_WRITE_CONCURRENCY, ({ due, expiresAt }) =>
      this.records.merge({ partitionKey: subscriptionRecordKey(due.subscriptionId), rowKey: SUBSCRIPTION_RECORD_ROW, expiresAt, updatedAt: new Date() }, options),
    );
    const stale: { partitionKey: string; rowKey: string }[] = [];
    renewed.forEach(({ due, expiresAt }, i) => {
      const result = merged[i]!;
      const bucket = expiryBucket(expiresAt);
      if (result.status === 'rejected' && !(result.reason instanceof NotFoundError)) {
        outcome.failed += 1;
        console.warn(`renewal of ${due.subscriptionId} not recorded: ${describeError(result.reason)}`);
        return;
      }
      if (result.status === 'fulfilled') outcome.recorded += 1;
      else outcome.gone += 1;
      if (result.status === 'rejected') stale.push({ partitionKey: bucket, rowKey: due.subscriptionId });
      if (due.bucket !== bucket) stale.push({ partitionKey: due.bucket, rowKey: due.subscriptionId });
    });
    // A row left here is only stale: readers recognise it, and the next renewal removes it.
    await this.writeIndexRows([], stale, options).catch((error: unknown) => console.warn(`renewal: old expiry index rows not removed: ${describeError(error)}`));
    return outcome;
  }

  /** Index rows written and removed a partition (an hour of expiry) at a time. */
  private async writeIndexRows(upserts: readonly ExpiryIndexEntity[], deletes: readonly EntityKeys[], options: CallOptions): Promise<void> {
    const partitions = new Map<string, { upserts: ExpiryIndexEntity[]; deletes: string[] }>();
    const partition = (key: string) => partitions.get(key) ?? partitions.set(key, { upserts: [], deletes: [] }).get(key)!;
    for (const row of upserts) partition(row.partitionKey).upserts.push(row);
    for (const row of deletes) partition(row.partitionKey).deletes.push(row.rowKey);
    for (const [key, rows] of partitions) await this.index.writePartition(key, rows.upserts, rows.deletes, options);
  }

  /** The record and every share row of one Graph subscription (one partition), record first. */
  async listOwners(subscriptionId: string, options: CallOptions = {}): Promise<SubscriptionEntity[]> {
    const rows: SubscriptionEntity[] = [];
    for await (const { entity } of this.records.queryAll(odata`PartitionKey eq ${subscriptionRecordKey(subscriptionId)}`, options)) rows.push(entity);
    return rows.sort((a, b) => Number(isShareRow(a)) - Number(isShareRow(b)));
  }

  /** Records that another owner's calendar is served by this subscription (idempotent). */
  async addShare(
    record: SubscriptionEntity,
    owner: Pick<SubscriptionEntity, 'clientId' | 'connectionId' | 'calendarId'>,
    unwatched: boolean,
    options: CallOptions = {},
  ): Promise<SubscriptionEntity> {
    const { deltaLink: _deltaLink, updatedAt: _updatedAt, unwatched: _unwatched, ...fields } = record;
    const share: SubscriptionEntity = { ...fields, ...owner, ...(unwatched ? { unwatched } : {}), rowKey: shareRowKey(owner), createdAt: new Date() };
    await this.writeOwnerIndex(share, options);
    return (await this.records.upsert(share, options)).entity;
  }

  async deleteShare(share: Pick<SubscriptionEntity, 'partitionKey'> & Owned, options: CallOptions = {}): Promise<void> {
    await this.records.delete(share.partitionKey, share.rowKey, options);
    await this.dropOwnerIndex(share, options);
  }

  /**
   * The record's owner leaves while shares remain: the first share becomes the record's owner (the Graph
   * subscription stays, its clientState and expiry unchanged) and its share row goes.
   */
  async promoteShare(record: SubscriptionEntity, share: SubscriptionEntity, options: CallOptions = {}): Promise<void> {
    await this.mutateSubscription(
      record.subscriptionId,
      // The share's calendar may be one the subscription's resource does not notify (a secondary calendar on
      // the mailbox resource): the flag passes with it.
      (current) => ({ ...current, clientId: share.clientId, connectionId: share.connectionId, calendarId: share.calendarId, unwatched: share.unwatched === true, updatedAt: new Date() }),
      options,
    );
    await this.deleteShare(share, options);
  }

  /** Idempotent. */
  async deleteSubscription(subscriptionId: string, options: CallOptions = {}): Promise<void> {
    const found = await this.getSubscription(subscriptionId, options);
    if (!found) return;
    await this.records.delete(found.entity.partitionKey, SUBSCRIPTION_RECORD_ROW, options);
    await this.index.delete(expiryBucket(found.entity.expiresAt), subscriptionId, options);
    await this.dropOwnerIndex(found.entity, options);
    await this.count(-1);
  }

  /**
   * Every record and share row one connection (or space) owns: one partition query of the owner index and
   * a point read per row. Index rows whose row is gone or has passed to another owner are skipped, and
   * removed once they are too old to be a write in flight.
   */
  async listOwnerRecords(clientId: string, connectionId: string, options: CallOptions = {}): Promise<SubscriptionEntity[]> {
    const pointers: OwnerIndexEntity[] = [];
    for await (const { entity } of this.owners.queryAll(odata`PartitionKey eq ${ownerIndexKey(clientId, connectionId)}`, options)) pointers.push(entity);
    const rows = await Promise.all(
      pointers.map(async (pointer) => {
        const found = (await this.records.get(subscriptionRecordKey(pointer.subscriptionId), pointer.row, options))?.entity;
        if (found && found.clientId === clientId && found.connectionId === connectionId) return found;
        if (Date.now() - pointer.indexedAt.getTime() > OWNER_INDEX_SETTLE_MS) await this.owners.delete(pointer.partitionKey, pointer.rowKey, options);
        return undefined;
      }),
    );
    return rows.filter((row): row is SubscriptionEntity => row !== undefined);
  }

  /**
   * The owner's calendars no notification covers (polled by every resync sweep) and their subscription ids:
   * one partition query of its owner index. A pointer written before pointers carried the flag is read
   * through its row once and rewritten with it.
   */
  async listUnwatched(clientId: string, connectionId: string, options: CallOptions = {}): Promise<Map<string, string>> {
    const polled = new Map<string, string>();
    for await (const { entity: pointer } of this.owners.queryAll(odata`PartitionKey eq ${ownerIndexKey(clientId, connectionId)}`, options)) {
      let { unwatched, calendarId } = pointer;
      if (unwatched === undefined) {
        const row = (await this.records.get(subscriptionRecordKey(pointer.subscriptionId), pointer.row, options))?.entity;
        if (!row || row.clientId !== clientId || row.connectionId !== connectionId) continue;
        await this.writeOwnerIndex(row, options);
        ({ unwatched, calendarId } = row);
      }
      if (unwatched && calendarId) polled.set(calendarId, pointer.subscriptionId);
    }
    return polled;
  }

  /** Rewrites a record's expiry index row from the record (its hour and owner; idempotent). */
  async indexExpiry(entity: SubscriptionEntity, options: CallOptions = {}): Promise<void> {
    await this.writeIndex(entity, options);
  }

  /** Adds a record written before owners were indexed to its owner's index (idempotent). */
  async indexOwner(entity: SubscriptionEntity, options: CallOptions = {}): Promise<void> {
    await this.writeOwnerIndex(entity, options);
  }

  /** The count only feeds telemetry: failing to keep it must not fail the subscription's own work. */
  private async count(delta: number): Promise<void> {
    await this.counters?.adjustSharded(SUBSCRIPTION_COUNTER, { total: delta }).catch((error: unknown) => {
      console.warn(`subscription count not adjusted: ${describeError(error)}`);
    });
  }

  /**
   * Subscriptions expiring at or before `until` (including those already expired within the look-back),
   * read from the expiry index: one key-range query plus a point read per hit.
   */
  async *listExpiring(until: Date, options: CallOptions & { since?: Date } = {}): AsyncGenerator<Versioned<SubscriptionEntity>> {
    const since = options.since ?? new Date(until.getTime() - EXPIRED_LOOKBACK_MS);
    const filter = odata`PartitionKey ge ${expiryBucket(since)} and PartitionKey le ${expiryBucket(until)}`;
    for await (const { entity: row } of this.index.queryAll(filter, options)) {
      if (row.expiresAt.getTime() > until.getTime()) continue;
      const record = await this.getSubscription(row.rowKey, options);
      if (!record || expiryBucket(record.entity.expiresAt) !== row.partitionKey) {
        await this.index.delete(row.partitionKey, row.rowKey, options); // stale: left by a crash or a delete
        continue;
      }
      yield record;
    }
  }

  /**
   * One page of the expiry index between `since` and `until` (the renewal scan: resumable from the
   * continuation token, so no single invocation walks the whole index).
   */
  async listExpiringPage(
    until: Date,
    options: CallOptions & { since?: Date; continuationToken?: string; pageSize?: number } = {},
  ): Promise<{ refs: ExpiringRef[]; continuationToken?: string }> {
    const since = options.since ?? new Date(until.getTime() - EXPIRED_LOOKBACK_MS);
    const filter = odata`PartitionKey ge ${expiryBucket(since)} and PartitionKey le ${expiryBucket(until)}`;
    const page = await this.index.query(filter, options);
    const refs = page.items
      .map(({ entity }) => entity)
      .filter((row) => row.expiresAt.getTime() <= until.getTime())
      .map((row) => ({ subscriptionId: row.rowKey, bucket: row.partitionKey, expiresAt: row.expiresAt, clientId: row.ownerClientId, connectionId: row.ownerConnectionId }));
    return { refs, continuationToken: page.continuationToken };
  }

  /** Removes an index row the record no longer matches (left by a crash or a delete). */
  async dropIndexRow(bucket: string, subscriptionId: string, options: CallOptions = {}): Promise<void> {
    await this.index.delete(bucket, subscriptionId, options);
  }

  private async writeOwnerIndex(entity: Owned, options: CallOptions): Promise<void> {
    await this.owners.upsert(
      {
        partitionKey: ownerIndexKey(entity.clientId, entity.connectionId),
        rowKey: `${entity.subscriptionId}|${entity.rowKey}`,
        subscriptionId: entity.subscriptionId,
        row: entity.rowKey,
        indexedAt: new Date(),
        ...(entity.calendarId ? { calendarId: entity.calendarId } : {}),
        unwatched: entity.unwatched === true,
      },
      options,
    );
  }

  private async dropOwnerIndex(entity: Owned, options: CallOptions): Promise<void> {
    await this.owners.delete(ownerIndexKey(entity.clientId, entity.connectionId), `${entity.subscriptionId}|${entity.rowKey}`, options);
  }

  private indexRow(entity: Pick<SubscriptionEntity, 'subscriptionId' | 'clientId' | 'connectionId' | 'expiresAt'>): ExpiryIndexEntity {
    return {
      partitionKey: expiryBucket(entity.expiresAt),
      rowKey: entity.subscriptionId,
      expiresAt: entity.expiresAt,
      ownerClientId: entity.clientId,
      ownerConnectionId: entity.connectionId,
    };
  }

  private async writeIndex(entity: Pick<SubscriptionEntity, 'subscriptionId' | 'clientId' | 'connectionId' | 'expiresAt'>, options: CallOptions): Promise<void> {
    await this.index.upsert(this.indexRow(entity), options);
  }
}

