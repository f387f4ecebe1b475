// The mailbox store: calendars and events per mailbox, tombstones for delta, transactionId index, and a
// change feed that subscriptions and delta read. Events hold instants; JSON shapes live in event-model.ts.
import { randomBytes, randomUUID } from 'node:crypto';
import type { SimClock, SimUser } from '../state.js';
import type { Recurrence } from './recurrence.js';

export interface StoredCalendar {
  id: string;
  mailboxId: string;
  name: string;
  isDefault: boolean;
  color: string;
  changeKey: string;
  events: Map<string, StoredEvent>;
  /** Deleted event ids with their deletion time, for delta rounds. */
  tombstones: { id: string; deletedMs: number }[];
}

/** Properties kept as the client sent them (validated in event-model.ts). */
export type EventFields = Record<string, unknown>;

export interface OccurrenceOverride {
  deleted: boolean;
  startMs?: number;
  endMs?: number;
  fields: EventFields;
  changeKey: string;
  lastModifiedMs: number;
}

export interface StoredEvent {
  id: string;
  mailboxId: string;
  calendarId: string;
  fields: EventFields;
  startMs: number;
  endMs: number;
  startZone: string;
  endZone: string;
  isAllDay: boolean;
  recurrence?: Recurrence;
  /** Keyed by the occurrence's original start instant. */
  exceptions: Map<number, OccurrenceOverride>;
  extendedProperties: { id: string; value: string }[];
  transactionId?: string;
  iCalUId: string;
  changeKey: string;
  createdMs: number;
  lastModifiedMs: number;
  isCancelled: boolean;
  organizer: { name: string; address: string };
  responseStatus: { response: string; time: string };
  onlineMeeting?: { joinUrl: string; conferenceId: string };
  /** Room mailbox id -> the room's copy of this meeting. */
  roomCopies: Map<string, string>;
  /** For a room's copy: the organizer's event it mirrors. */
  mirrorOf?: { mailboxId: string; eventId: string };
}

export type ChangeType = 'created' | 'updated' | 'deleted';
export interface EventChange {
  changeType: ChangeType;
  mailboxId: string;
  calendarId: string;
  eventId: string;
  isDefaultCalendar: boolean;
  etag: string;
}

/** Outlook-like opaque ids: base64url with Exchange's "AAMk" prefix. */
export function newItemId(): string {
  return 'AAMk' + randomBytes(30).toString('base64url').replace(/[-_]/g, 'A');
}
export const newChangeKey = () => randomBytes(12).toString('base64');
export const etagOf = (changeKey: string) => `W/"${changeKey}"`;

export class MailboxStore {
  private calendars = new Map<string, StoredCalendar[]>();
  private eventsById = new Map<string, StoredEvent>();
  private transactionIds = new Map<string, string>();
  private listeners: ((change: EventChange) => void)[] = [];

  constructor(private clock: SimClock) {}

  reset(): void {
    this.calendars.clear();
    this.eventsById.clear();
    this.transactionIds.clear();
  }

  onChange(listener: (change: EventChange) => void): void {
    this.listeners.push(listener);
  }

  emit(changeType: ChangeType, event: StoredEvent): void {
    const calendar = this.calendar(event.mailboxId, event.calendarId);
    const change: EventChange = {
      changeType,
      mailboxId: event.mailboxId,
      calendarId: event.calendarId,
      eventId: event.id,
      isDefaultCalendar: calendar?.isDefault ?? false,
      etag: etagOf(event.changeKey),
    };
    for (const listener of this.listeners) listener(change);
  }

  /** Every mailbox, rooms included, gets its default "Calendar" on first use. */
  calendarsOf(mailbox: SimUser): StoredCalendar[] {
    let list = this.calendars.get(mailbox.id);
    if (!list) {
      list = [this.makeCalendar(mailbox.id, 'Calendar', true)];
      this.calendars.set(mailbox.id, list);
    }
    return list;
  }

  defaultCalendar(mailbox: SimUser): StoredCalendar {
    return this.calendarsOf(mailbox).find((c) => c.isDefault)!;
  }

  calendar(mailboxId: string, calendarId: string): StoredCalendar | undefined {
    return this.calendars.get(mailboxId)?.find((c) => c.id === calendarId);
  }

  addCalendar(mailbox: SimUser, name: string, color = 'auto'): StoredCalendar {
    const calendar = this.makeCalendar(mailbox.id, name, false, color);
    this.calendarsOf(mailbox).push(calendar);
    return calendar;
  }

  private makeCalendar(mailboxId: string, name: string, isDefault: boolean, color = 'auto'): StoredCalendar {
    return { id: newItemId(), mailboxId, name, isDefault, color, changeKey: newChangeKey(), events: new Map(), tombstones: [] };
  }

  event(id: string): StoredEvent | undefined {
    return this.eventsById.get(id);
  }

  insert(event: StoredEvent): void {
    this.calendar(event.mailboxId, event.calendarId)!.events.set(event.id, event);
    this.eventsById.set(event.id, event);
    if (event.transactionId) this.transactionIds.set(`${event.mailboxId}|${event.transactionId}`, event.id);
  }

  remove(event: StoredEvent): void {
    const calendar = this.calendar(event.mailboxId, event.calendarId);
    calendar?.events.delete(event.id);
    calendar?.tombstones.push({ id: event.id, deletedMs: this.clock.now() });
    this.eventsById.delete(event.id);
    if (event.transactionId) this.transactionIds.delete(`${event.mailboxId}|${event.transactionId}`);
  }

  byTransactionId(mailboxId: string, transactionId: string): StoredEvent | undefined {
    const id = this.transactionIds.get(`${mailboxId}|${transactionId}`);
    return id ? this.eventsById.get(id) : undefined;
  }
}

export const newICalUId = () => '040000008200E00074C5B7101A82E008' + randomBytes(28).toString('hex').toUpperCase();
export const newGuid = () => randomUUID();
