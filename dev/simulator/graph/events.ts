// Event mutations shared by the Graph routes and the control API ("as the user in Outlook"): create with
// transactionId idempotency, update with If-Match, delete, cancel, and room bookings for resource attendees.
import type { SimState, SimUser } from '../state.js';
import type { Meetings } from './meetings.js';
import { GraphHttpError, badRequest } from './errors.js';
import { type EventInput, type EventView, masterView } from './event-model.js';
import { type MailboxStore, type StoredCalendar, type StoredEvent, etagOf, newChangeKey, newICalUId, newImmutableId, newItemId } from './store.js';
import { resolveZone, wallClock } from './timezones.js';
import { canSetUp, newOnlineMeeting, providerFor } from './online-meetings.js';

export interface EventContext {
  state: SimState;
  store: MailboxStore;
  meetings: Meetings;
}

const invalid = (message: string) => badRequest(message, 'ErrorInvalidRequest');

function checkTimes(startMs: number, endMs: number, isAllDay: boolean, startZone: string, endZone: string): void {
  if (endMs < startMs) throw invalid('The end time of the event must be later than or equal to its start time.');
  if (isAllDay) {
    const s = wallClock(startMs, resolveZone(startZone) ?? 'UTC');
    const e = wallClock(endMs, resolveZone(endZone) ?? 'UTC');
    if (s.hour || s.minute || s.second || e.hour || e.minute || e.second || endMs === startMs)
      throw invalid('Your request can\'t be completed. If the event is an all-day event, start and end must be at midnight and span at least one day.');
  }
}

/** Creates an event; a repeated transactionId in the mailbox returns the existing event instead. */
export function createEvent(
  ctx: EventContext,
  mailbox: SimUser,
  calendar: StoredCalendar,
  input: EventInput,
): { event: StoredEvent; replayed: boolean } {
  if (input.transactionId) {
    const existing = ctx.store.byTransactionId(mailbox.id, input.transactionId);
    if (existing) return { event: existing, replayed: true };
  }
  if (!input.start || !input.end) throw invalid('Start and End are required when creating an event.');
  const isAllDay = input.isAllDay ?? false;
  checkTimes(input.start.ms, input.end.ms, isAllDay, input.start.zoneName, input.end.zoneName);
  const now = ctx.state.clock.now();
  const event: StoredEvent = {
    id: newItemId(),
    immutableId: newImmutableId(),
    mailboxId: mailbox.id,
    calendarId: calendar.id,
    fields: { ...input.fields },
    startMs: input.start.ms,
    endMs: input.end.ms,
    startZone: input.start.zoneName,
    endZone: input.end.zoneName,
    isAllDay,
    recurrence: input.recurrence ?? undefined,
    exceptions: new Map(),
    extendedProperties: input.extendedProperties ?? [],
    transactionId: input.transactionId,
    iCalUId: newICalUId(),
    changeKey: newChangeKey(),
    createdMs: now,
    lastModifiedMs: now,
    isCancelled: false,
    organizer: { name: mailbox.displayName, address: mailbox.mail },
    responseStatus: { response: 'organizer', time: '0001-01-01T00:00:00Z' },
    roomCopies: new Map(),
    attendeeCopies: new Map(),
  };
  ctx.store.insert(event);
  setUpOnlineMeeting(ctx, event, calendar, mailbox.tenantId);
  ctx.store.emit('created', event);
  ctx.meetings.sent(event, true);
  return { event, replayed: false };
}

/**
 * An event asking for an online meeting gets one from its calendar's providers (online-meetings.ts), now
 * or after settings.onlineMeetingDelayMs. Once set up it stays: the provider and the meeting cannot change.
 */
function setUpOnlineMeeting(ctx: EventContext, event: StoredEvent, calendar: StoredCalendar, tenantId: string): void {
  if (!event.fields.isOnlineMeeting || event.onlineMeeting || ctx.meetings.onlineMeetingPending(event.id)) return;
  const provider = providerFor(calendar, event.fields.onlineMeetingProvider);
  event.fields.onlineMeetingProvider = provider;
  if (!canSetUp(calendar, provider)) return;
  const info = newOnlineMeeting(provider, tenantId, event.mailboxId);
  const delayMs = ctx.state.settings.onlineMeetingDelayMs;
  if (delayMs > 0) ctx.meetings.setUpOnlineMeetingLater(event.id, info, delayMs);
  else event.onlineMeeting = info;
}

