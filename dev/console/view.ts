// Everything the console page shows, read fresh on every render: the booking system's view through the
// public API (connection, calendars, busy time), Outlook's view through the simulator (the week grid),
// and the live status.
import type { CalendarInfo } from '../../shared/connect/calendars.js';
import type { ConnectionView } from '../../shared/connect/connection-view.js';
import { describeError } from '../../shared/logging.js';
import { ianaZoneFor } from '../../shared/time/windows-zones.js';
import { parseDateTime } from '../../shared/time/zoned-time.js';
import { answerOf, bridgeClient } from '../bridge-client.js';
import { readLiveStatus, type LiveStatus } from './live-status.js';
import type { SimulatedUser } from './simulator-control.js';
import { apiKeyOf, type ConsoleContext } from './walkthrough.js';
import { parseIsoDate, todayIn, weekWindow, type BusySpan, type GridEvent, type WallDate, type WeekWindow } from './week-grid.js';

export interface BusyAnswer {
  intervals: { start: string; end: string; showAs: string }[];
  source: string;
  asOf: string;
}

export interface ConsoleView {
  ctx: ConsoleContext;
  /** Only on the first render after the client was created. */
  revealedApiKey?: string;
  users: SimulatedUser[];
  connection?: ConnectionView;
  calendars?: CalendarInfo[];
  busy?: BusyAnswer;
  week: WeekWindow;
  grid: { events: GridEvent[]; busy: BusySpan[] };
  status: LiveStatus;
  /** What could not be read (shown, never thrown: the page must always render). */
  problems: string[];
}

export async function readConsoleView(ctx: ConsoleContext, from: string | null, options: { live?: boolean } = {}): Promise<ConsoleView> {
  const { session } = ctx;
  const problems: string[] = [];
  const attempt = async <T>(what: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      problems.push(`${what}: ${describeError(error)}`);
      return undefined;
    }
  };
  const zone = session.timeZone ?? 'UTC';
  const first: WallDate = parseIsoDate(from) ?? todayIn(zone);
  const week = weekWindow(first, zone);
  const key = await attempt('the API key', () => apiKeyOf(ctx));
  const api = key ? bridgeClient(ctx.baseUrl, key) : undefined;

  let connection: ConnectionView | undefined;
  let calendars: CalendarInfo[] | undefined;
  let busy: BusyAnswer | undefined;
  if (api && session.connectionId) {
    const path = { id: session.connectionId };
    connection = await attempt('the connection', () => answerOf<ConnectionView>(api.GET('/api/connections/{id}', { params: { path } })));
    if (connection?.status === 'active') {
      const list = () => answerOf<{ value: CalendarInfo[] }>(api.GET('/api/connections/{id}/calendars', { params: { path } }));
      if (!options.live) calendars = await attempt('the calendars', async () => (await list()).value);
      const query = { start: new Date(week.startMs).toISOString(), end: new Date(week.endMs).toISOString() };
      busy = await attempt('busy time', () => answerOf<BusyAnswer>(api.GET('/api/connections/{id}/busy', { params: { path, query } })));
    }
  }

  const users = options.live ? [] : ((await attempt('the simulated people', () => ctx.simulator.users())) ?? []).filter((u) => u.kind === 'user');
  const events = session.userPrincipalName ? ((await attempt('the Outlook calendar', () => outlookEvents(ctx, session.userPrincipalName!, week))) ?? []) : [];
  const status = await readLiveStatus(ctx.services, ctx.simulator, session.receiverId, session.connectionId);
  return {
    ctx,
    revealedApiKey: session.revealApiKey ? key : undefined,
    users,
    connection,
    calendars,
    busy,
    week,
    grid: { events, busy: (busy?.intervals ?? []).map((i) => ({ startMs: Date.parse(i.start), endMs: Date.parse(i.end) })) },
    status,
    problems,
  };
}

/** Every event of every calendar of the person in the window, as Outlook (the simulator) holds them. */
async function outlookEvents(ctx: ConsoleContext, upn: string, week: WeekWindow): Promise<GridEvent[]> {
  const bookedEventIds = new Set((ctx.session.bookings ?? []).map((b) => b.eventId));
  const startUtc = new Date(week.startMs).toISOString().slice(0, 19);
  const endUtc = new Date(week.endMs).toISOString().slice(0, 19);
  const out: GridEvent[] = [];
  for (const calendar of await ctx.simulator.calendars(upn)) {
    for (const e of await ctx.simulator.events(upn, calendar.id, startUtc, endUtc)) {
      if (e.isCancelled) continue;
      const startMs = parseDateTime(e.start.dateTime.slice(0, 19), ianaZoneFor(e.start.timeZone) ?? 'UTC');
      const endMs = parseDateTime(e.end.dateTime.slice(0, 19), ianaZoneFor(e.end.timeZone) ?? 'UTC');
      if (startMs === undefined || endMs === undefined) continue;
      out.push({
        subject: e.subject ?? '(no subject)',
        startMs,
        endMs,
        // An occurrence of a booked series names its series master.
        kind: bookedEventIds.has(e.id) || (e.seriesMasterId && bookedEventIds.has(e.seriesMasterId)) ? 'booking' : 'outlook',
        calendar: calendar.name,
        isAllDay: Boolean(e.isAllDay),
      });
    }
  }
  return out;
}
