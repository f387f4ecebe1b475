// Changes made in Outlook to events our bookings created (issue 6 point 3): moved, deleted, declined.
// The booking row's eventEtag is the idempotency key: an event etag equal to it was already handled (or
// was our own write), so a replayed delta round, or the round that follows our own PATCH, says nothing.
import type { Client } from '@microsoft/microsoft-graph-client';
import { odata } from '@azure/data-tables';
import { categorizeGraphError } from '../graph/client.js';
import { getEvent } from '../graph/events.js';
import type { DeltaEvent } from '../graph/delta.js';
import type { BookingEntity } from '../store/repositories/bookings.js';
import type { BusyEventEntity } from '../store/repositories/busy.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { escapeKey } from '../store/keys.js';
import type { CachedEvent } from './busy-cache.js';
import { deltaEventToCached } from './delta-to-cache.js';
import type { SyncDeps } from './sync-deps.js';
import { describeError } from '../logging.js';

/** Finds which booking, if any, an event belongs to: from the cache row, else by transactionId or id. */
export class BookingIndex {
  private loaded: Promise<{ byTransaction: Map<string, string>; byEvent: Map<string, string> }> | undefined;

  constructor(
    private readonly deps: SyncDeps,
    private readonly connection: ConnectionEntity,
  ) {}

  async refFor(event: DeltaEvent, cached?: BusyEventEntity): Promise<string | undefined> {
    if (cached?.bookingRef) return cached.bookingRef;
    if (!event.transactionId) return undefined; // our events always carry one (shared/bookings/event-mapping.ts)
    const index = await this.load();
    const bookingId = index.byTransaction.get(event.transactionId) ?? index.byEvent.get(event.id);
    return bookingId ? `${this.connection.partitionKey}/${bookingId}` : undefined;
  }

  /** The connection's bookings, read once per round and only when an unknown event needs it. */
  private load() {
    this.loaded ??= (async () => {
      const byTransaction = new Map<string, string>();
      const byEvent = new Map<string, string>();
      const filter = odata`PartitionKey eq ${escapeKey(this.connection.partitionKey)} and connectionId eq ${this.connection.rowKey}`;
      for await (const { entity } of this.deps.services.store.bookings.queryAll(filter)) {
        byTransaction.set(entity.transactionId, entity.rowKey);
        if (entity.eventId) byEvent.set(entity.eventId, entity.rowKey);
      }
      return { byTransaction, byEvent };
    })();
    return this.loaded;
  }
}

function splitRef(ref: string): { clientId: string; bookingId: string } | undefined {
  const i = ref.indexOf('/');
  return i > 0 ? { clientId: ref.slice(0, i), bookingId: ref.slice(i + 1) } : undefined;
}

const etagOf = (e: DeltaEvent) => e['@odata.etag'] ?? e.changeKey;

export interface BookingEventChange {
  ref: string;
  event: DeltaEvent;
  previous?: BusyEventEntity;
  next?: CachedEvent;
}

/** A booking's event changed in this round: tell the booking system when it moved or was declined. */
export async function reportChangedBookingEvent(deps: SyncDeps, connection: ConnectionEntity, calendarId: string, change: BookingEventChange): Promise<void> {
  const ids = splitRef(change.ref);
  if (!ids || ids.clientId !== connection.partitionKey) return; // another client's property value: never ours to report
  const booking = await deps.services.store.bookings.getBooking(ids.clientId, ids.bookingId);
  if (!booking || booking.entity.connectionId !== connection.rowKey) return;
  const etag = etagOf(change.event);
  if (etag && booking.entity.eventEtag === etag) return; // already handled, or our own write
  if (change.event.isCancelled) return reportDeletedBookingEvent(deps, connection, calendarId, change.ref, change.event.id, true);
  const moved =
    change.previous !== undefined &&
    change.next !== undefined &&
    (change.previous.start.getTime() !== change.next.start.getTime() || change.previous.end.getTime() !== change.next.end.getTime());
  const declined = change.event.responseStatus?.response === 'declined';
  if (moved || declined) {
    await deps.emit(ids.clientId, 'booking.changed_in_calendar', {
      connectionId: connection.rowKey,
      bookingId: ids.bookingId,
      calendarId,
      eventId: change.event.id,
      change: declined ? 'declined' : 'moved',
      start: change.next?.start.toISOString(),
      end: change.next?.end.toISOString(),
      showAs: change.next?.showAs,
    });
  }
  await deps.services.store.bookings.mutate(ids.clientId, ids.bookingId, (current) => ({
    ...current,
    eventEtag: etag ?? current.eventEtag,
    updatedAt: new Date(),
  }));
}

/**
 * A booking's event left the calendar view. Removals in calendarView/delta also cover events moved out of
 * the window (graph.md §5), so unless `confirmed` the event is read first: gone (404) means deleted.
 */
export async function reportDeletedBookingEvent(
  deps: SyncDeps,
  connection: ConnectionEntity,
  calendarId: string,
  ref: string,
  eventId: string,
  confirmed = false,
  graph?: Client,
  previous?: BusyEventEntity,
): Promise<void> {
  const ids = splitRef(ref);
  if (!ids || ids.clientId !== connection.partitionKey) return;
  const booking = await deps.services.store.bookings.getBooking(ids.clientId, ids.bookingId);
  if (!booking || booking.entity.connectionId !== connection.rowKey || booking.entity.status === 'cancelled') return;
  if (booking.entity.eventId && booking.entity.eventId !== eventId) return; // the booking moved on to another event
  if (!confirmed && graph) {
    try {
      const event = await getEvent(graph, calendarId, eventId, { timeoutMs: 15_000 });
      if (!event.isCancelled) {
        const moved = { ...event, id: eventId } as DeltaEvent;
        return reportChangedBookingEvent(deps, connection, calendarId, { ref, event: moved, previous, next: deltaEventToCached(moved, ref) });
      }
    } catch (error) {
      if (categorizeGraphError(error) !== 'not_found') throw error;
    }
  }
  await deps.emit(ids.clientId, 'booking.deleted_in_calendar', {
    connectionId: connection.rowKey,
    bookingId: ids.bookingId,
    calendarId,
    eventId,
  });
  await deps.services.store.bookings.mutate(ids.clientId, ids.bookingId, (current: BookingEntity) =>
    current.status === 'cancelled' ? current : { ...current, status: 'cancelled', updatedAt: new Date() },
  );
}

export function logBookingFailure(what: string, error: unknown): void {
  console.warn(`sync: ${what}: ${describeError(error)}`);
}
