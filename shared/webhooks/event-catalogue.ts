// Every outbound webhook event type, in one place: its `data` schema (what emitters must send, checked
// at compile time), when it fires, and an example. The delivery processor, the OpenAPI `webhooks` section
// and the README's table are all derived from this object: adding a type is adding an entry here.
import * as z from 'zod';
import { onlineMeetingView } from '../bookings/online-meeting.js';

const busyInterval = z.object({
  start: z.string().describe('UTC, ISO 8601'),
  end: z.string().describe('UTC, ISO 8601'),
  showAs: z.string().describe('the strongest Outlook showAs in the interval: busy, oof, tentative, unknown, workingElsewhere'),
});

/** A busy change: the span that changed and the merged busy time inside it now. */
const busyChange = {
  start: z.string().describe('start of the span that changed (UTC)'),
  end: z.string().describe('end of the span that changed (UTC)'),
  busy: z.array(busyInterval).describe('the merged busy intervals inside [start, end) now; read the full window with the busy endpoint'),
};

const bookingInCalendar = {
  connectionId: z.string(),
  bookingId: z.string(),
  calendarId: z.string(),
  eventId: z.string().describe('the Outlook event id'),
};

const connectLink = z.object({ url: z.string(), expiresAt: z.string() });

const EXAMPLE_CONNECTION = 'c0a1b2c3d4e5f60718293a4b5c6d7e8f';
const EXAMPLE_CALENDAR = 'AAMkAGI2TGuLAAA=';

interface WebhookEventDefinition<S extends z.ZodObject> {
  summary: string;
  /** When it fires, for the README and the OpenAPI description. */
  fires: string;
  data: S;
  /** Checked against `data` at compile time. */
  example: z.input<S>;
}

const defineEvent = <S extends z.ZodObject>(definition: WebhookEventDefinition<S>): WebhookEventDefinition<S> => definition;

