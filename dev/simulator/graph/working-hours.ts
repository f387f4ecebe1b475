// A mailbox's workingHours as Graph serves them in mailboxSettings and in getSchedule's scheduleInformation:
// days of the week in lower case, Edm.TimeOfDay times with seven fractional digits, and the time zone as a
// named zone ({ name }) or a customTimeZone with its own bias and transitions. Outlook's default is Monday to
// Friday, 08:00 to 17:00 in the mailbox's time zone.
// https://learn.microsoft.com/en-us/graph/api/resources/workinghours
// https://learn.microsoft.com/en-us/graph/api/resources/customtimezone
// https://learn.microsoft.com/en-us/graph/api/user-get-mailboxsettings (example: working hours in a custom time zone)
import { z } from 'zod';
import type { SimUser } from '../state.js';
import { resolveZone } from './timezones.js';

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
// PATCH mailboxSettings takes days capitalised as well (user-update-mailboxsettings' example sends "Monday").
const day = z.string().transform((v, ctx) => {
  const d = v.toLowerCase();
  if (!(DAYS as readonly string[]).includes(d)) ctx.addIssue({ code: 'custom', message: `not a dayOfWeek: ${v}` });
  return d;
});
const timeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,7})?$/, 'Edm.TimeOfDay, e.g. 08:00:00.0000000')
  .transform((t) => `${t.slice(0, 8)}.0000000`);
const transition = z.strictObject({
  time: timeOfDay,
  dayOccurrence: z.number().int().min(1).max(5),
  dayOfWeek: day,
  month: z.number().int().min(0).max(12),
  year: z.number().int().min(0),
});

export const workingHoursInput = z.strictObject({
  daysOfWeek: z.array(day).max(7),
  startTime: timeOfDay,
  endTime: timeOfDay,
  timeZone: z.union([
    z.strictObject({
      '@odata.type': z.literal('#microsoft.graph.customTimeZone'),
      bias: z.number().int(),
      name: z.string().optional(),
      standardOffset: transition,
      daylightOffset: transition.extend({ daylightBias: z.number().int() }),
    }),
    z.strictObject({ name: z.string().refine((n) => resolveZone(n) !== undefined, 'an unknown time zone') }),
  ]),
});

export type SimWorkingHours = z.output<typeof workingHoursInput>;

/** The user's working hours as Graph serves them. */
export function workingHoursJson(user: SimUser): SimWorkingHours {
  return (
    user.workingHours ?? {
      daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
      startTime: '08:00:00.0000000',
      endTime: '17:00:00.0000000',
      timeZone: { name: user.timeZone },
    }
  );
}