/**
 * A stale If-Match: 412 ErrorIrresolvableConflict ("The send or update operation could not be performed
 * because the change key passed in the request does not match the current change key for the item.");
 * Outlook is also seen to answer the same conflict with 409 (settings.conflictAs409Rate).
 * https://learn.microsoft.com/en-us/graph/errors#http-status-codes
 */
export function checkIfMatch(view: EventView, ifMatch: string | undefined, conflictAs409Rate = 0): void {
  if (!ifMatch || ifMatch.trim() === '*') return;
  const wanted = ifMatch.split(',').map((t) => t.trim());
  if (!wanted.includes(etagOf(view.changeKey)) && !wanted.includes(`"${view.changeKey}"`))
    throw new GraphHttpError(
      Math.random() < conflictAs409Rate ? 409 : 412,
      'ErrorIrresolvableConflict',
      'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.',
    );
}

/** PATCH semantics: only the given properties change. An occurrence becomes an exception. */
export function updateEvent(ctx: EventContext, view: EventView, input: EventInput, ifMatch?: string): EventView {
  checkIfMatch(view, ifMatch, ctx.state.settings.conflictAs409Rate);
  const event = view.event;
  const now = ctx.state.clock.now();
  if (input.transactionId !== undefined && input.transactionId !== event.transactionId)
    throw invalid('The transactionId of an event cannot be changed after it is set.');
  if (view.type === 'occurrence' || view.type === 'exception') {
    if (input.recurrence !== undefined) throw invalid('Recurrence can only be set on a series master or a single instance.');
    const prev = view.override;
    const startMs = input.start?.ms ?? view.startMs;
    const endMs = input.end?.ms ?? view.endMs;
    checkTimes(startMs, endMs, event.isAllDay, event.startZone, event.endZone);
    const override = { deleted: false, startMs, endMs, fields: { ...(prev?.fields ?? {}), ...input.fields }, changeKey: newChangeKey(), lastModifiedMs: now };
    event.exceptions.set(view.originalStartMs!, override);
    // Exchange keeps an exception inside its series master item (an embedded exception attachment:
    // https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxocal/), so the master changes
    // with it, as it does when an occurrence is deleted below.
    event.changeKey = newChangeKey();
    event.lastModifiedMs = now;
    ctx.store.emit('updated', event);
    return { ...view, type: 'exception', startMs, endMs, override, changeKey: `${event.changeKey}.${override.changeKey}` };
  }
  const startMs = input.start?.ms ?? event.startMs;
  const endMs = input.end?.ms ?? event.endMs;
  const isAllDay = input.isAllDay ?? event.isAllDay;
  const startZone = input.start?.zoneName ?? event.startZone;
  const endZone = input.end?.zoneName ?? event.endZone;
  checkTimes(startMs, endMs, isAllDay, startZone, endZone);
  const timesChanged = input.recurrence !== undefined || startMs !== event.startMs || endMs !== event.endMs || isAllDay !== event.isAllDay;
  // Moving a series or changing its pattern drops its exceptions, as Outlook does.
  if (event.recurrence && timesChanged) event.exceptions.clear();
  keepAnswers(event.fields.attendees, input.fields.attendees);
  const onlineBefore = event.fields.isOnlineMeeting ? { isOnlineMeeting: true, onlineMeetingProvider: event.fields.onlineMeetingProvider } : undefined;
  Object.assign(event.fields, input.fields);
  // An online meeting stays one, with its provider (https://learn.microsoft.com/en-us/graph/outlook-calendar-online-meetings).
  if (onlineBefore) Object.assign(event.fields, onlineBefore);
  Object.assign(event, { startMs, endMs, isAllDay, startZone, endZone });
  if (input.recurrence !== undefined) event.recurrence = input.recurrence ?? undefined;
  for (const p of input.extendedProperties ?? []) {
    const existing = event.extendedProperties.find((x) => x.id.toLowerCase() === p.id.toLowerCase());
    if (existing) existing.value = p.value;
    else event.extendedProperties.push(p);
  }
  const calendar = ctx.store.calendar(event.mailboxId, event.calendarId);
  const organizer = ctx.state.directory.users.get(event.mailboxId);
  if (calendar && organizer) setUpOnlineMeeting(ctx, event, calendar, organizer.tenantId);
  event.changeKey = newChangeKey();
  event.lastModifiedMs = now;
  ctx.store.emit('updated', event);
  ctx.meetings.sent(event, timesChanged);
  return masterView(event);
}

