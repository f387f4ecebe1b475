// Busy time of calendars other people share with the connected user, kept by scheduled delta. Graph
// delivers no change notifications for them to a delegated app ("Delegated permission supports subscribing
// to items in folders in only the signed-in user's mailbox",
// https://learn.microsoft.com/en-us/graph/api/subscription-post-subscriptions#permissions), so a timer
// every SHARED_POLL_MINUTES puts one scan message on the connection-upkeep queue; each scan message reads
// one page of the connections that use a shared busy calendar (a filtered query), queues a delta round
// (`poll`) on the calendar-sync queue for each such calendar, and queues the scan of the next page. The
// round is the same coalesced, leased delta round a notification starts, so the cache of a shared calendar
// is at most one poll interval plus one round behind Outlook.
import { enqueue } from '../queues/queue-client.js';
import { odata } from '@azure/data-tables';
import { settleLimited } from '../runtime/settle-limited.js';
import { sharedBusyCalendars } from '../connect/shared-calendars.js';
import { CALENDAR_SYNC_QUEUE, type PollMessage } from '../sync/sync-messages.js';
import type { SyncDeps } from '../sync/sync-deps.js';

/** How often shared calendars are polled; the freshness the README and docs/design.md promise follows from it. */
export const SHARED_POLL_MINUTES = 5;
/** The timer's NCRONTAB schedule (seconds first): every SHARED_POLL_MINUTES minutes, at :02 past. */
export const SHARED_POLL_SCHEDULE = `2 */${SHARED_POLL_MINUTES} * * * *`;

/** Active connections that use at least one shared busy calendar (set by the calendar choice). */
export const POLLED_CONNECTIONS_FILTER = odata`status eq ${'active'} and pollsSharedCalendars eq true`;

export interface SharedPollScan {
  kind: 'shared-poll-scan';
  at: string;
  continuationToken?: string;
  /** Rows per page when not the default (tests use small pages). */
  pageSize?: number;
}

/** One page: a poll message per shared busy calendar, then the next page's scan. */
export async function scanSharedCalendarPage(
  deps: SyncDeps,
  message: SharedPollScan,
  pageSize: number,
  putNext: (next: SharedPollScan) => Promise<void>,
): Promise<{ rows: number; due: number; more: boolean }> {
  const page = await deps.services.store.connections.query(POLLED_CONNECTIONS_FILTER, { pageSize: message.pageSize ?? pageSize, continuationToken: message.continuationToken });
  const polls: PollMessage[] = page.items.flatMap(({ entity }) =>
    sharedBusyCalendars(entity).map((calendarId) => ({ kind: 'poll' as const, clientId: entity.partitionKey, connectionId: entity.rowKey, calendarId, receivedAt: message.at })),
  );
  const settled = await settleLimited(polls, 8, (poll) => enqueue(deps.services.config.storage, CALENDAR_SYNC_QUEUE, poll));
  const failed = settled.find((s) => s.status === 'rejected');
  // A put failed: the scan message is retried and its page polled again (a round that started later covers a repeat).
  if (failed) throw failed.reason;
  if (page.continuationToken) await putNext({ ...message, continuationToken: page.continuationToken });
  return { rows: page.items.length, due: polls.length, more: Boolean(page.continuationToken) };
}
