// The generic repository every table uses. Reads return the entity with its ETag; every write that may race
// takes that ETag back (optimistic concurrency), and mutate() wraps read-modify-write with bounded retries.
import { odata, TableTransaction, type TableClient } from '@azure/data-tables';
import { setTimeout as sleep } from 'node:timers/promises';
import { boundedCall, ensureTable, forgetTable } from './table-client.js';
import { fromTableEntity, toTableEntity, type EntityKeys } from './entity-codec.js';
import { ConcurrencyError, ConflictError, NotFoundError, tableErrorCode, tableErrorStatus, type NotFoundCode } from './errors.js';
import { escapeKey, unescapeKey } from './keys.js';
import { withSpan } from '../telemetry/tracing.js';

export type { EntityKeys } from './entity-codec.js';

/** An entity as read, with the ETag to send back on a conditional write. */
export interface Versioned<T> {
  entity: T;
  etag: string;
}

export interface Page<T> {
  items: Versioned<T>[];
  /** Pass back to get the next page; absent on the last page. */
  continuationToken?: string;
}

export interface CallOptions {
  abortSignal?: AbortSignal;
}

export interface QueryOptions extends CallOptions {
  /** Read only these properties (stored names: a structured value's is `<name>__json`). */
  select?: readonly string[];
}

export interface ListOptions extends QueryOptions {
  /** At most 1000 (the service's page limit). */
  pageSize?: number;
  continuationToken?: string;
}

export interface MutateOptions extends CallOptions {
  /** How many times a lost race (412) is retried before ConcurrencyError surfaces. */
  maxAttempts?: number;
}

export const DEFAULT_MUTATE_ATTEMPTS = 8;
/** Operations one entity-group transaction may hold. */
const TRANSACTION_LIMIT = 100;
/** Rows one getMany() query names: 15 comparisons, less the PartitionKey's. */
const ROWS_PER_QUERY = 14;

export class TableRepository<T extends EntityKeys> {
  constructor(
    readonly client: TableClient,
    private readonly timeoutMs: number,
  ) {}

  get tableName(): string {
    return this.client.tableName;
  }

  /** The code a missing entity answers with; a table whose records the API names by id has its own. */
  protected readonly notFoundCode: NotFoundCode = 'not_found';

  /** Point read; null when the entity does not exist. */
  async get(partitionKey: string, rowKey: string, options: CallOptions = {}): Promise<Versioned<T> | null> {
    try {
      return await this.run('get', async (call) => {
        const raw = await this.client.getEntity<Record<string, unknown>>(escapeKey(partitionKey), escapeKey(rowKey), call);
        return { entity: fromTableEntity<T>(raw), etag: raw.etag };
      }, options);
    } catch (error) {
      if (tableErrorStatus(error) === 404 && tableErrorCode(error) !== 'TableNotFound') return null;
      throw error;
    }
  }

  /** Like get(), but a missing entity is a NotFoundError. */
  async require(partitionKey: string, rowKey: string, options: CallOptions = {}): Promise<Versioned<T>> {
    const found = await this.get(partitionKey, rowKey, options);
    if (!found) throw new NotFoundError(this.tableName, { code: this.notFoundCode });
    return found;
  }

  /** Inserts a new entity; ConflictError when it already exists. */
  async create(entity: T, options: CallOptions = {}): Promise<Versioned<T>> {
    const response = await this.write('create', () => this.client.createEntity(toTableEntity(entity), this.call(options)), options);
    return { entity, etag: response.etag! };
  }

  /**
   * Replaces the entity only if it still has `etag`: ConcurrencyError when someone else wrote first,
   * NotFoundError when it is gone. `mode: 'Merge'` keeps properties this write does not mention.
   */
  async update(entity: T, etag: string, options: CallOptions & { mode?: 'Replace' | 'Merge' } = {}): Promise<Versioned<T>> {
    const response = await this.write(
      'update',
      () => this.client.updateEntity(toTableEntity(entity), options.mode ?? 'Replace', { ...this.call(options), etag }),
      options,
    );
    return { entity, etag: response.etag! };
  }

