// Online meetings of events: which provider an event gets from its calendar, and the join information
// Outlook sets up for it (https://learn.microsoft.com/en-us/graph/outlook-calendar-online-meetings,
// https://learn.microsoft.com/en-us/graph/api/resources/onlinemeetinginfo).
// - The calendar's allowedOnlineMeetingProviders says which providers its events may use; a calendar
//   that allows none says `['unknown']`, with `unknown` as its default.
// - "Once you enable a meeting online, Microsoft Graph sets the meeting information in onlineMeeting.
//   Subsequently, you cannot change the onlineMeetingProvider property, nor set isOnlineMeeting to false."
// - A provider the calendar does not allow: Graph documents no error. Outlook sets up no meeting, so
//   `onlineMeeting` stays null (a client that ignores allowedOnlineMeetingProviders never gets a join URL).
// - The information may come later than the create's answer (settings.onlineMeetingDelayMs): the event then
//   changes (new changeKey, an `updated` notification) when it arrives. Microsoft's example shows it in the
//   create's answer, which is the default here.
import { randomBytes, randomInt } from 'node:crypto';
import { isConsumerTenant, type SimUser } from '../state.js';

/** Graph's onlineMeetingProviderType values (https://learn.microsoft.com/en-us/graph/api/resources/calendar), plus
 * teamsForConsumer, which personal accounts' calendars are observed to name. */
export const ONLINE_MEETING_PROVIDERS = ['unknown', 'teamsForBusiness', 'skypeForBusiness', 'skypeForConsumer', 'teamsForConsumer'] as const;

export interface OnlineMeetingInfo {
  joinUrl: string;
  conferenceId: string | null;
  tollNumber: string | null;
  tollFreeNumbers: string[] | null;
  quickDial: string | null;
  phones: { number: string; type: string }[];
}

export interface MeetingCalendar {
  allowedOnlineMeetingProviders: string[];
  defaultOnlineMeetingProvider: string;
}

/** The provider an event asking for an online meeting gets: the one it names, else the calendar's default. */
export function providerFor(calendar: MeetingCalendar, requested: unknown): string {
  return typeof requested === 'string' ? requested : calendar.defaultOnlineMeetingProvider;
}

/** Whether Outlook can set up a meeting with this provider in this calendar. */
export function canSetUp(calendar: MeetingCalendar, provider: string): boolean {
  return provider !== 'unknown' && calendar.allowedOnlineMeetingProviders.includes(provider);
}

/**
 * Join information as each provider's links look. Teams for business adds audio conferencing (a
 * conference id and a toll number), as in Microsoft's example; the consumer services give a link only.
 */
export function newOnlineMeeting(provider: string, tenantId: string, organizerId: string): OnlineMeetingInfo {
  const noDialIn = { conferenceId: null, tollNumber: null, tollFreeNumbers: null, quickDial: null, phones: [] };
  switch (provider) {
    case 'teamsForBusiness': {
      const thread = randomBytes(24).toString('base64url');
      const context = encodeURIComponent(JSON.stringify({ Tid: tenantId, Oid: organizerId }));
      const conferenceId = String(randomInt(100_000_000, 999_999_999));
      const tollNumber = `+1 323-555-0${String(randomInt(100, 199))}`;
      return {
        joinUrl: `https://teams.microsoft.com/l/meetup-join/19%3ameeting_${thread}%40thread.v2/0?context=${context}`,
        conferenceId,
        tollNumber,
        tollFreeNumbers: null,
        quickDial: `${tollNumber},,${conferenceId}#`,
        phones: [{ number: tollNumber, type: 'business' }],
      };
    }
    case 'teamsForConsumer':
      return { joinUrl: `https://teams.live.com/meet/${String(randomInt(1e12, 9e12))}`, ...noDialIn };
    case 'skypeForConsumer':
      return { joinUrl: `https://join.skype.com/${randomBytes(9).toString('base64url')}`, ...noDialIn };
    default:
      return { joinUrl: `https://meet.lync.com/${tenantId}/${organizerId}/${randomBytes(6).toString('hex').toUpperCase()}`, ...noDialIn };
  }
}

/** The online meeting provider of a mailbox: skypeForConsumer for personal Microsoft accounts. */
export function meetingProviderOf(owner: SimUser): 'teamsForBusiness' | 'skypeForConsumer' {
  return isConsumerTenant(owner.tenantId) ? 'skypeForConsumer' : 'teamsForBusiness';
}