export const WEBHOOK_EVENTS = {
  'busy.changed': defineEvent({
    summary: "A connection's busy time changed",
    fires:
      'Push sync saw a change in one of the connection\'s busy calendars that changes its merged busy time (an event added, moved, deleted or its showAs changed in Outlook, including changes to your own bookings). Changes that leave the merged busy time as it was (a free event, a meeting moved inside another busy block) send nothing.',
    data: z.object({ connectionId: z.string(), calendarIds: z.array(z.string()).describe('the calendar whose change this is'), ...busyChange }),
    example: {
      connectionId: EXAMPLE_CONNECTION,
      calendarIds: [EXAMPLE_CALENDAR],
      start: '2030-05-06T08:00:00.000Z',
      end: '2030-05-06T09:00:00.000Z',
      busy: [{ start: '2030-05-06T08:00:00.000Z', end: '2030-05-06T08:45:00.000Z', showAs: 'busy' }],
    },
  }),
  'space.busy_changed': defineEvent({
    summary: "A space's room calendar busy time changed",
    fires: "Push sync saw a change in a mapped room's calendar that changes its merged busy time (for example a meeting booked in Outlook with the room).",
    data: z.object({ spaceId: z.string(), roomEmail: z.string(), ...busyChange }),
    example: {
      spaceId: 'room-101',
      roomEmail: 'room101@contoso.com',
      start: '2030-05-06T13:00:00.000Z',
      end: '2030-05-06T14:00:00.000Z',
      busy: [{ start: '2030-05-06T13:00:00.000Z', end: '2030-05-06T14:00:00.000Z', showAs: 'busy' }],
    },
  }),
  'booking.changed_in_calendar': defineEvent({
    summary: "A booking's event was moved or declined in Outlook",
    fires:
      'The user moved a booking\'s event to another time in Outlook (`change: "moved"`, with the new `start`/`end`), however soon after the create and however far ahead. The booking stays `confirmed`, its `start`/`end` become the event\'s, and GET shows the event as Outlook has it now; a later PATCH applies to the moved event. For a series, one occurrence moved (`occurrence_moved`, with its new `start`/`end`) or cancelled (`occurrence_cancelled`) in Outlook names the occurrence by its original date (`occurrence.occurrenceDate`, as in the occurrence routes); GET lists it in `occurrences`. Declines are `booking.declined_in_calendar`. Our own writes do not fire it (a PATCH racing a sync round can come back as a move to the times it asked for).',
    data: z.object({
      ...bookingInCalendar,
      change: z.enum(['moved', 'declined', 'occurrence_moved', 'occurrence_cancelled']),
      start: z.string().optional().describe('the event (or occurrence) start now (UTC)'),
      end: z.string().optional().describe('the event (or occurrence) end now (UTC)'),
      showAs: z.string().optional(),
      onlineMeeting: onlineMeetingView.optional().describe("the event's online meeting, when it is one"),
      occurrence: z
        .object({
          occurrenceDate: z.string().describe("the occurrence's original date (yyyy-mm-dd) in the booking's timeZone"),
          eventId: z.string().describe("the occurrence's Outlook id (eventId is the series')"),
        })
        .optional()
        .describe('a series: the one occurrence that changed'),
    }),
    example: {
      connectionId: EXAMPLE_CONNECTION,
      bookingId: 'appt-1042',
      calendarId: EXAMPLE_CALENDAR,
      eventId: 'AAMkAGI2THVSAAA=',
      change: 'moved',
      start: '2030-05-07T09:00:00.000Z',
      end: '2030-05-07T09:45:00.000Z',
      showAs: 'busy',
    },
  }),
  'booking.online_meeting_ready': defineEvent({
    summary: "A booking's online meeting has its join URL",
    fires:
      'Outlook set up the online meeting of a booking made with `isOnlineMeeting` after the create had answered (the create and GET then showed `onlineMeeting.joinUrl: null`), or replaced its join URL; or the booking was moved to another calendar or account (`moveFutureBookings`, `adopt-bookings`): the moved event is a new meeting with a new join URL, and the old one no longer works. Sent once per join URL; GET shows it from then on.',
    data: z.object({ ...bookingInCalendar, onlineMeeting: onlineMeetingView }),
    example: {
      connectionId: EXAMPLE_CONNECTION,
      bookingId: 'appt-1042',
      calendarId: EXAMPLE_CALENDAR,
      eventId: 'AAMkAGI2THVSAAA=',
      onlineMeeting: {
        provider: 'teamsForBusiness',
        joinUrl: 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_ODkyNWFm%40thread.v2/0',
        conferenceId: '291633251',
        tollNumber: '+1 323-555-0166',
      },
    },
  }),
  'booking.declined_in_calendar': defineEvent({
    summary: "A room or a required attendee declined a booking's event",
    fires:
      "A room or a required attendee of a booking's event declined it in Outlook, as the event's `attendees[].status` says. `declinedBy` lists only the new declines; GET shows every current one in `declinedBy`. The booking stays `confirmed`: whether to cancel or rebook is the booking system's choice.",
    data: z.object({
      ...bookingInCalendar,
      declinedBy: z.array(z.object({ email: z.string(), name: z.string().optional(), type: z.string().describe('resource (a room) or required') })),
    }),
    example: {
      connectionId: EXAMPLE_CONNECTION,
      bookingId: 'appt-1042',
      calendarId: EXAMPLE_CALENDAR,
      eventId: 'AAMkAGI2THVSAAA=',
      declinedBy: [{ email: 'room101@contoso.com', name: 'Room 101', type: 'resource' }],
    },
  }),
  'booking.deleted_in_calendar': defineEvent({
    summary: "A booking's event was deleted in Outlook",
    fires:
      'The user deleted a booking\'s event in Outlook (checked with Graph: an event that only left the synced window is reported as moved instead). The booking then turns `cancelled`: GET shows `status: "cancelled"`, a PATCH answers 409 `booking_cancelled`, and DELETE changes nothing.',
    data: z.object(bookingInCalendar),
    example: { connectionId: EXAMPLE_CONNECTION, bookingId: 'appt-1042', calendarId: EXAMPLE_CALENDAR, eventId: 'AAMkAGI2THVSAAA=' },
  }),
  'connection.needs_reauth': defineEvent({
    summary: 'A connection needs the user to sign in again',
    fires:
      'Microsoft refused the connection\'s refresh token (password change, revoked consent, 90 days without use), noticed by the token keep-alive, a booking or a sync. Sent once per turn to `needs_reauth`; its Graph subscriptions are removed. `connectLink` is a fresh connect link to show the user (null when none could be made).',
    data: z.object({
      connectionId: z.string(),
      externalUserId: z.string(),
      reason: z.enum(['refresh_token_rejected']),
      connectLink: connectLink.nullable(),
    }),
    example: {
      connectionId: EXAMPLE_CONNECTION,
      externalUserId: 'staff-42',
      reason: 'refresh_token_rejected',
      connectLink: { url: 'https://bridge.example.com/api/connect/lnk_2b7c1f', expiresAt: '2030-05-07T09:00:00.000Z' },
    },
  }),
  'connection.failed': defineEvent({
    summary: "A person's connect attempt ended without a connection",
    fires:
      "A person signed in, but their calendar cannot be connected: `mailbox_not_supported` when the mailbox is not in Exchange Online (on-premises or hybrid; Microsoft Graph cannot reach it). The person sees a page saying why, with a link back to your `returnUrl` carrying `status=error&error=mailbox_not_supported`; this webhook tells you even if they never follow it. Nothing was stored.",
    data: z.object({
      externalUserId: z.string(),
      reason: z.enum(['mailbox_not_supported']),
      userPrincipalName: z.string().nullable().describe('the account that signed in'),
    }),
    example: { externalUserId: 'staff-42', reason: 'mailbox_not_supported', userPrincipalName: 'nestor@contoso.com' },
  }),
  'connection.disconnected': defineEvent({
    summary: 'A connection was disconnected',
    fires: 'Once, when `DELETE /api/connections/{id}` disconnects an active or needs_reauth connection. Events already written stay in Outlook.',
    data: z.object({ connectionId: z.string(), externalUserId: z.string() }),
    example: { connectionId: EXAMPLE_CONNECTION, externalUserId: 'staff-42' },
  }),
  'connection.bookings_moved': defineEvent({
    summary: "A move of future bookings into a connection's booking calendar finished",
    fires:
      'Once per move, when the last booking of a move asked for by `PATCH /api/connections/{id}` (`moveFutureBookings`) or `POST /api/connections/{id}/adopt-bookings` has been handled. Bookings keep their ids; `GET /api/bookings/{id}` shows their new connection, calendar and event. `failedBookingIds` (at most 100) stayed where they were. `leftInOldCalendar` counts bookings moved whose old event could not be removed because the old connection had lost access.',
    data: z.object({
      connectionId: z.string().describe('the connection the bookings moved to'),
      moveId: z.string(),
      kind: z.enum(['calendar', 'account']).describe('calendar: the booking calendar was switched; account: adopted from another connection of the same user'),
      fromConnectionId: z.string(),
      fromCalendarId: z.string().nullable(),
      toCalendarId: z.string(),
      total: z.number().int().describe('future bookings found when the move began'),
      moved: z.number().int(),
      failed: z.number().int(),
      leftInOldCalendar: z.number().int(),
      failedBookingIds: z.array(z.string()),
    }),
    example: {
      connectionId: EXAMPLE_CONNECTION,
      moveId: '5d1c7a2e-3f4b-4c8d-9e0f-1a2b3c4d5e6f',
      kind: 'calendar',
      fromConnectionId: EXAMPLE_CONNECTION,
      fromCalendarId: EXAMPLE_CALENDAR,
      toCalendarId: 'AAMkAGI2TGuMAAA=',
      total: 12,
      moved: 12,
      failed: 0,
      leftInOldCalendar: 0,
      failedBookingIds: [],
    },
  }),
};

export type WebhookEventType = keyof typeof WEBHOOK_EVENTS;

/** What an emitter passes as `data` for a given type. */
export type WebhookEventData<T extends WebhookEventType> = z.input<(typeof WEBHOOK_EVENTS)[T]['data']>;

export const WEBHOOK_EVENT_TYPES = Object.keys(WEBHOOK_EVENTS) as [WebhookEventType, ...WebhookEventType[]];
