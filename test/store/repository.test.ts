// The generic repository against a real Azurite: CRUD, not-found, conflict, and lost-update protection.
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { azuriteConnectionString } from '../../dev/azurite.js';
import { isDependencyOutage } from '../../shared/http/handle.js';
import { createStore } from '../../shared/store/store.js';
import { ConcurrencyError, ConflictError, NotFoundError } from '../../shared/store/errors.js';
import type { ConnectionEntity } from '../../shared/store/repositories/connections.js';
import { testStore, uniqueId } from './helpers.js';

const store = testStore();
const repo = store.connections;

function connection(clientId: string, connectionId = uniqueId('conn')): ConnectionEntity {
  return {
    partitionKey: clientId,
    rowKey: connectionId,
    externalUserId: 'user-1',
    status: 'active',
    busyCalendarIds: ['cal-a', 'cal-b'],
    defaultReminderMinutes: 15,
    lastTokenRefreshAt: new Date('2025-06-01T10:00:00.000Z'),
    createdAt: new Date('2025-05-01T00:00:00.000Z'),
  };
}

describe('TableRepository on Azurite', () => {
  it('creates, reads back every field type, updates with the etag and deletes', async () => {
    const entity = connection(uniqueId('client'));
    const created = await repo.create(entity);
    expect(created.etag).toMatch(/^W\/"/);

    const read = await repo.getConnection(entity.partitionKey, entity.rowKey);
    expect(read?.entity).toEqual(entity);
    expect(read?.etag).toBe(created.etag);

    const updated = await repo.update({ ...read!.entity, status: 'needs_reauth', busyCalendarIds: [] }, read!.etag);
    expect(updated.etag).not.toBe(created.etag);
    expect((await repo.get(entity.partitionKey, entity.rowKey))?.entity).toMatchObject({ status: 'needs_reauth', busyCalendarIds: [] });

    await repo.delete(entity.partitionKey, entity.rowKey);
    expect(await repo.get(entity.partitionKey, entity.rowKey)).toBeNull();
  });

  it('answers null for a missing entity, NotFoundError from require() and update(), and deletes idempotently', async () => {
    const missing = connection(uniqueId('client'));
    expect(await repo.get(missing.partitionKey, missing.rowKey)).toBeNull();
    await expect(repo.require(missing.partitionKey, missing.rowKey)).rejects.toBeInstanceOf(NotFoundError);
    // A connection is named by id in the API, so its table answers the connection's own code.
    await expect(repo.update(missing, 'W/"datetime\'2020-01-01T00%3A00%3A00Z\'"')).rejects.toMatchObject({ status: 404, code: 'connection_not_found' });
    await expect(store.oauthStates.require(missing.partitionKey, missing.rowKey)).rejects.toMatchObject({ status: 404, code: 'not_found' });
    await expect(repo.delete(missing.partitionKey, missing.rowKey)).resolves.toBeUndefined();
  });

  it('refuses to create an entity twice with ConflictError (409)', async () => {
    const entity = connection(uniqueId('client'));
    await repo.create(entity);
    const error = await repo.create({ ...entity, status: 'disconnected' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ status: 409, code: 'already_exists' });
    expect((await repo.get(entity.partitionKey, entity.rowKey))?.entity.status).toBe('active');
  });

  it('lets exactly one of two racing writers win when both write with the etag they read', async () => {
    const entity = connection(uniqueId('client'));
    await repo.create(entity);
    const [a, b] = await Promise.all([repo.get(entity.partitionKey, entity.rowKey), repo.get(entity.partitionKey, entity.rowKey)]);
    expect(a!.etag).toBe(b!.etag);

    const results = await Promise.allSettled([
      repo.update({ ...a!.entity, upn: 'writer-a@example.com' }, a!.etag),
      repo.update({ ...b!.entity, upn: 'writer-b@example.com' }, b!.etag),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(ConcurrencyError);
    expect(lost[0]!.reason).toMatchObject({ status: 412, code: 'concurrent_update' });

    const winner = results[0]!.status === 'fulfilled' ? 'writer-a@example.com' : 'writer-b@example.com';
    expect((await repo.get(entity.partitionKey, entity.rowKey))?.entity.upn).toBe(winner);
  });

  it('mutate() lands every one of several concurrent increments', async () => {
    const entity = { ...connection(uniqueId('client')), defaultReminderMinutes: 0 };
    await repo.create(entity);
    const writers = 5;
    await Promise.all(
      Array.from({ length: writers }, () =>
        repo.mutate(entity.partitionKey, entity.rowKey, (current) => ({
          ...current,
          defaultReminderMinutes: (current.defaultReminderMinutes ?? 0) + 1,
        })),
      ),
    );
    expect((await repo.get(entity.partitionKey, entity.rowKey))?.entity.defaultReminderMinutes).toBe(writers);
  });

  it('mutate() gives up with ConcurrencyError after its bounded attempts when it always loses', async () => {
    const entity = connection(uniqueId('client'));
    await repo.create(entity);
    let calls = 0;
    const error = await repo
      .mutate(
        entity.partitionKey,
        entity.rowKey,
        async (current) => {
          calls += 1;
          // Another writer sneaks in between our read and our write, every time.
          await repo.upsert({ ...current, upn: `intruder-${calls}` });
          return { ...current, upn: 'mine' };
        },
        { maxAttempts: 3 },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(calls).toBe(3);
  });

  it('deletes with an etag only when the entity is unchanged', async () => {
    const entity = connection(uniqueId('client'));
    const created = await repo.create(entity);
    await repo.update({ ...entity, status: 'disconnected' }, created.etag);
    await expect(repo.delete(entity.partitionKey, entity.rowKey, { etag: created.etag })).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await repo.get(entity.partitionKey, entity.rowKey)).not.toBeNull();
  });

  it('lists a partition page by page with continuation tokens', async () => {
    const clientId = uniqueId('client');
    const ids = ['c1', 'c2', 'c3', 'c4', 'c5'];
    await Promise.all(ids.map((id) => repo.create(connection(clientId, id))));
    await repo.create(connection(uniqueId('other-client'), 'c1'));

    const first = await repo.listByClient(clientId, { pageSize: 2 });
    expect(first.items.map((i) => i.entity.rowKey)).toEqual(['c1', 'c2']);
    expect(first.continuationToken).toBeTruthy();
    const seen = [...first.items];
    let token = first.continuationToken;
    while (token) {
      const page = await repo.listByClient(clientId, { pageSize: 2, continuationToken: token });
      seen.push(...page.items);
      token = page.continuationToken;
    }
    expect(seen.map((i) => i.entity.rowKey)).toEqual(ids);
    expect(seen.every((i) => i.entity.partitionKey === clientId)).toBe(true);
  });

  it('stores keys containing / \\ # ? and reads them back unchanged', async () => {
    const clientId = 'tenant/a\\b#c?d%e';
    const entity = connection(clientId, 'row/1#x');
    await repo.create(entity);
    const read = await repo.getConnection(clientId, 'row/1#x');
    expect(read?.entity.partitionKey).toBe(clientId);
    expect(read?.entity.rowKey).toBe('row/1#x');
    const listed = await repo.listByClient(clientId);
    expect(listed.items.map((i) => i.entity.rowKey)).toEqual(['row/1#x']);
  });

  it('splits a value larger than one property across chunks and joins it on read', async () => {
    const entity = { ...connection(uniqueId('client')), tokenCache: 'x'.repeat(100_000) + 'end' };
    await repo.create(entity);
    const read = await repo.get(entity.partitionKey, entity.rowKey);
    expect(read?.entity.tokenCache).toHaveLength(100_003);
    expect(read?.entity.tokenCache?.endsWith('end')).toBe(true);
    // Shrinking it back below one chunk leaves no stale chunk properties behind (Replace semantics).
    await repo.update({ ...read!.entity, tokenCache: 'small' }, read!.etag);
    expect((await repo.get(entity.partitionKey, entity.rowKey))?.entity).toEqual({ ...entity, tokenCache: 'small' });
  });

  it('stores epoch-millisecond numbers beyond Int32 exactly', async () => {
    const sync = store.busy.syncStates;
    const entity = {
      partitionKey: uniqueId('conn'),
      rowKey: 's|cal',
      calendarId: 'cal',
      windowStart: new Date('2025-06-01T00:00:00.000Z'),
      windowEnd: new Date('2025-06-08T00:00:00.000Z'),
      status: 'synced' as const,
      syncedAt: new Date(),
      version: 1_750_000_000_123,
    };
    await sync.upsert(entity);
    expect((await sync.get(entity.partitionKey, 's|cal'))?.entity).toEqual(entity);
  });
});

describe('TableRepository during a storage outage', () => {
  it('fails as a dependency outage (so requests answer 503) instead of hanging', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const endpoint = `http://127.0.0.1:${port}/devstoreaccount1`;
    const down = createStore({ connectionString: azuriteConnectionString(endpoint, endpoint), timeoutMs: 1500, inAzure: false });

    const error = await down.clients.getClient('any').catch((e: unknown) => e);
    expect(isDependencyOutage(error)).toBe(true);
    const writeError = await down.clients
      .create({ partitionKey: 'client', rowKey: 'c', name: 'n', apiKeyHashes: [], allowedReturnOrigins: [], createdAt: new Date() })
      .catch((e: unknown) => e);
    expect(isDependencyOutage(writeError)).toBe(true);
  });
});

describe('TableRepository when its table is deleted under it', () => {
  it('reports the missing table (not a missing entity) and recreates it on the next call', async () => {
    const own = testStore().clients;
    const client = { partitionKey: 'client' as const, rowKey: 'c1', name: 'n', apiKeyHashes: ['h'], allowedReturnOrigins: [], createdAt: new Date() };
    await own.create(client);
    await own.client.deleteTable();
    const error = await own.getClient('c1').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'RestError', statusCode: 404 });
    expect(await own.getClient('c1')).toBeNull();
    await own.create(client);
    expect((await own.getClient('c1'))?.entity.apiKeyHashes).toEqual(['h']);
  });
});
