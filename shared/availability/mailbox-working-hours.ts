// A connection's working hours, read from Graph once and kept on the connection row, so availability never
// calls Graph for them: the keep-alive refreshes them on its schedule, a request may ask for a refresh, and
// a connection that was never read is read on first use.
// They come from getSchedule, which answers each mailbox's workingHours (days, start and end, and the time
// zone, possibly a custom one) with the Calendars.Read permission the connection already holds; the
// mailboxSettings endpoint would need MailboxSettings.Read, a consent the users never gave.
// https://learn.microsoft.com/en-us/graph/api/calendar-getschedule
// https://learn.microsoft.com/en-us/graph/api/resources/scheduleinformation
import { connectedGraph } from '../bookings/connection-access.js';
import type { Services } from '../services.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { workingHoursSchema, type WorkingHours } from '../time/working-hours.js';
import { formatWallTime, wallTimeAt } from '../time/zoned-time.js';

/** The keep-alive reads them again when they are older than this. */
export const WORKING_HOURS_MAX_AGE_MS = 7 * 86_400_000;

interface ScheduleInformation {
  scheduleId?: string;
  workingHours?: unknown;
  error?: { message?: string; responseCode?: string };
}

/** The mailbox's working hours from Graph; undefined when the mailbox has none Graph can tell. */
export async function readMailboxWorkingHours(services: Services, connection: ConnectionEntity, field?: string): Promise<WorkingHours | undefined> {
  if (!connection.upn) return undefined;
  const { call } = await connectedGraph(services, connection, field);
  const now = Date.now();
  const at = (ms: number) => ({ dateTime: formatWallTime(wallTimeAt(ms, 'UTC')), timeZone: 'UTC' });
  const timeoutMs = services.config.graphTimeoutMs;
  const answer = (await call((graph) =>
    graph
      .api('/me/calendar/getSchedule')
      .options({ signal: AbortSignal.timeout(timeoutMs) })
      // The shortest window and one availabilityView slot: only workingHours is wanted.
      .post({ schedules: [connection.upn], startTime: at(now), endTime: at(now + 3600_000), availabilityViewInterval: 60 }),
  )) as { value?: ScheduleInformation[] };
  const info = answer.value?.[0];
  const parsed = workingHoursSchema.safeParse(info?.workingHours);
  if (!parsed.success) {
    console.warn(`working hours of connection ${connection.rowKey} not readable: ${info?.error?.responseCode ?? parsed.error.issues[0]?.message ?? 'none given'}`);
    return undefined;
  }
  return parsed.data;
}

/** Reads the working hours from Graph and keeps them on the connection row. */
export async function refreshWorkingHours(services: Services, connection: ConnectionEntity, field?: string): Promise<WorkingHours | undefined> {
  const workingHours = await readMailboxWorkingHours(services, connection, field);
  const readAt = new Date();
  await services.store.connections.mutate(connection.partitionKey, connection.rowKey, (current) => ({ ...current, workingHours, workingHoursReadAt: readAt }));
  return workingHours;
}

/** True when the keep-alive should read them again. */
export function workingHoursDue(connection: Pick<ConnectionEntity, 'workingHoursReadAt'>, now = Date.now()): boolean {
  return !connection.workingHoursReadAt || now - connection.workingHoursReadAt.getTime() > WORKING_HOURS_MAX_AGE_MS;
}
