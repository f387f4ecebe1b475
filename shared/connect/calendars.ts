// The user's calendars as the connect flow and the connection API show them, read live from Graph, and the
// one set of rules for choosing the booking calendar, the busy calendars and the default reminder.
import type { Client } from '@microsoft/microsoft-graph-client';
import * as z from 'zod';
import { AppError } from '../errors/app-error.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { sharedBusyCalendars, sharedCalendarsOf } from './shared-calendars.js';

export interface CalendarInfo {
  id: string;
  name: string;
  owner: { name?: string; address?: string };
  canEdit: boolean;
  isDefault: boolean;
}

interface GraphCalendar {
  id: string;
  name?: string;
  owner?: { name?: string; address?: string };
  canEdit?: boolean;
  isDefaultCalendar?: boolean;
}

const MAX_PAGES = 20;

/** Every calendar of the signed-in user (following @odata.nextLink). */
export async function listCalendars(graph: Client): Promise<CalendarInfo[]> {
  const out: CalendarInfo[] = [];
  let page = (await graph.api('/me/calendars').select('id,name,owner,canEdit,isDefaultCalendar').top(100).get()) as {
    value: GraphCalendar[];
    '@odata.nextLink'?: string;
  };
  for (let pages = 1; ; pages += 1) {
    for (const c of page.value) {
      out.push({ id: c.id, name: c.name ?? '', owner: { name: c.owner?.name, address: c.owner?.address }, canEdit: c.canEdit ?? false, isDefault: c.isDefaultCalendar ?? false });
    }
    const next = page['@odata.nextLink'];
    if (!next || pages >= MAX_PAGES) return out;
    page = await graph.api(next).get();
  }
}

/** Calendars the user owns (not ones shared with them): the default set of busy calendars. */
export function ownedCalendars(calendars: CalendarInfo[], userAddresses: (string | undefined)[]): CalendarInfo[] {
  const mine = new Set(userAddresses.filter((a): a is string => Boolean(a)).map((a) => a.toLowerCase()));
  return calendars.filter((c) => c.isDefault || (c.owner.address !== undefined && mine.has(c.owner.address.toLowerCase())));
}

export const DEFAULT_REMINDER_MINUTES = 15;
export const MAX_REMINDER_MINUTES = 7 * 24 * 60;

export const calendarChoiceSchema = z
  .object({
    bookingCalendarId: z.string().min(1).max(512).optional(),
    busyCalendarIds: z.array(z.string().min(1).max(512)).max(100).optional(),
    defaultReminderMinutes: z.number().int().min(0).max(MAX_REMINDER_MINUTES).optional(),
    /** Which Graph showAs values count as busy in busy reads (bookings engineer's addition). */
    busyShowAs: z.array(z.enum(['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'])).min(1).max(6).optional(),
  })
  .strict();

export type CalendarChoice = z.infer<typeof calendarChoiceSchema>;

/** Applies a choice to a connection, checked against the live calendar list; 400 naming the field at fault. */
export function applyCalendarChoice(connection: ConnectionEntity, choice: CalendarChoice, live: CalendarInfo[]): ConnectionEntity {
  const byId = new Map(live.map((c) => [c.id, c]));
  if (choice.bookingCalendarId !== undefined) {
    const calendar = byId.get(choice.bookingCalendarId);
    if (!calendar) throw new AppError('invalid_field', 'bookingCalendarId: no such calendar in this account', { field: 'bookingCalendarId' });
    if (!calendar.canEdit)
      throw new AppError('invalid_field', 'bookingCalendarId: the calendar cannot be written to', { field: 'bookingCalendarId' });
  }
  if (choice.busyCalendarIds !== undefined) {
    const unknown = choice.busyCalendarIds.findIndex((id) => !byId.has(id));
    if (unknown >= 0)
      throw new AppError('invalid_field', `busyCalendarIds.${unknown}: no such calendar in this account`, { field: `busyCalendarIds.${unknown}` });
  }
  const bookingCalendarId = choice.bookingCalendarId ?? connection.bookingCalendarId;
  const busyCalendarIds = choice.busyCalendarIds ? [...new Set(choice.busyCalendarIds)] : connection.busyCalendarIds;
  const sharedCalendars = sharedCalendarsOf(connection, [bookingCalendarId, ...(busyCalendarIds ?? [])], live);
  return {
    ...connection,
    bookingCalendarId,
    busyCalendarIds,
    sharedCalendars,
    pollsSharedCalendars: sharedBusyCalendars({ sharedCalendars, busyCalendarIds }).length ? true : undefined,
    defaultReminderMinutes: choice.defaultReminderMinutes ?? connection.defaultReminderMinutes,
    busyShowAs: choice.busyShowAs ? [...new Set(choice.busyShowAs)] : connection.busyShowAs,
    updatedAt: new Date(),
  };
}

/** CalendarInfo as the API describes it. */
export const calendarInfoSchema = z.object({ id: z.string(), name: z.string(), canEdit: z.boolean(), isDefault: z.boolean() }).loose();
