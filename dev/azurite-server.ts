// Azurite's Table and Queue services inside the calling process: run by dev/azurite-process.ts, the child
// that dev/azurite.ts starts. Telemetry is initialised only by Azurite's CLI entry points (main.js), so this
// path never sends any.
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
  httpServer?: Server;
}

export interface AzuriteOptions {
  /** Folder for persisted data; in-memory when omitted. */
  location?: string;
  host?: string;
  /** 0 picks free ports. */
  tablePort?: number;
  queuePort?: number;
}

export interface AzuriteRequestCounts {
  table: number;
  queue: number;
}

export interface InProcessAzurite {
  tableEndpoint: string;
  queueEndpoint: string;
  /** Requests each service has received since it started. */
  requestCounts(): AzuriteRequestCounts;
  close(): Promise<void>;
}

export const DEV_ACCOUNT = 'devstoreaccount1';

export async function startAzuriteInProcess(options: AzuriteOptions = {}): Promise<InProcessAzurite> {
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
  const counts: AzuriteRequestCounts = { table: 0, queue: 0 };
  // Each server's node:http server (a field of Azurite's ServerBase): what the benches count as storage work.
  table.httpServer?.on('request', () => (counts.table += 1));
  queue.httpServer?.on('request', () => (counts.queue += 1));
  await table.start();
  await queue.start();
  return {
    tableEndpoint: `${table.getHttpServerAddress()}/${DEV_ACCOUNT}`,
    queueEndpoint: `${queue.getHttpServerAddress()}/${DEV_ACCOUNT}`,
    requestCounts: () => ({ ...counts }),
    async close() {
      await Promise.allSettled([table.close(), queue.close()]);
    },
  };
}
