// The booking-system's view of a booking, validated. Times are ISO 8601: with an offset they are instants,
// without one they are wall time in `timeZone` (IANA).
import * as z from 'zod';
import { isValidTimeZone } from '../time/zoned-time.js';
import { allDayIssues, bookingRecurrence, parseBookingTime, seriesIssues } from './recurrence.js';

export const MAX_BOOKING_WINDOW_DAYS = 62;

/** Ids chosen by booking systems end up in Table Storage keys: keep them to a safe alphabet. */
export const externalId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'use letters, digits and . _ : @ - only');

const email = z.email().max(254);

export const showAsValues = ['free', 'tentative', 'busy', 'oof', 'workingElsewhere'] as const;
export const showAs = z.enum(showAsValues);

const attendee = z.strictObject({
  email,
  name: z.string().max(256).optional(),
  type: z.enum(['required', 'optional', 'resource']).default('required'),
});

const body = z.union([
  z.string().max(32_768).transform((content) => ({ contentType: 'text' as const, content })),
  z.strictObject({ contentType: z.enum(['text', 'html']), content: z.string().max(32_768) }),
]);

const location = z.union([
  z.string().max(256).transform((displayName) => ({ displayName })),
  z.strictObject({ displayName: z.string().max(256), address: z.string().max(512).optional() }),
]);

export const timeZoneName = z
  .string()
  .refine(isValidTimeZone, { message: 'unknown IANA time zone', abort: true })
  // Intl accepts any letter case; store its spelling, but keep the caller's name when Intl would swap it
  // for an older alias (ICU answers Asia/Calcutta for Asia/Kolkata).
  .transform((tz) => {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
    return resolved.toLowerCase() === tz.toLowerCase() ? resolved : tz;
  });

const dateTime = z.string().max(40);

const fields = {
  subject: z.string().min(1).max(255),
  start: dateTime,
  end: dateTime,
  timeZone: timeZoneName,
  body: body.optional(),
  location: location.optional(),
  attendees: z.array(attendee).max(100).optional(),
  /** null: no reminder; absent: the connection's default. */
  reminderMinutes: z.number().int().min(0).max(40_320).nullable().optional(),
  isOnlineMeeting: z.boolean().optional(),
  showAs: showAs.optional(),
  categories: z.array(z.string().min(1).max(255)).max(25).optional(),
};

export const createBookingRequest = z
  .strictObject({
    bookingId: externalId,
    /** The user whose calendar gets the event (or, for a space booked by invitation, the organiser). */
    connectionId: externalId.optional(),
    /** A space (shared/spaces): its room's calendar gets the event, or the room is invited to the organiser's. */
    spaceId: externalId.optional(),
    ...fields,
    /** Whole days: start and end at midnight in timeZone (or bare dates). Fixed at create. */
    isAllDay: z.boolean().optional(),
    /** A series: the booking's start and end are its first occurrence's. */
    recurrence: bookingRecurrence.optional(),
  })
  .superRefine(checkTarget)
  .superRefine(checkTimes)
  .transform(withInstants);

export const updateBookingRequest = z
  .strictObject({
    ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])),
    timeZone: timeZoneName.optional(),
    /** Overwrite changes made in Outlook since the booking system last saw the event. */
    force: z.boolean().optional(),
  })
  .partial();

export type CreateBookingRequest = z.infer<typeof createBookingRequest>;

function checkTarget(value: { connectionId?: string; spaceId?: string }, ctx: z.RefinementCtx): void {
  if (value.connectionId === undefined && value.spaceId === undefined)
    ctx.addIssue({ code: 'custom', path: ['connectionId'], message: 'connectionId or spaceId is required' });
}

type Times = { start: string; end: string; timeZone: string; isAllDay?: boolean; recurrence?: z.infer<typeof bookingRecurrence> };

function checkTimes(value: Times, ctx: z.RefinementCtx): void {
  const start = parseBookingTime(value.start, value.timeZone, value.isAllDay);
  const end = parseBookingTime(value.end, value.timeZone, value.isAllDay);
  if (start === undefined) ctx.addIssue({ code: 'custom', path: ['start'], message: 'not an ISO 8601 date-time' });
  if (end === undefined) ctx.addIssue({ code: 'custom', path: ['end'], message: 'not an ISO 8601 date-time' });
  if (start === undefined || end === undefined) return;
  if (end <= start) ctx.addIssue({ code: 'custom', path: ['end'], message: 'end must be after start' });
  else if (end - start > MAX_BOOKING_WINDOW_DAYS * 86_400_000) {
    ctx.addIssue({ code: 'custom', path: ['end'], message: `a booking may last at most ${MAX_BOOKING_WINDOW_DAYS} days` });
  }
  const issues = [...(value.isAllDay ? allDayIssues(start, end, value.timeZone) : []), ...(value.recurrence ? seriesIssues(value.recurrence, start, value.timeZone) : [])];
  for (const issue of issues) ctx.addIssue({ code: 'custom', ...issue });
}

function withInstants<T extends Times>(value: T): T & { startMs: number; endMs: number } {
  return {
    ...value,
    startMs: parseBookingTime(value.start, value.timeZone, value.isAllDay)!,
    endMs: parseBookingTime(value.end, value.timeZone, value.isAllDay)!,
  };
}
