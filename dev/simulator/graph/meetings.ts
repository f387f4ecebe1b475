// Meetings as Exchange runs them after the organizer sends: people get the request in their mailbox and the
// event tentatively in their calendar; rooms answer later, by their calendar-processing policy; updates and
// cancellations reach the same mailboxes; the organizer's mailbox gets the rooms' answers.
//
// People: "the meeting request arrives in an invitee's mailbox as an eventMessage instance with the
// meetingMessageType of meetingRequest. In addition, Outlook automatically creates an event instance in the
// invitee's calendar, with the showAs property as tentative"; a cancellation arrives as an eventMessage in the
// invitee's mailbox, an answer in the organizer's. https://learn.microsoft.com/en-us/graph/api/resources/eventmessage
// A cancelled meeting stays in the attendee's calendar with isCancelled until they remove it
// (https://learn.microsoft.com/en-us/graph/api/event-cancel, https://learn.microsoft.com/en-us/graph/api/resources/event).
//
// Rooms: the Resource Booking Attendant processes each request some time after it arrives
// (settings.roomResponseDelayMs), per the room's Set-CalendarProcessing settings
// (https://learn.microsoft.com/en-us/powershell/module/exchangepowershell/set-calendarprocessing):
// AutomateProcessing AutoAccept books and answers (declines a conflict unless AllowConflicts); with
// AllBookInPolicy off and ResourceDelegates set, the request waits for a delegate, tentatively in the room's
// calendar; AutoUpdate only adds it tentatively and never answers; None does nothing. The answer lands in the
// organizer's event as attendees[].status (https://learn.microsoft.com/en-us/graph/api/resources/attendee,
// https://learn.microsoft.com/en-us/graph/api/resources/responsestatus), a change of that event.
import type { SimState, SimUser } from '../state.js';
import { GraphHttpError } from './errors.js';
import { viewsInWindow } from './event-model.js';
import { type MailboxStore, type StoredCalendar, type StoredEvent, newChangeKey, newImmutableId, newItemId } from './store.js';
import type { OnlineMeetingInfo } from './online-meetings.js';

export interface CalendarProcessing {
  automateProcessing: 'AutoAccept' | 'AutoUpdate' | 'None';
  allowConflicts: boolean;
  allBookInPolicy: boolean;
  /** Addresses of the people who approve requests when allBookInPolicy is off. */
  resourceDelegates: string[];
}

/** Exchange Online's defaults for a room mailbox (the cmdlet page lists them per parameter). */
export const DEFAULT_ROOM_PROCESSING: CalendarProcessing = { automateProcessing: 'AutoAccept', allowConflicts: false, allBookInPolicy: true, resourceDelegates: [] };

export type MeetingMessageType = 'meetingRequest' | 'meetingCancelled' | 'meetingAccepted' | 'meetingTenativelyAccepted' | 'meetingDeclined';

/** An eventMessage in a mailbox (the shape's main properties). */
export interface MeetingMessage {
  id: string;
  '@odata.type': '#microsoft.graph.eventMessageRequest' | '#microsoft.graph.eventMessage' | '#microsoft.graph.eventMessageResponse';
  meetingMessageType: MeetingMessageType;
  subject: string;
  from: { emailAddress: { name: string; address: string } };
  toRecipients: { emailAddress: { address: string } }[];
  receivedDateTime: string;
  /** The event this message is about, in the receiving mailbox when it has one (regular id). */
  eventId?: string;
  /** The meeting's iCalUId: the same in every mailbox. */
  iCalUId: string;
}

type Attendee = { type: string; emailAddress: { name?: string; address: string }; status: { response: string; time: string } };
type Response = 'accepted' | 'tentativelyAccepted' | 'declined';

const NO_RESPONSE_TIME = '0001-01-01T00:00:00Z';
const attendeesOf = (event: StoredEvent) => (event.fields.attendees as Attendee[] | undefined) ?? [];

interface PendingRequest {
  organizerEventId: string;
  roomId: string;
  dueMs: number;
}

export class Meetings {
  private processing = new Map<string, CalendarProcessing>();
  private inboxes = new Map<string, MeetingMessage[]>();
  /** `${organizer event id}|${room id}` -> the latest request not processed yet. */
  private queue = new Map<string, PendingRequest>();
  /** Requests a room's delegate has to approve: same key. */
  private awaitingDelegate = new Map<string, PendingRequest>();
  /** Online meetings Outlook is still setting up: organizer event id -> the information and when it is set. */
  private pendingOnline = new Map<string, { info: OnlineMeetingInfo; dueMs: number }>();
  private timer: NodeJS.Timeout;

