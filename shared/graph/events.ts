// Event calls on one of the connected user's calendars. Paths name the calendar first
// (/me/calendars/{id}/events/{eventId}): /me/events/{id} does not reach calendars shared by others. An event
// the person moved to another of their calendars keeps its immutable id (every request asks for immutable
// ids, immutable-ids.ts) but is no longer in the booking's calendar: a 404 there is tried once more on
// /me/events/{id}, which reaches every calendar of the mailbox
// (https://learn.microsoft.com/en-us/graph/api/event-get, https://learn.microsoft.com/en-us/graph/outlook-immutable-id).
// Every call carries a deadline, so a hung Graph request ends as a timeout the caller can reason about.
import type { Client, GraphRequest } from '@microsoft/microsoft-graph-client';
import { categorizeGraphError } from './client.js';
import type { GraphDateTime } from '../time/windows-zones.js';

/**
 * An attendee as Graph shows it; `status.response` is their answer: none, organizer, tentativelyAccepted,
 * accepted, declined or notResponded (https://learn.microsoft.com/en-us/graph/api/resources/attendee?view=graph-rest-1.0,
 * https://learn.microsoft.com/en-us/graph/api/resources/responsestatus?view=graph-rest-1.0).
 */
export interface GraphAttendee {
  emailAddress?: { address?: string; name?: string };
  type?: string;
  status?: { response?: string; time?: string };
}

/**
 * An event's join information, set by Outlook once the event is an online meeting; it may come later than
 * the create's answer (https://learn.microsoft.com/en-us/graph/api/resources/onlinemeetinginfo,
 * https://learn.microsoft.com/en-us/graph/outlook-calendar-online-meetings).
 */
export interface GraphOnlineMeeting {
  joinUrl?: string | null;
  conferenceId?: string | null;
  tollNumber?: string | null;
  tollFreeNumbers?: string[] | null;
  quickDial?: string | null;
}

export interface GraphEvent {
  id: string;
  '@odata.etag'?: string;
  changeKey?: string;
  webLink?: string;
  subject?: string;
  start?: GraphDateTime;
  end?: GraphDateTime;
  originalStartTimeZone?: string;
  isAllDay?: boolean;
  isCancelled?: boolean;
  showAs?: string;
  type?: string;
  attendees?: GraphAttendee[];
  lastModifiedDateTime?: string;
  transactionId?: string;
  isOnlineMeeting?: boolean;
  onlineMeetingProvider?: string;
  onlineMeeting?: GraphOnlineMeeting | null;
}

/** What a read of a booking's event selects (enough to show the booking system the current state). */
export const EVENT_SELECT =
  'id,subject,start,end,originalStartTimeZone,isAllDay,isCancelled,showAs,type,attendees,webLink,changeKey,lastModifiedDateTime,isOnlineMeeting,onlineMeetingProvider,onlineMeeting';

export interface EventCallOptions {
  timeoutMs: number;
}

export function calendarPath(calendarId: string | undefined): string {
  return calendarId ? `/me/calendars/${encodeURIComponent(calendarId)}` : '/me/calendar';
}

function eventPath(calendarId: string | undefined, eventId: string): string {
  return `${calendarPath(calendarId)}/events/${encodeURIComponent(eventId)}`;
}

/** Runs `call` on the calendar's path, then, when the event is not there, on the mailbox-wide path. */
async function inCalendarOrMoved<T>(calendarId: string | undefined, eventId: string, call: (path: string) => Promise<T>): Promise<T> {
  try {
    return await call(eventPath(calendarId, eventId));
  } catch (error) {
    if (!calendarId || categorizeGraphError(error) !== 'not_found') throw error;
    return call(`/me/events/${encodeURIComponent(eventId)}`);
  }
}

function bounded(request: GraphRequest, options: EventCallOptions): GraphRequest {
  return request.options({ signal: AbortSignal.timeout(options.timeoutMs) });
}