type AttendeeJson = { emailAddress: { address: string }; status: { response: string; time: string } };

/** An attendee list sent again keeps the answers of the attendees already in it (Outlook tracks them by address). */
function keepAnswers(before: unknown, after: unknown): void {
  if (!Array.isArray(before) || !Array.isArray(after)) return;
  const answers = new Map((before as AttendeeJson[]).map((a) => [a.emailAddress.address.toLowerCase(), a.status]));
  for (const a of after as AttendeeJson[]) a.status = answers.get(a.emailAddress.address.toLowerCase()) ?? a.status;
}

/** Deletes an event (and its room copies), or one occurrence of a series. */
export function deleteEvent(ctx: EventContext, view: EventView, ifMatch?: string): void {
  checkIfMatch(view, ifMatch, ctx.state.settings.conflictAs409Rate);
  const event = view.event;
  if (view.type === 'occurrence' || view.type === 'exception') {
    event.exceptions.set(view.originalStartMs!, { deleted: true, fields: {}, changeKey: newChangeKey(), lastModifiedMs: ctx.state.clock.now() });
    event.changeKey = newChangeKey();
    event.lastModifiedMs = ctx.state.clock.now();
    ctx.store.emit('updated', event);
    return;
  }
  removeEvent(ctx, event);
}

/** "If the event is a meeting, deleting the event on the organizer's calendar sends a cancellation message to the meeting attendees." https://learn.microsoft.com/en-us/graph/api/event-delete */
function removeEvent(ctx: EventContext, event: StoredEvent): void {
  ctx.meetings.cancelled(event);
  ctx.store.remove(event);
  ctx.store.emit('deleted', event);
}

/** What an attendee may answer (https://learn.microsoft.com/en-us/graph/api/resources/responsestatus?view=graph-rest-1.0). */
export const ATTENDEE_RESPONSES = ['accepted', 'tentativelyAccepted', 'declined'] as const;

/**
 * An attendee (a person, or a room's booking policy) answers the meeting: the organizer's event records the
 * answer in attendees[].status (https://learn.microsoft.com/en-us/graph/api/resources/attendee?view=graph-rest-1.0),
 * which changes the organizer's item, so it gets a new changeKey and a change notification.
 */
export function setAttendeeResponse(ctx: EventContext, event: StoredEvent, address: string, response: (typeof ATTENDEE_RESPONSES)[number]): void {
  const attendees = (event.fields.attendees as { emailAddress: { address: string }; status: { response: string; time: string } }[] | undefined) ?? [];
  const attendee = attendees.find((a) => a.emailAddress.address.toLowerCase() === address.toLowerCase());
  if (!attendee) throw new GraphHttpError(404, 'attendee_not_found', `'${address}' is not an attendee of this event.`);
  const now = ctx.state.clock.now();
  attendee.status = { response, time: new Date(now).toISOString() };
  event.changeKey = newChangeKey();
  event.lastModifiedMs = now;
  ctx.store.emit('updated', event);
}

/** POST /events/{id}/cancel: the organizer cancels a meeting; attendees get the cancellation, rooms drop it (https://learn.microsoft.com/en-us/graph/api/event-cancel). */
export function cancelEvent(ctx: EventContext, mailbox: SimUser, view: EventView): void {
  const event = view.event;
  if (event.organizer.address.toLowerCase() !== mailbox.mail.toLowerCase())
    throw badRequest('Your request can\'t be completed. You need to be an organizer to cancel a meeting.', 'ErrorAccessDenied');
  deleteEvent(ctx, view);
}
