// Table clients built once per process: a connection string (Azurite, account key) or an endpoint with
// the app's Azure credential (managed identity in Azure). Every call is bounded: few retries with short delays, and an
// abort after `timeoutMs`, so an outage fails fast (the HTTP layer answers 503) instead of hanging.
import { TableClient, TableServiceClient, type TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { StorageSettings } from '../config.js';
import { azureCredential } from '../auth/azure-credential.js';

function clientOptions(connectionString: string | undefined, endpoint: string | undefined): TableServiceClientOptions {
  const insecure = /DefaultEndpointsProtocol=http;|TableEndpoint=http:\/\//i.test(connectionString ?? '') || endpoint?.startsWith('http://');
  return {
    retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000 },
    // Azurite speaks plain http on loopback; Azure endpoints are always https.
    allowInsecureConnection: Boolean(insecure),
  };
}

function credentialFor(storage: StorageSettings): TokenCredential {
  return azureCredential(storage);
}

export function createTableClient(storage: StorageSettings, tableName: string): TableClient {
  if (storage.connectionString) {
    return TableClient.fromConnectionString(storage.connectionString, tableName, clientOptions(storage.connectionString, undefined));
  }
  if (!storage.tableEndpoint) throw new Error('No table endpoint configured');
  return new TableClient(storage.tableEndpoint, tableName, credentialFor(storage), clientOptions(undefined, storage.tableEndpoint));
}

export function createTableServiceClient(storage: StorageSettings): TableServiceClient {
  if (storage.connectionString) {
    return TableServiceClient.fromConnectionString(storage.connectionString, clientOptions(storage.connectionString, undefined));
  }
  if (!storage.tableEndpoint) throw new Error('No table endpoint configured');
  return new TableServiceClient(storage.tableEndpoint, credentialFor(storage), clientOptions(undefined, storage.tableEndpoint));
}

/** Options for one storage call: aborted after `timeoutMs`, or earlier if the caller aborts. */
export function boundedCall(timeoutMs: number, abortSignal?: AbortSignal): { abortSignal: AbortSignal } {
  const timeout = AbortSignal.timeout(timeoutMs);
  return { abortSignal: abortSignal ? AbortSignal.any([timeout, abortSignal]) : timeout };
}

const createdTables = new Map<string, Promise<void>>();
const tableKey = (client: TableClient) => `${client.url}/${client.tableName}`;

/** Forgets that the table exists (it was deleted under us), so the next call creates it again. */
export function forgetTable(client: TableClient): void {
  createdTables.delete(tableKey(client));
}

/** Creates the table on first use, once per process (createTable ignores "already exists"). */
export function ensureTable(client: TableClient, timeoutMs: number): Promise<void> {
  const key = tableKey(client);
  let pending = createdTables.get(key);
  if (!pending) {
    pending = client.createTable(boundedCall(timeoutMs)).then(() => undefined);
    // A failed attempt (an outage) is retried on the next call rather than remembered.
    pending.catch(() => createdTables.delete(key));
    createdTables.set(key, pending);
  }
  return pending;
}

/** One cheap round trip to Table Storage (first page of table names), for /api/health. */
export async function probeTableStorage(storage: StorageSettings, abortSignal: AbortSignal): Promise<void> {
  await createTableServiceClient(storage).listTables({ abortSignal }).byPage({ maxPageSize: 1 }).next();
}