/** POST …/events: one Graph request. Graph answers a repeated transactionId with the existing event. */
export async function createEvent(client: Client, calendarId: string | undefined, body: Record<string, unknown>, options: EventCallOptions): Promise<GraphEvent> {
  return (await bounded(client.api(`${calendarPath(calendarId)}/events`), options).post(body)) as GraphEvent;
}

/** A calendar's online meeting providers (https://learn.microsoft.com/en-us/graph/api/resources/calendar). */
export interface CalendarMeetingProviders {
  allowedOnlineMeetingProviders?: string[];
  defaultOnlineMeetingProvider?: string;
}

export async function getCalendarMeetingProviders(client: Client, calendarId: string | undefined, options: EventCallOptions): Promise<CalendarMeetingProviders> {
  return (await bounded(client.api(calendarPath(calendarId)), options).select('allowedOnlineMeetingProviders,defaultOnlineMeetingProvider').get()) as CalendarMeetingProviders;
}

/** The event carrying our extended property with this value, if any (the reconciliation before a re-create). */
export async function findEventByProperty(
  client: Client,
  calendarId: string | undefined,
  propertyId: string,
  value: string,
  options: EventCallOptions,
): Promise<GraphEvent | undefined> {
  const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const filter = `singleValueExtendedProperties/any(ep: ep/id eq ${quote(propertyId)} and ep/value eq ${quote(value)})`;
  const page = (await bounded(client.api(`${calendarPath(calendarId)}/events`), options).filter(filter).select(EVENT_SELECT).top(2).get()) as {
    value?: GraphEvent[];
  };
  return page.value?.[0];
}

export async function getEvent(client: Client, calendarId: string | undefined, eventId: string, options: EventCallOptions): Promise<GraphEvent> {
  return inCalendarOrMoved(calendarId, eventId, async (path) => (await bounded(client.api(path), options).select(EVENT_SELECT).get()) as GraphEvent);
}

/** PATCH with If-Match when an etag is given: Graph answers 412 when the event changed since. */
export async function updateEvent(
  client: Client,
  calendarId: string | undefined,
  eventId: string,
  patch: Record<string, unknown>,
  ifMatch: string | undefined,
  options: EventCallOptions,
): Promise<GraphEvent> {
  return inCalendarOrMoved(calendarId, eventId, async (path) => {
    let request = bounded(client.api(path), options);
    if (ifMatch) request = request.header('If-Match', ifMatch);
    return (await request.patch(patch)) as GraphEvent;
  });
}

export async function deleteEvent(client: Client, calendarId: string | undefined, eventId: string, options: EventCallOptions): Promise<void> {
  await inCalendarOrMoved(calendarId, eventId, (path) => bounded(client.api(path), options).delete());
}

/** Cancels a meeting the user organises: attendees get a cancellation with the comment (202). */
export async function cancelEvent(client: Client, calendarId: string | undefined, eventId: string, comment: string, options: EventCallOptions): Promise<void> {
  await inCalendarOrMoved(calendarId, eventId, (path) => bounded(client.api(`${path}/cancel`), options).post({ comment }));
}

/**
 * The properties of an event that a copy of it in another calendar carries (moving a booking's event: Graph
 * has no move for events, only create and delete; https://learn.microsoft.com/en-us/graph/api/resources/event#methods).
 */
export const EVENT_COPY_SELECT =
  'subject,body,start,end,isAllDay,location,locations,attendees,categories,showAs,sensitivity,importance,isReminderOn,reminderMinutesBeforeStart,isOnlineMeeting,onlineMeetingProvider,recurrence,responseRequested,allowNewTimeProposals';

/** An event with everything a copy needs ({@link EVENT_COPY_SELECT}). */
export async function getEventForCopy(client: Client, calendarId: string | undefined, eventId: string, options: EventCallOptions): Promise<Record<string, unknown>> {
  return inCalendarOrMoved(calendarId, eventId, async (path) => (await bounded(client.api(path), options).select(EVENT_COPY_SELECT).get()) as Record<string, unknown>);
}
