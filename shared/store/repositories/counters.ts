// counters: running totals kept beside the settings (PartitionKey 'counters' / RowKey the counter's name),
// so a gauge over every connection or subscription is one read instead of a table scan. Adjusted where the
// counted thing changes (a status transition, a subscription made or deleted), with ETags, so concurrent
// adjustments from several instances all land.
// A counter many writers adjust at once (subscriptions: every calendar of every connection, made in bursts)
// is sharded: its count is spread over SHARDS rows, each adjustment lands on a random one (another on a
// lost race), and a read sums them in one query. One row would serialise every writer on its ETag and, past
// the retries, drop adjustments.
import { odata } from '@azure/data-tables';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConcurrencyError, ConflictError } from '../errors.js';
import { TableRepository, type CallOptions } from '../repository.js';

export const COUNTERS_PARTITION = 'counters';
/** Rows a sharded counter spreads over: concurrent writers rarely meet on one. */
export const COUNTER_SHARDS = 16;
/** Shards tried (each chosen at random) before an adjustment gives up: losing 12 races in a row is not load, it is a fault. */
const SHARD_ATTEMPTS = 12;
const SHARD_INFIX = '~shard-';

/** A sharded counter's row: `subscriptions~shard-07`. */
export function counterShardKey(name: string, shard: number): string {
  return `${name}${SHARD_INFIX}${String(shard).padStart(2, '0')}`;
}

export interface CounterEntity {
  partitionKey: typeof COUNTERS_PARTITION;
  rowKey: string;
  /** Count per category (a connection status, a subscription state...). */
  counts: Record<string, number>;
  updatedAt: Date;
}

export class CounterRepository extends TableRepository<CounterEntity> {
  async read(name: string, options: CallOptions = {}): Promise<Record<string, number>> {
    return (await this.get(COUNTERS_PARTITION, name, options))?.entity.counts ?? {};
  }

  /** Adds `deltas` to the counter's categories (created at zero on first use). */
  adjust(name: string, deltas: Record<string, number>, options: CallOptions = {}): Promise<void> {
    return this.change(name, (counts) => {
      const next = { ...counts };
      for (const [key, delta] of Object.entries(deltas)) next[key] = Math.max(0, (next[key] ?? 0) + delta);
      return next;
    }, options);
  }

  /**
   * Adds `deltas` to one random shard of a sharded counter (readSharded sums them). A shard may go below
   * zero (a delete landing on another shard than its create): only the sum means anything.
   */
  async adjustSharded(name: string, deltas: Record<string, number>, options: CallOptions = {}): Promise<void> {
    const add = (counts: Record<string, number>) => {
      const next = { ...counts };
      for (const [key, delta] of Object.entries(deltas)) next[key] = (next[key] ?? 0) + delta;
      return next;
    };
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.change(counterShardKey(name, Math.floor(Math.random() * COUNTER_SHARDS)), add, { ...options, maxAttempts: 1 });
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= SHARD_ATTEMPTS) throw error;
        await sleep(Math.random() * 5 * attempt); // another shard, a moment later
      }
    }
  }

  /** A sharded counter's counts: its shards summed (one query of the counters partition), and its unsharded row from before sharding. */
  async readSharded(name: string, options: CallOptions = {}): Promise<Record<string, number>> {
    const from = `${name}${SHARD_INFIX}`;
    const to = `${name}${SHARD_INFIX.slice(0, -1)}.`; // '.' follows '-': every shard sorts between
    const filter = odata`PartitionKey eq ${COUNTERS_PARTITION} and (RowKey eq ${name} or (RowKey ge ${from} and RowKey lt ${to}))`;
    const sum: Record<string, number> = {};
    for await (const { entity } of this.queryAll(filter, options)) {
      for (const [key, count] of Object.entries(entity.counts)) sum[key] = (sum[key] ?? 0) + count;
    }
    return sum;
  }

  /** Sets categories to counted values (a sweep that has just counted them corrects any drift). */
  set(name: string, values: Record<string, number>, options: CallOptions = {}): Promise<void> {
    return this.change(name, (counts) => ({ ...counts, ...values }), options);
  }

  private async change(
    name: string,
    apply: (counts: Record<string, number>) => Record<string, number>,
    options: CallOptions & { maxAttempts?: number },
  ): Promise<void> {
    const known = await this.get(COUNTERS_PARTITION, name, options);
    if (!known) {
      try {
        await this.create({ partitionKey: COUNTERS_PARTITION, rowKey: name, counts: apply({}), updatedAt: new Date() }, options);
        return;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error; // another instance created it first: adjust that row
        if (options.maxAttempts === 1) throw new ConcurrencyError(this.tableName, { cause: error });
      }
    }
    await this.mutate(COUNTERS_PARTITION, name, (current) => ({ ...current, counts: apply(current.counts), updatedAt: new Date() }), {
      ...options,
      ...(known ? { known } : {}),
    });
  }
}
