// The mailbox store: calendars and events per mailbox, tombstones for delta, transactionId index, and a
// change feed that subscriptions and delta read. Events hold instants; JSON shapes live in event-model.ts.
import { meetingProviderOf, type OnlineMeetingInfo } from './online-meetings.js';
import { randomBytes, randomUUID } from 'node:crypto';
import type { SimClock, SimUser } from '../state.js';
import type { Recurrence } from './recurrence.js';

/** The calendarRoleType values (https://learn.microsoft.com/en-us/graph/api/resources/calendarpermission). */
export const CALENDAR_ROLES = ['none', 'freeBusyRead', 'limitedRead', 'read', 'write', 'delegateWithoutPrivateEventAccess', 'delegateWithPrivateEventAccess'] as const;
export type CalendarRole = (typeof CALENDAR_ROLES)[number];
/** Roles that see the details of (non-private) events, and those that may also create, update and delete them. */
export const READ_ROLES: readonly CalendarRole[] = ['read', 'write', 'delegateWithoutPrivateEventAccess', 'delegateWithPrivateEventAccess'];
export const WRITE_ROLES: readonly CalendarRole[] = ['write', 'delegateWithoutPrivateEventAccess', 'delegateWithPrivateEventAccess'];

export interface StoredCalendar {
  id: string;
  mailboxId: string;
  name: string;
  isDefault: boolean;
  color: string;
  changeKey: string;
  /**
   * Which online meeting providers events of this calendar may use, and the one Outlook picks: a work
   * account's calendar allows Teams for business (https://learn.microsoft.com/en-us/graph/outlook-calendar-online-meetings,
   * https://learn.microsoft.com/en-us/graph/api/resources/calendar); `['unknown']` allows none.
   */
  allowedOnlineMeetingProviders: string[];
  defaultOnlineMeetingProvider: string;
  events: Map<string, StoredEvent>;
  /** Deleted event ids with their deletion time, for delta rounds. */
  tombstones: { id: string; immutableId: string; deletedMs: number }[];
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
  /** The regular id: changes when the event moves to another calendar. */
  id: string;
  /**
   * Stays while the event stays in its mailbox; answered instead of `id` with Prefer: IdType="ImmutableId".
   * https://learn.microsoft.com/en-us/graph/outlook-immutable-id
   */
  immutableId: string;
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
  /** Set once Outlook has set the meeting up (see online-meetings.ts); never changes after. */
  onlineMeeting?: OnlineMeetingInfo;
  /** Room mailbox id -> the room's copy of this meeting. */
  roomCopies: Map<string, string>;
  /** Attendee (person) mailbox id -> the attendee's copy of this meeting. */
  attendeeCopies: Map<string, string>;
  /** For an attendee's or a room's copy: the organizer's event it mirrors. */
  mirrorOf?: { mailboxId: string; eventId: string };
}

export type ChangeType = 'created' | 'updated' | 'deleted';
export interface EventChange {
  changeType: ChangeType;
  mailboxId: string;
  calendarId: string;
  eventId: string;
  immutableId: string;
  isDefaultCalendar: boolean;
  etag: string;
}

/** Outlook-like opaque ids: base64url with Exchange's "AAMk" prefix. */
export function newItemId(): string {
  return 'AAMk' + randomBytes(30).toString('base64url').replace(/[-_]/g, 'A');
}
/** Immutable ids look like Exchange's (base64url, "AAkAL" prefix). */
export function newImmutableId(): string {
  return 'AAkAL' + randomBytes(30).toString('base64url').replace(/[-_]/g, 'A');
}
export const newChangeKey = () => randomBytes(12).toString('base64');
export const etagOf = (changeKey: string) => `W/"${changeKey}"`;

export class MailboxStore {
  private calendars = new Map<string, StoredCalendar[]>();
  private eventsById = new Map<string, StoredEvent>();
  private transactionIds = new Map<string, string>();
  private immutableIds = new Map<string, string>();
  private listeners: ((change: EventChange) => void)[] = [];

  constructor(private clock: SimClock) {}

  /**
   * Calendar sharing and delegation as the owner set it up in Outlook: `<owner id>|<calendar id>` -> sharee
   * id -> role (https://learn.microsoft.com/en-us/graph/api/resources/calendarpermission#calendarroletype-values).
   */
  private shares = new Map<string, Map<string, CalendarRole>>();

  share(owner: SimUser, calendarId: string, shareeId: string, role: CalendarRole): void {
    const key = `${owner.id}|${calendarId}`;
    const sharees = this.shares.get(key) ?? new Map<string, CalendarRole>();
    if (role === 'none') sharees.delete(shareeId);
    else sharees.set(shareeId, role);
    this.shares.set(key, sharees);
  }

  /** The sharee's role on another mailbox's calendar, if it was shared with them. */
  roleOf(ownerId: string, calendarId: string, shareeId: string): CalendarRole | undefined {
    return this.shares.get(`${ownerId}|${calendarId}`)?.get(shareeId);
  }