  /**
   * Writes only the given properties of an existing entity, whoever wrote it last (NotFoundError when it is
   * gone): one request, no read, for properties only one writer sets (a renewal's expiry); the others stay.
   */
  async merge(fields: EntityKeys & Partial<T>, options: CallOptions = {}): Promise<void> {
    await this.write('merge', () => this.client.updateEntity(toTableEntity(fields), 'Merge', { ...this.call(options), etag: '*' }), options);
  }

  /** Writes unconditionally (last writer wins): only for data no one reads-modifies-writes. */
  async upsert(entity: T, options: CallOptions = {}): Promise<Versioned<T>> {
    const response = await this.write('upsert', () => this.client.upsertEntity(toTableEntity(entity), 'Replace', this.call(options)), options);
    return { entity, etag: response.etag! };
  }

  /** Deletes; a missing entity counts as deleted. With `etag`, only if unchanged (else ConcurrencyError). */
  async delete(partitionKey: string, rowKey: string, options: CallOptions & { etag?: string } = {}): Promise<void> {
    try {
      await this.write(
        'delete',
        () => this.client.deleteEntity(escapeKey(partitionKey), escapeKey(rowKey), { ...this.call(options), etag: options.etag ?? '*' }),
        options,
      );
    } catch (error) {
      if (error instanceof NotFoundError) return;
      throw error;
    }
  }

