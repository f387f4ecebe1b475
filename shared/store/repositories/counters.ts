// counters: running totals kept beside the settings (PartitionKey 'counters' / RowKey the counter's name),
// so a gauge over every connection or subscription is one point read instead of a table scan. Adjusted
// where the counted thing changes (a status transition, a subscription made or deleted), with ETags, so
// concurrent adjustments from several instances all land. Such changes are rare (people connecting,
// subscriptions made per calendar), so the row never becomes a hot spot.
import { ConflictError } from '../errors.js';
import { TableRepository, type CallOptions } from '../repository.js';

export const COUNTERS_PARTITION = 'counters';

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

  /** Sets categories to counted values (a sweep that has just counted them corrects any drift). */
  set(name: string, values: Record<string, number>, options: CallOptions = {}): Promise<void> {
    return this.change(name, (counts) => ({ ...counts, ...values }), options);
  }

  private async change(name: string, apply: (counts: Record<string, number>) => Record<string, number>, options: CallOptions): Promise<void> {
    if (!(await this.get(COUNTERS_PARTITION, name, options))) {
      try {
        await this.create({ partitionKey: COUNTERS_PARTITION, rowKey: name, counts: apply({}), updatedAt: new Date() }, options);
        return;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error; // another instance created it first: adjust that row
      }
    }
    await this.mutate(COUNTERS_PARTITION, name, (current) => ({ ...current, counts: apply(current.counts), updatedAt: new Date() }), options);
  }
}
