// Online meetings of bookings. The provider is the booking calendar's own choice: its default when it allows
// it, else the first it allows (a work account's calendar allows teamsForBusiness; a personal account's its
// consumer service); a calendar that allows none (`unknown` only) gets no event at all, but a clear 422.
// Outlook sets up the meeting and fills the event's `onlineMeeting` (join URL, and dial-in where the
// organisation has audio conferencing), possibly after the create has answered: the booking then shows
// `joinUrl: null` until push sync sees it and sends booking.online_meeting_ready
// (https://learn.microsoft.com/en-us/graph/outlook-calendar-online-meetings,
// https://learn.microsoft.com/en-us/graph/api/resources/calendar, https://learn.microsoft.com/en-us/graph/api/resources/onlinemeetinginfo).
import type { Client } from '@microsoft/microsoft-graph-client';
import * as z from 'zod';
import { AppError } from '../errors/app-error.js';
import { getCalendarMeetingProviders, type CalendarMeetingProviders, type EventCallOptions, type GraphEvent } from '../graph/events.js';
import type { BookingEntity } from '../store/repositories/bookings.js';

export const onlineMeetingView = z.object({
  provider: z.string().describe('teamsForBusiness (work accounts), teamsForConsumer or skypeForConsumer (personal accounts), skypeForBusiness'),
  joinUrl: z.string().nullable().describe('the link attendees join with; null until Outlook has set the meeting up (booking.online_meeting_ready follows)'),
  conferenceId: z.string().optional().describe('dial-in conference id, when the organisation has audio conferencing'),
  tollNumber: z.string().optional(),
  tollFreeNumbers: z.array(z.string()).optional(),
  quickDial: z.string().optional().describe('toll number and conference id in one dialable string'),
});

export type OnlineMeetingView = z.infer<typeof onlineMeetingView>;

/** The provider for a new online meeting in a calendar with these settings; 422 when it allows none. */
export function chooseMeetingProvider(settings: CalendarMeetingProviders): string {
  const allowed = (settings.allowedOnlineMeetingProviders ?? []).filter((p) => p !== 'unknown');
  const preferred = settings.defaultOnlineMeetingProvider;
  if (preferred && allowed.includes(preferred)) return preferred;
  if (allowed[0]) return allowed[0];
  throw new AppError('online_meeting_unavailable', 'isOnlineMeeting: the booking calendar allows no online meeting provider', { field: 'isOnlineMeeting' });
}

/** Reads the calendar's online meeting settings (one Graph request) and chooses the provider. */
export async function meetingProviderFor(graph: Client, calendarId: string | undefined, options: EventCallOptions): Promise<string> {
  return chooseMeetingProvider(await getCalendarMeetingProviders(graph, calendarId, options));
}

/** What an event says of its online meeting; undefined when it is not one. */
export function onlineMeetingOf(event: Pick<GraphEvent, 'isOnlineMeeting' | 'onlineMeetingProvider' | 'onlineMeeting'>): OnlineMeetingView | undefined {
  const info = event.onlineMeeting ?? undefined;
  if (!event.isOnlineMeeting && !info?.joinUrl) return undefined;
  const view: OnlineMeetingView = { provider: event.onlineMeetingProvider ?? 'unknown', joinUrl: info?.joinUrl ?? null };
  if (info?.conferenceId) view.conferenceId = info.conferenceId;
  if (info?.tollNumber) view.tollNumber = info.tollNumber;
  if (info?.tollFreeNumbers?.length) view.tollFreeNumbers = info.tollFreeNumbers;
  if (info?.quickDial) view.quickDial = info.quickDial;
  return view;
}

/** The meeting to keep on the booking row: the event's, unless it has no join URL yet and the row has one. */
export function meetingToKeep(event: GraphEvent, current: BookingEntity['onlineMeeting']): BookingEntity['onlineMeeting'] {
  const now = onlineMeetingOf(event);
  return now?.joinUrl || !current?.joinUrl ? (now ?? current) : current;
}

/** A join URL the booking row does not hold yet (push sync reports it once). */
export function newJoinUrl(event: Pick<GraphEvent, 'isOnlineMeeting' | 'onlineMeetingProvider' | 'onlineMeeting'>, booking: BookingEntity): OnlineMeetingView | undefined {
  const now = onlineMeetingOf(event);
  return now?.joinUrl && now.joinUrl !== booking.onlineMeeting?.joinUrl ? now : undefined;
}
