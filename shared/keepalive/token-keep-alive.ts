// Token keep-alive: Entra refresh tokens die after 90 days without use
// (https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens), so every active connection's
// tokens are refreshed well inside that window: once its last refresh is more than 6 days old, plus a
// per-connection offset of up to 22 hours (a hash of its id), so connections made together drift apart and
// each hourly scan finds a small, even share; with the hour to the next scan, every connection is refreshed
// within 7 days of its last refresh. The hourly timer only starts a paged scan on the connection-upkeep
// queue (shared/upkeep/upkeep.ts); runTokenKeepAlive() is the same work inline (tests, an operator's
// targeted run), at most maxPerRun per run, oldest first.
// A refresh token Entra refuses turns the connection needs_reauth (connection-tokens.ts), which removes
// its subscriptions and sends connection.needs_reauth with a fresh connect link (shared/connection-reactions.ts).
import { odata } from '@azure/data-tables';
import { ConnectionNotActiveError, getAccessToken, NeedsReauthError } from '../auth/connection-tokens.js';
import { isSyncPaused } from '../admin/pause.js';
import { describeError } from '../logging.js';
import { refreshWorkingHours, workingHoursDue } from '../availability/mailbox-working-hours.js';
import { settleLimited } from '../runtime/settle-limited.js';
import type { Services } from '../services.js';
import { sha256 } from '../sha256.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { escapeKey } from '../store/keys.js';
import { CONNECTION_COUNTER } from '../telemetry/gauges.js';

export const REFRESH_AFTER_MS = 6 * 24 * 3600 * 1000;
export const SPREAD_MS = 22 * 3600 * 1000;
export const DEFAULT_MAX_PER_RUN = 200;
const CONCURRENCY = 4;

/** A stable offset in [0, SPREAD_MS) from the connection id. */
export function spreadOffsetMs(connectionId: string): number {
  return sha256(connectionId).readUInt32BE(0) % SPREAD_MS;
}

/** When the connection's tokens are next due for a refresh. */
export function refreshDueAt(connection: Pick<ConnectionEntity, 'rowKey' | 'lastTokenRefreshAt' | 'createdAt'>): number {
  const last = (connection.lastTokenRefreshAt ?? connection.createdAt).getTime();
  return last + REFRESH_AFTER_MS + spreadOffsetMs(connection.rowKey);
}

export interface KeepAliveOptions {
  now?: Date;
  maxPerRun?: number;
  /** Only these clients' connections (tests; an operator's targeted run). */
  clientIds?: readonly string[];
  log?: { info(message: string): void; warn(message: string): void };
}

export interface KeepAliveReport {
  paused: boolean;
  /** Active connections looked at. */
  scanned: number;
  due: number;
  refreshed: number;
  needsReauth: number;
  failed: number;
  /** Due, but over this run's limit. */
  deferred: number;
}

export async function runTokenKeepAlive(services: Services, options: KeepAliveOptions = {}): Promise<KeepAliveReport> {
  const log = options.log ?? console;
  const report: KeepAliveReport = { paused: false, scanned: 0, due: 0, refreshed: 0, needsReauth: 0, failed: 0, deferred: 0 };
  if (await isSyncPaused(services)) {
    log.info('token keep-alive: the system is paused; nothing refreshed');
    return { ...report, paused: true };
  }
  const now = (options.now ?? new Date()).getTime();
  const due: { connection: ConnectionEntity; dueAt: number }[] = [];
  for (const filter of activeFilters(options.clientIds)) {
    for await (const { entity } of services.store.connections.queryAll(filter)) {
      report.scanned += 1;
      const dueAt = refreshDueAt(entity);
      if (dueAt <= now) due.push({ connection: entity, dueAt });
    }
  }
  // Every active connection was just read: the running count of active ones is set to what was seen.
  if (!options.clientIds) {
    await services.store.counters.set(CONNECTION_COUNTER, { active: report.scanned }).catch((error: unknown) => {
      log.warn(`token keep-alive: active connection count not set: ${describeError(error)}`);
    });
  }
  report.due = due.length;
  due.sort((a, b) => a.dueAt - b.dueAt);
  const batch = due.slice(0, options.maxPerRun ?? DEFAULT_MAX_PER_RUN);
  report.deferred = due.length - batch.length;

  await refreshConnections(services, batch.map((d) => d.connection), report, log);
  log.info(`token keep-alive: ${JSON.stringify(report)}`);
  return report;
}

/** Refreshes each connection's tokens (a few at a time), counting the outcomes into `report`. */
export async function refreshConnections(
  services: Services,
  connections: readonly ConnectionEntity[],
  report: Pick<KeepAliveReport, 'refreshed' | 'needsReauth' | 'failed'>,
  log: { warn(message: string): void },
): Promise<void> {
  await settleLimited(connections, CONCURRENCY, async (connection) => {
    try {
      await getAccessToken(connection, { forceRefresh: true }, services);
      report.refreshed += 1;
      // Working hours ride on the same schedule, so availability never reads them from Graph per request.
      if (workingHoursDue(connection)) {
        await refreshWorkingHours(services, connection).catch((error: unknown) => log.warn(`token keep-alive: working hours of ${connection.rowKey} not read: ${describeError(error)}`));
      }
    } catch (error) {
      if (error instanceof NeedsReauthError) report.needsReauth += 1;
      else if (!(error instanceof ConnectionNotActiveError)) {
        // Entra or storage briefly unavailable: the next run tries again, with weeks to spare.
        report.failed += 1;
        log.warn(`token keep-alive: connection ${connection.rowKey} not refreshed: ${describeError(error)}`);
      }
    }
  });
}

/** The filter of the connections the keep-alive looks at. */
export const ACTIVE_CONNECTIONS_FILTER = odata`status eq ${'active'}`;

function activeFilters(clientIds: readonly string[] | undefined): string[] {
  if (!clientIds) return [ACTIVE_CONNECTIONS_FILTER];
  return clientIds.map((clientId) => odata`PartitionKey eq ${escapeKey(clientId)} and status eq ${'active'}`);
}