  constructor(
    private state: SimState,
    private store: MailboxStore,
  ) {
    this.timer = setInterval(() => this.runDue(), 200);
    this.timer.unref();
    state.clock.onAdvance(() => this.runDue());
  }

  reset(): void {
    this.processing.clear();
    this.inboxes.clear();
    this.queue.clear();
    this.awaitingDelegate.clear();
    this.pendingOnline.clear();
  }

  onlineMeetingPending(eventId: string): boolean {
    return this.pendingOnline.has(eventId);
  }

  /** The event's online meeting information is set after `delayMs` (sim clock), as a change of the event. */
  setUpOnlineMeetingLater(eventId: string, info: OnlineMeetingInfo, delayMs: number): void {
    this.pendingOnline.set(eventId, { info, dueMs: this.state.clock.now() + delayMs });
  }

  private setUpDueOnlineMeetings(now: number): void {
    for (const [eventId, pending] of this.pendingOnline) {
      if (pending.dueMs > now) continue;
      this.pendingOnline.delete(eventId);
      const event = this.store.event(eventId);
      if (!event || event.onlineMeeting || !event.fields.isOnlineMeeting) continue;
      event.onlineMeeting = pending.info;
      event.changeKey = newChangeKey();
      event.lastModifiedMs = now;
      this.store.emit('updated', event);
    }
  }

  policyOf(room: SimUser): CalendarProcessing {
    return this.processing.get(room.id) ?? DEFAULT_ROOM_PROCESSING;
  }

  setPolicy(room: SimUser, patch: Partial<CalendarProcessing>): CalendarProcessing {
    const next = { ...this.policyOf(room), ...patch };
    this.processing.set(room.id, next);
    return next;
  }

  messages(mailbox: SimUser): MeetingMessage[] {
    return this.inboxes.get(mailbox.id) ?? [];
  }

  /** Requests waiting for a delegate of this room. */
  pendingApprovals(room: SimUser): StoredEvent[] {
    return [...this.awaitingDelegate.values()].filter((p) => p.roomId === room.id).flatMap((p) => this.store.event(p.organizerEventId) ?? []);
  }

  /**
   * The organizer sent the meeting (a create or an update): people get the request or the update, rooms are
   * asked again when the time changed or they are new to the meeting; rooms no longer invited lose it.
   */
  sent(event: StoredEvent, timesChanged: boolean): void {
    if (event.mirrorOf) return;
    const organizer = this.state.directory.users.get(event.mailboxId);
    const invited = new Map<string, Attendee>();
    for (const a of attendeesOf(event)) {
      const user = this.state.directory.findByMail(a.emailAddress.address);
      if (user && user.id !== event.mailboxId && user.kind !== 'shared') invited.set(user.id, a);
    }
    for (const [mailboxId, copyId] of [...event.roomCopies, ...event.attendeeCopies]) {
      if (invited.has(mailboxId)) continue;
      this.uninvite(event, mailboxId, copyId);
    }
    for (const [mailboxId, attendee] of invited) {
      const user = this.state.directory.users.get(mailboxId)!;
      if (user.kind === 'room') {
        const key = `${event.id}|${mailboxId}`;
        const asked = event.roomCopies.has(mailboxId) || this.queue.has(key) || this.awaitingDelegate.has(key) || attendee.status.response !== 'none';
        if (asked && !timesChanged) {
          this.refreshCopy(event, event.roomCopies.get(mailboxId));
          continue;
        }
        attendee.status = { response: 'none', time: NO_RESPONSE_TIME };
        this.awaitingDelegate.delete(key);
        this.queue.set(key, { organizerEventId: event.id, roomId: mailboxId, dueMs: this.state.clock.now() + this.state.settings.roomResponseDelayMs });
        continue;
      }
      const copyId = event.attendeeCopies.get(mailboxId);
      if (copyId && this.store.event(copyId)) this.refreshCopy(event, copyId);
      else event.attendeeCopies.set(mailboxId, this.placeCopy(event, user, 'tentative', { response: 'notResponded', time: NO_RESPONSE_TIME }).id);
      this.deliver(user, 'meetingRequest', event, organizer, event.attendeeCopies.get(mailboxId));
    }
  }

  /** The organizer cancelled or deleted the meeting: people get the cancellation, rooms drop it. */
  cancelled(event: StoredEvent): void {
    if (event.mirrorOf) return;
    for (const [mailboxId, copyId] of [...event.roomCopies, ...event.attendeeCopies]) this.uninvite(event, mailboxId, copyId);
    for (const key of [...this.queue.keys(), ...this.awaitingDelegate.keys()])
      if (key.startsWith(`${event.id}|`)) {
        this.queue.delete(key);
        this.awaitingDelegate.delete(key);
      }
  }