  /**
   * Read-modify-write: reads the entity, applies `change` and writes it back with the ETag it read.
   * When another writer wins the race, it re-reads and re-applies, at most `maxAttempts` times.
   * `change` may run more than once, so it must be a pure function of the current entity.
   */
  async mutate(
    partitionKey: string,
    rowKey: string,
    change: (current: T) => T | Promise<T>,
    options: MutateOptions & { known?: Versioned<T> } = {},
  ): Promise<Versioned<T>> {
    const attempts = options.maxAttempts ?? DEFAULT_MUTATE_ATTEMPTS;
    for (let attempt = 1; ; attempt += 1) {
      // `known`: the caller read the entity just before (with its ETag), so the first attempt skips the read.
      const current = attempt === 1 && options.known ? options.known : await this.require(partitionKey, rowKey, options);
      const next = await change(structuredClone(current.entity));
      try {
        return await this.update(next, current.etag, options);
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= attempts) throw error;
        await sleep(Math.random() * 20 * attempt); // de-synchronise the racers
      }
    }
  }

  /**
   * Upserts and deletes rows of one partition in entity-group transactions of at most 100
   * (https://learn.microsoft.com/en-us/rest/api/storageservices/performing-entity-group-transactions): one
   * request per 100 rows. Each transaction is atomic; the whole call is not. A row upserted twice keeps its
   * last upsert; a delete of a row also upserted here is dropped (the upsert is the newer state).
   */
  async writePartition(partitionKey: string, upserts: readonly T[], deletes: readonly string[], options: CallOptions = {}): Promise<void> {
    let current = new TableTransaction();
    const batches: TableTransaction[] = [current];
    const seen = new Set<string>();
    const push = (rowKey: string, add: (t: TableTransaction) => void) => {
      if (seen.has(rowKey)) return; // a row may appear once per transaction
      seen.add(rowKey);
      if (current.actions.length >= TRANSACTION_LIMIT) {
        current = new TableTransaction();
        batches.push(current);
      }
      add(current);
    };
    for (const u of [...upserts].reverse()) push(u.rowKey, (t) => t.upsertEntity(toTableEntity({ ...u, partitionKey }), 'Replace'));
    for (const rowKey of deletes) push(rowKey, (t) => t.deleteEntity(escapeKey(partitionKey), escapeKey(rowKey)));
    for (const batch of batches) {
      if (batch.actions.length === 0) continue;
      try {
        await this.run('transaction', (call) => this.client.submitTransaction(batch.actions, call), options);
      } catch (error) {
        // A delete of a row that is already gone fails the whole transaction: the rest one by one.
        if (tableErrorStatus(error) !== 404) throw error;
        for (const action of batch.actions) {
          if (action[0] === 'delete') await this.delete(partitionKey, unescapeKey(String(action[1].rowKey ?? '')), options);
          else await this.run('transaction', (call) => this.client.submitTransaction([action], call), options);
        }
      }
    }
  }

  /** One page of a partition, in RowKey order. */
  listPartition(partitionKey: string, options: ListOptions = {}): Promise<Page<T>> {
    return this.query(odata`PartitionKey eq ${escapeKey(partitionKey)}`, options);
  }

  /**
   * One page of entities matching an OData filter. Build filters with the `odata` tag, and compare keys
   * with escapeKey(value), as they are stored escaped.
   */
  async query(filter: string, options: ListOptions = {}): Promise<Page<T>> {
    return this.run('query', async (call) => {
      const pages = this.client
        .listEntities<Record<string, unknown>>({ ...call, queryOptions: { filter, select: options.select && ['PartitionKey', 'RowKey', ...options.select] } })
        .byPage({ maxPageSize: options.pageSize ?? 1000, continuationToken: options.continuationToken });
      const next = await pages.next();
      if (next.done || !next.value) return { items: [] };
      const page = next.value;
      return {
        items: page.map((raw) => ({ entity: fromTableEntity<T>(raw), etag: raw.etag })),
        continuationToken: page.continuationToken,
      };
    }, options);
  }

  /**
   * Entities of one partition by RowKey, keyed by RowKey (missing ones are absent). A filter may hold at most
   * 15 comparisons (https://learn.microsoft.com/en-us/rest/api/storageservices/querying-tables-and-entities),
   * so each query names 14 rows beside the partition, and the queries run at once.
   */
  async getMany(partitionKey: string, rowKeys: readonly string[], options: QueryOptions = {}): Promise<Map<string, T>> {
    const chunks: string[][] = [];
    const unique = [...new Set(rowKeys)];
    for (let i = 0; i < unique.length; i += ROWS_PER_QUERY) chunks.push(unique.slice(i, i + ROWS_PER_QUERY));
    const select = options.select && ['PartitionKey', 'RowKey', ...options.select];
    const found = new Map<string, T>();
    await Promise.all(
      chunks.map((keys) =>
        this.run('query', async (call) => {
          const rows = keys.map((k) => odata`RowKey eq ${escapeKey(k)}`).join(' or ');
          const filter = `${odata`PartitionKey eq ${escapeKey(partitionKey)}`} and (${rows})`;
          for await (const raw of this.client.listEntities<Record<string, unknown>>({ ...call, queryOptions: { filter, select } })) {
            const entity = fromTableEntity<T>(raw);
            found.set(entity.rowKey, entity);
          }
        }, options),
      ),
    );
    return found;
  }

  /** Every entity matching a filter, page by page (for small result sets and timers). */
  async *queryAll(filter: string, options: QueryOptions = {}): AsyncGenerator<Versioned<T>> {
    let continuationToken: string | undefined;
    do {
      const page = await this.query(filter, { ...options, continuationToken });
      yield* page.items;
      continuationToken = page.continuationToken;
    } while (continuationToken);
  }

  private call(options: CallOptions): { abortSignal: AbortSignal } {
    return boundedCall(this.timeoutMs, options.abortSignal);
  }

  /** One storage call, in a span carrying the table and the operation (and the ids of the work in hand). */
  private async run<R>(operation: string, fn: (call: { abortSignal: AbortSignal }) => Promise<R>, options: CallOptions): Promise<R> {
    await ensureTable(this.client, this.timeoutMs);
    return withSpan(`Table ${operation} ${this.tableName}`, { 'db.system.name': 'azure_tables', 'db.operation.name': operation, 'db.collection.name': this.tableName }, async () => {
      try {
        return await fn(this.call(options));
      } catch (error) {
        if (tableErrorCode(error) === 'TableNotFound') forgetTable(this.client);
        throw error;
      }
    });
  }

  private async write<R>(operation: string, fn: () => Promise<R>, options: CallOptions): Promise<R> {
    try {
      return await this.run(operation, () => fn(), options);
    } catch (error) {
      throw this.translate(error);
    }
  }

  private translate(error: unknown): unknown {
    const status = tableErrorStatus(error);
    const code = tableErrorCode(error);
    if (status === 412 || code === 'UpdateConditionNotSatisfied') return new ConcurrencyError(this.tableName, { cause: error });
    if (status === 409 && code === 'EntityAlreadyExists') return new ConflictError(this.tableName, { cause: error });
    if (status === 404 && code !== 'TableNotFound') return new NotFoundError(this.tableName, { cause: error, code: this.notFoundCode });
    return error;
  }
}
