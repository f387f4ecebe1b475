// Starts Azurite's Table and Queue services inside this process. Telemetry is initialised only by
// Azurite's CLI entry points (main.js), so this path never sends any (azure-stack.md §5).
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}

export interface AzuriteOptions {
  /** Folder for persisted data; in-memory when omitted. */
  location?: string;
  host?: string;
  /** 0 picks free ports. */
  tablePort?: number;
  queuePort?: number;
}

export interface RunningAzurite {
  tableEndpoint: string;
  queueEndpoint: string;
  /** An explicit development-account connection string for both services. */
  connectionString: string;
  close(): Promise<void>;
}

// Azurite's well-known development account (public, documented; not a secret).
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function azuriteConnectionString(tableEndpoint: string, queueEndpoint: string): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${DEV_ACCOUNT}`,
    `AccountKey=${DEV_ACCOUNT_KEY}`,
    `TableEndpoint=${tableEndpoint}`,
    `QueueEndpoint=${queueEndpoint}`,
  ].join(';');
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const host = options.host ?? '127.0.0.1';
  const memory = options.location === undefined;
  if (!memory) mkdirSync(options.location!, { recursive: true });
  const at = (file: string) => (memory ? file : join(options.location!, file));

  const TableServer = require('azurite/dist/src/table/TableServer').default;
  const TableConfiguration = require('azurite/dist/src/table/TableConfiguration').default;
  const QueueServer = require('azurite/dist/src/queue/QueueServer').default;
  const QueueConfiguration = require('azurite/dist/src/queue/QueueConfiguration').default;
  const queueConstants = require('azurite/dist/src/queue/utils/constants');

  const tableConfig = new TableConfiguration(
    host, options.tablePort ?? 0, undefined, at('__azurite_db_table__.json'),
    false, false, undefined, undefined, false, true, '', '', '', undefined, false, memory,
  );
  const persistence = memory
    ? queueConstants.DEFAULT_QUEUE_PERSISTENCE_ARRAY
    : [{ locationId: 'Default', locationPath: at('__queuestorage__'), maxConcurrency: 1 }];
  const queueConfig = new QueueConfiguration(
    host, options.queuePort ?? 0, undefined, at('__azurite_db_queue__.json'),
    at('__azurite_db_queue_extent__.json'), persistence, false, undefined, false, undefined,
    false, true, '', '', '', undefined, false, memory,
  );

  const table: AzuriteServer = new TableServer(tableConfig);
  const queue: AzuriteServer = new QueueServer(queueConfig);
  await table.start();
  await queue.start();
  const tableEndpoint = `${table.getHttpServerAddress()}/${DEV_ACCOUNT}`;
  const queueEndpoint = `${queue.getHttpServerAddress()}/${DEV_ACCOUNT}`;
  return {
    tableEndpoint,
    queueEndpoint,
    connectionString: azuriteConnectionString(tableEndpoint, queueEndpoint),
    async close() {
      await Promise.allSettled([table.close(), queue.close()]);
    },
  };
}