  /** Calendars shared with a user, with their owner's mailbox id and the role given. */
  sharedWith(shareeId: string): { ownerId: string; calendarId: string; role: CalendarRole }[] {
    const out: { ownerId: string; calendarId: string; role: CalendarRole }[] = [];
    for (const [key, sharees] of this.shares) {
      const role = sharees.get(shareeId);
      const [ownerId, calendarId] = key.split('|') as [string, string];
      if (role && this.calendar(ownerId, calendarId)) out.push({ ownerId, calendarId, role });
    }
    return out;
  }

  reset(): void {
    this.shares.clear();
    this.calendars.clear();
    this.eventsById.clear();
    this.transactionIds.clear();
    this.immutableIds.clear();
  }

  onChange(listener: (change: EventChange) => void): void {
    this.listeners.push(listener);
  }

  /** `was` names where the event was (a move's deletion from its previous calendar). */
  emit(changeType: ChangeType, event: StoredEvent, was?: { calendarId: string; id: string }): void {
    const calendarId = was?.calendarId ?? event.calendarId;
    const calendar = this.calendar(event.mailboxId, calendarId);
    const change: EventChange = {
      changeType,
      mailboxId: event.mailboxId,
      calendarId,
      eventId: was?.id ?? event.id,
      immutableId: event.immutableId,
      isDefaultCalendar: calendar?.isDefault ?? false,
      etag: etagOf(event.changeKey),
    };
    for (const listener of this.listeners) listener(change);
  }

  /** Every mailbox, rooms included, gets its default "Calendar" on first use. */
  calendarsOf(mailbox: SimUser): StoredCalendar[] {
    let list = this.calendars.get(mailbox.id);
    if (!list) {
      list = [this.makeCalendar(mailbox, 'Calendar', true)];
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
    const calendar = this.makeCalendar(mailbox, name, false, color);
    this.calendarsOf(mailbox).push(calendar);
    return calendar;
  }

  private makeCalendar(mailbox: SimUser, name: string, isDefault: boolean, color = 'auto'): StoredCalendar {
    // Work mailboxes meet in Teams; a personal account's calendar offers the consumer provider (the values
    // are calendar's onlineMeetingProviderType: https://learn.microsoft.com/graph/api/resources/calendar#properties).
    const provider = meetingProviderOf(mailbox);
    return {
      id: newItemId(),
      mailboxId: mailbox.id,
      name,
      isDefault,
      color,
      changeKey: newChangeKey(),
      allowedOnlineMeetingProviders: [provider],
      defaultOnlineMeetingProvider: provider,
      events: new Map(),
      tombstones: [],
    };
  }

  /** By regular or immutable id (both are accepted in request URLs). */
  event(id: string): StoredEvent | undefined {
    return this.eventsById.get(id) ?? this.eventsById.get(this.immutableIds.get(id) ?? '');
  }

  insert(event: StoredEvent): void {
    this.calendar(event.mailboxId, event.calendarId)!.events.set(event.id, event);
    this.eventsById.set(event.id, event);
    this.immutableIds.set(event.immutableId, event.id);
    if (event.transactionId) this.transactionIds.set(`${event.mailboxId}|${event.transactionId}`, event.id);
  }

  remove(event: StoredEvent): void {
    const calendar = this.calendar(event.mailboxId, event.calendarId);
    calendar?.events.delete(event.id);
    calendar?.tombstones.push({ id: event.id, immutableId: event.immutableId, deletedMs: this.clock.now() });
    this.eventsById.delete(event.id);
    this.immutableIds.delete(event.immutableId);
    if (event.transactionId) this.transactionIds.delete(`${event.mailboxId}|${event.transactionId}`);
  }

  /**
   * Moves an event to another calendar of its mailbox, as a person drags it in Outlook: it gets a new
   * regular id ("this value changes when the item is moved from one container (such as a folder or
   * calendar) to another"); its immutable id stays.
   * https://learn.microsoft.com/en-us/graph/api/resources/event#properties
   */
  move(event: StoredEvent, target: StoredCalendar): { calendarId: string; id: string } {
    const was = { calendarId: event.calendarId, id: event.id };
    this.remove(event);
    event.id = newItemId();
    event.calendarId = target.id;
    event.changeKey = newChangeKey();
    event.lastModifiedMs = this.clock.now();
    this.insert(event);
    return was;
  }

  byTransactionId(mailboxId: string, transactionId: string): StoredEvent | undefined {
    const id = this.transactionIds.get(`${mailboxId}|${transactionId}`);
    return id ? this.eventsById.get(id) : undefined;
  }
}

export const newICalUId = () => '040000008200E00074C5B7101A82E008' + randomBytes(28).toString('hex').toUpperCase();
export const newGuid = () => randomUUID();
