// POST /me/calendar/getSchedule: free/busy of up to 20 mailboxes over a window under 62 days, from each
// mailbox's default calendar, with availabilityView in availabilityViewInterval-minute slots.
import { workingHoursJson } from './working-hours.js';
import { badRequest } from './errors.js';
import { viewsOfCalendar } from './calendar-view.js';
import { GRAPH_ROOT, propertyOf } from './odata.js';
import { parseDateTimeTimeZone, resolveZone, toDateTimeTimeZone } from './timezones.js';
import type { GraphWorld } from './world.js';

const STATUS_CODES: Record<string, string> = { free: '0', tentative: '1', busy: '2', oof: '3', workingElsewhere: '4', unknown: '0' };
const DAY_MS = 86_400_000;
// When items overlap a slot the strongest status wins: oof > busy > workingElsewhere > tentative > free.
const RANK: Record<string, number> = { '0': 0, '1': 1, '4': 2, '2': 3, '3': 4 };

export function registerScheduleRoutes(world: GraphWorld): void {
  world.pipeline.route('POST', '/me/calendar/getSchedule', 'schedule', (req) => {
    // Property names case-insensitively: the reference's own request sends "Schedules", "StartTime" and
    // "EndTime" (https://learn.microsoft.com/en-us/graph/api/calendar-getschedule#request-1).
    const raw = req.json<Record<string, unknown>>();
    const body = {
      schedules: propertyOf(raw, 'schedules'),
      startTime: propertyOf(raw, 'startTime') as Record<string, unknown> | undefined,
      endTime: propertyOf(raw, 'endTime') as Record<string, unknown> | undefined,
      availabilityViewInterval: propertyOf(raw, 'availabilityViewInterval'),
    };
    const schedules = body.schedules;
    if (!Array.isArray(schedules) || schedules.length === 0 || schedules.some((s) => typeof s !== 'string'))
      throw badRequest('The schedules parameter is required and must be a list of SMTP addresses.', 'ErrorInvalidParameter');
    if (schedules.length > 20) throw badRequest('The number of schedules requested exceeds the maximum of 20.', 'ErrorInvalidParameter');
    if (!body.startTime || !body.endTime) throw badRequest('startTime and endTime are required.', 'ErrorInvalidParameter');
    const start = parseDateTimeTimeZone(body.startTime, 'startTime');
    const end = parseDateTimeTimeZone(body.endTime, 'endTime');
    if (end.ms <= start.ms) throw badRequest('The end time must be after the start time.', 'ErrorInvalidParameter');
    if (end.ms - start.ms >= 62 * DAY_MS) throw badRequest('The requested time duration must be less than 62 days.', 'ErrorInvalidParameter');
    const interval = body.availabilityViewInterval === undefined ? 30 : Number(body.availabilityViewInterval);
    if (!Number.isInteger(interval) || interval < 5 || interval > 1440)
      throw badRequest('availabilityViewInterval must be between 5 and 1440 minutes.', 'ErrorInvalidParameter');
    const zoneName = req.prefer.timeZone && resolveZone(req.prefer.timeZone) ? req.prefer.timeZone : 'UTC';

    const value = (schedules as string[]).map((address) => {
      const user = world.state.directory.findByMail(address);
      if (!user || user.tenantId !== req.caller.tenantId)
        return {
          scheduleId: address,
          availabilityView: '',
          scheduleItems: [],
          error: { message: `The user or resource ${address} was not found.`, responseCode: 'ErrorMailRecipientNotFound' },
        };
      const views = viewsOfCalendar(world.store.defaultCalendar(user), start.ms, end.ms).filter((v) => !v.event.isCancelled);
      const showAs = (v: (typeof views)[number]) => String((v.override?.fields.showAs ?? v.event.fields.showAs) ?? 'busy');
      const slots = Math.ceil((end.ms - start.ms) / (interval * 60_000));
      let availabilityView = '';
      for (let i = 0; i < slots; i++) {
        const a = start.ms + i * interval * 60_000;
        const b = Math.min(a + interval * 60_000, end.ms);
        const codes = views.filter((v) => v.startMs < b && v.endMs > a).map((v) => STATUS_CODES[showAs(v)] ?? '2');
        availabilityView += codes.reduce((best, c) => (RANK[c]! > RANK[best]! ? c : best), '0');
      }
      return {
        scheduleId: address,
        availabilityView,
        scheduleItems: views
          .filter((v) => showAs(v) !== 'free')
          .map((v) => {
            const fields = { ...v.event.fields, ...(v.override?.fields ?? {}) };
            const isPrivate = ['private', 'confidential'].includes(String(fields.sensitivity ?? 'normal'));
            return {
              isPrivate,
              status: showAs(v),
              ...(isPrivate ? {} : { subject: fields.subject ?? '', location: (fields.location as { displayName?: string } | undefined)?.displayName ?? '' }),
              isMeeting: Array.isArray(fields.attendees) && fields.attendees.length > 0,
              isRecurring: Boolean(v.event.recurrence),
              isException: v.type === 'exception',
              isReminderSet: fields.isReminderOn !== false,
              start: toDateTimeTimeZone(v.startMs, zoneName),
              end: toDateTimeTimeZone(v.endMs, zoneName),
            };
          }),
        workingHours: workingHoursJson(user),
      };
    });
    return { status: 200, body: { '@odata.context': `${GRAPH_ROOT}/$metadata#Collection(microsoft.graph.scheduleInformation)`, value } };
  });
}