  /** A room's delegate approves or declines a request that waits for them. */
  decide(room: SimUser, organizerEventId: string, response: 'accepted' | 'declined'): void {
    const event = this.store.event(organizerEventId);
    const key = event && `${event.id}|${room.id}`;
    if (!key || !this.awaitingDelegate.has(key)) throw new GraphHttpError(404, 'request_not_found', `No request of that meeting waits for a delegate of ${room.mail}.`);
    this.awaitingDelegate.delete(key);
    if (response === 'accepted') this.book(event, room, 'busy');
    else this.decline(event, room);
  }

  private runDue(): void {
    const now = this.state.clock.now();
    this.setUpDueOnlineMeetings(now);
    for (const [key, request] of this.queue) {
      if (request.dueMs > now) continue;
      this.queue.delete(key);
      const event = this.store.event(request.organizerEventId);
      const room = this.state.directory.users.get(request.roomId);
      // Answered meanwhile (a delegate through the control API) or no longer invited: nothing left to process.
      const attendee = event && room && attendeesOf(event).find((a) => this.state.directory.findByMail(a.emailAddress.address)?.id === room.id);
      if (attendee && attendee.status.response === 'none') this.process(event!, room!, key);
    }
  }

  private process(event: StoredEvent, room: SimUser, key: string): void {
    const policy = this.policyOf(room);
    if (policy.automateProcessing === 'None') return;
    if (policy.automateProcessing === 'AutoUpdate') {
      this.placeRoomCopy(event, room, 'tentative');
      return;
    }
    const calendar = this.store.defaultCalendar(room);
    if (!policy.allowConflicts && isRoomBusy(calendar, event, event.roomCopies.get(room.id))) return this.decline(event, room);
    if (!policy.allBookInPolicy && policy.resourceDelegates.length) {
      this.placeRoomCopy(event, room, 'tentative');
      this.awaitingDelegate.set(key, { organizerEventId: event.id, roomId: room.id, dueMs: this.state.clock.now() });
      for (const address of policy.resourceDelegates) {
        const delegate = this.state.directory.findByMail(address);
        if (delegate) this.deliver(delegate, 'meetingRequest', event, this.state.directory.users.get(event.mailboxId));
      }
      return;
    }
    this.book(event, room, 'busy');
  }

  private book(event: StoredEvent, room: SimUser, showAs: 'busy' | 'tentative'): void {
    this.placeRoomCopy(event, room, showAs);
    this.answer(event, room, 'accepted');
  }

  private decline(event: StoredEvent, room: SimUser): void {
    const copyId = event.roomCopies.get(room.id);
    const copy = copyId ? this.store.event(copyId) : undefined;
    if (copy) this.drop(copy);
    event.roomCopies.delete(room.id);
    this.answer(event, room, 'declined');
  }

  /** The room's answer: recorded in the organizer's event (a new change key, a change notification) and mailed to the organizer. */
  private answer(event: StoredEvent, room: SimUser, response: Response): void {
    const attendee = attendeesOf(event).find((a) => this.state.directory.findByMail(a.emailAddress.address)?.id === room.id);
    if (!attendee) return;
    const now = this.state.clock.now();
    attendee.status = { response, time: new Date(now).toISOString() };
    event.changeKey = newChangeKey();
    event.lastModifiedMs = now;
    this.store.emit('updated', event);
    const organizer = this.state.directory.users.get(event.mailboxId);
    const type = response === 'accepted' ? 'meetingAccepted' : response === 'declined' ? 'meetingDeclined' : 'meetingTenativelyAccepted';
    if (organizer) this.deliver(organizer, type, event, room, event.id);
  }

  private placeRoomCopy(event: StoredEvent, room: SimUser, showAs: 'busy' | 'tentative'): void {
    const existing = event.roomCopies.get(room.id);
    if (existing && this.store.event(existing)) return this.refreshCopy(event, existing, showAs);
    const copy = this.placeCopy(event, room, showAs, { response: showAs === 'busy' ? 'accepted' : 'tentativelyAccepted', time: new Date(this.state.clock.now()).toISOString() });
    event.roomCopies.set(room.id, copy.id);
  }

  /** A copy of the organizer's meeting in an attendee's (or room's) default calendar. */
  private placeCopy(event: StoredEvent, mailbox: SimUser, showAs: string, responseStatus: StoredEvent['responseStatus']): StoredEvent {
    const now = this.state.clock.now();
    const copy: StoredEvent = {
      ...this.mirrored(event, showAs),
      id: newItemId(),
      immutableId: newImmutableId(),
      mailboxId: mailbox.id,
      calendarId: this.store.defaultCalendar(mailbox).id,
      exceptions: new Map(),
      extendedProperties: [],
      iCalUId: event.iCalUId,
      changeKey: newChangeKey(),
      createdMs: now,
      lastModifiedMs: now,
      isCancelled: false,
      organizer: event.organizer,
      responseStatus,
      roomCopies: new Map(),
      attendeeCopies: new Map(),
      mirrorOf: { mailboxId: event.mailboxId, eventId: event.id },
    };
    this.store.insert(copy);
    this.store.emit('created', copy);
    return copy;
  }

  /** An update reaches a copy: the organizer's times and fields, the copy's own showAs. */
  private refreshCopy(event: StoredEvent, copyId: string | undefined, showAs?: string): void {
    const copy = copyId ? this.store.event(copyId) : undefined;
    if (!copy) return;
    Object.assign(copy, this.mirrored(event, showAs ?? String(copy.fields.showAs ?? 'busy')), { changeKey: newChangeKey(), lastModifiedMs: this.state.clock.now() });
    this.store.emit('updated', copy);
  }

  private mirrored(event: StoredEvent, showAs: string) {
    return {
      fields: { ...event.fields, showAs, isReminderOn: event.fields.isReminderOn ?? true },
      startMs: event.startMs,
      endMs: event.endMs,
      startZone: event.startZone,
      endZone: event.endZone,
      isAllDay: event.isAllDay,
      recurrence: event.recurrence,
    };
  }

  /** An attendee is no longer in the meeting (removed, or the meeting cancelled): a room drops it, a person keeps it cancelled. */
  private uninvite(event: StoredEvent, mailboxId: string, copyId: string): void {
    const copy = this.store.event(copyId);
    const user = this.state.directory.users.get(mailboxId);
    event.roomCopies.delete(mailboxId);
    event.attendeeCopies.delete(mailboxId);
    this.queue.delete(`${event.id}|${mailboxId}`);
    this.awaitingDelegate.delete(`${event.id}|${mailboxId}`);
    if (!copy || !user) return;
    if (user.kind === 'room') return this.drop(copy);
    copy.isCancelled = true;
    copy.fields = { ...copy.fields, subject: `Canceled: ${String(event.fields.subject ?? '')}` };
    copy.changeKey = newChangeKey();
    copy.lastModifiedMs = this.state.clock.now();
    this.store.emit('updated', copy);
    this.deliver(user, 'meetingCancelled', event, this.state.directory.users.get(event.mailboxId), copy.id);
  }

  /** A copy leaves its calendar (copies have no copies of their own). */
  private drop(copy: StoredEvent): void {
    this.store.remove(copy);
    this.store.emit('deleted', copy);
  }

  private deliver(to: SimUser, type: MeetingMessageType, event: StoredEvent, from: SimUser | undefined, eventId?: string): void {
    const prefix = { meetingRequest: '', meetingCancelled: 'Canceled: ', meetingAccepted: 'Accepted: ', meetingTenativelyAccepted: 'Tentative: ', meetingDeclined: 'Declined: ' }[type];
    const odataType =
      type === 'meetingRequest' ? '#microsoft.graph.eventMessageRequest' : type === 'meetingCancelled' ? '#microsoft.graph.eventMessage' : '#microsoft.graph.eventMessageResponse';
    const list = this.inboxes.get(to.id) ?? [];
    list.push({
      id: newItemId(),
      '@odata.type': odataType,
      meetingMessageType: type,
      subject: `${prefix}${String(event.fields.subject ?? '')}`,
      from: { emailAddress: { name: from?.displayName ?? event.organizer.name, address: from?.mail ?? event.organizer.address } },
      toRecipients: [{ emailAddress: { address: to.mail } }],
      receivedDateTime: new Date(this.state.clock.now()).toISOString(),
      eventId,
      iCalUId: event.iCalUId,
    });
    this.inboxes.set(to.id, list);
  }
}

/** Whether the room's calendar has something not free over the meeting's time (its own copy aside). */
function isRoomBusy(calendar: StoredCalendar, event: StoredEvent, ownCopyId: string | undefined): boolean {
  const from = event.startMs;
  const to = Math.max(event.endMs, event.startMs + 1);
  for (const other of calendar.events.values()) {
    if (other.id === ownCopyId || other.isCancelled || other.mirrorOf?.eventId === event.id) continue;
    if (viewsInWindow(other, from, to).some((v) => ((v.override?.fields.showAs ?? other.fields.showAs) ?? 'busy') !== 'free')) return true;
  }
  return false;
}
