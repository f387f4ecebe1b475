// A week of simulated calendars as a server-rendered table: one column per day, one row per hour, each event
// in the cell of the hour it starts in, and the busy time Calendar Bridge reports shaded behind. A table
// (with headers and a caption) keeps it readable by screen readers and needs no script and no inline style.
import { escapeHtml } from '../../shared/http/html.js';
import { instantOf, wallTimeAt } from '../../shared/time/zoned-time.js';

export interface WallDate {
  year: number;
  month: number;
  day: number;
}

export interface WeekWindow {
  zone: string;
  days: WallDate[];
  startMs: number;
  endMs: number;
}

export interface GridEvent {
  subject: string;
  startMs: number;
  endMs: number;
  /** Written by Calendar Bridge for a booking, or by the user in Outlook. */
  kind: 'booking' | 'outlook';
  calendar: string;
  isAllDay: boolean;
}

export interface BusySpan {
  startMs: number;
  endMs: number;
}

const DAY_MS = 86_400_000;
const FIRST_HOUR = 8;
const LAST_HOUR = 18;

export function addDays(date: WallDate, days: number): WallDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day) + days * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function todayIn(zone: string, nowMs = Date.now()): WallDate {
  const w = wallTimeAt(nowMs, zone);
  return { year: w.year, month: w.month, day: w.day };
}

export function isoDate(date: WallDate): string {
  return `${String(date.year).padStart(4, '0')}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}

export function parseIsoDate(value: string | null | undefined): WallDate | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value ?? '');
  if (!m) return undefined;
  const date = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  return isoDate(addDays(date, 0)) === value ? date : undefined;
}

const at = (date: WallDate, hour: number, zone: string) => instantOf({ ...date, hour, minute: 0, second: 0 }, zone);

/** Seven days from `first` (midnight to midnight in `zone`). */
export function weekWindow(first: WallDate, zone: string): WeekWindow {
  const days = Array.from({ length: 7 }, (_, i) => addDays(first, i));
  return { zone, days, startMs: at(days[0]!, 0, zone), endMs: at(addDays(first, 7), 0, zone) };
}

const dayLabel = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });

function clock(ms: number, zone: string): string {
  const w = wallTimeAt(ms, zone);
  return `${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
}

function eventHtml(e: GridEvent, zone: string): string {
  const when = e.isAllDay ? 'All day' : `${clock(e.startMs, zone)}–${clock(e.endMs, zone)}`;
  const origin = e.kind === 'booking' ? 'booked through Calendar Bridge' : 'added in Outlook';
  return `<div class="event ${e.kind}"><span class="when">${when}</span> <span class="subject">${escapeHtml(e.subject)}</span>
<span class="origin">${escapeHtml(e.calendar)}, ${origin}</span></div>`;
}

export function renderWeekGrid(input: { caption: string; window: WeekWindow; events: GridEvent[]; busy: BusySpan[] }): string {
  const { window: win, events, busy } = input;
  const zone = win.zone;
  const timed = events.filter((e) => !e.isAllDay).sort((a, b) => a.startMs - b.startMs);
  const allDay = events.filter((e) => e.isAllDay);
  let first = FIRST_HOUR;
  let last = LAST_HOUR;
  for (const e of timed) {
    const start = wallTimeAt(e.startMs, zone);
    const end = wallTimeAt(e.endMs - 1, zone);
    first = Math.min(first, start.hour);
    last = Math.max(last, end.day === start.day && e.endMs - e.startMs < DAY_MS ? end.hour : 23);
  }
  const header = win.days.map((d) => `<th scope="col">${escapeHtml(dayLabel.format(new Date(Date.UTC(d.year, d.month - 1, d.day))))}</th>`).join('');
  const allDayRow = allDay.length
    ? `<tr><th scope="row">All day</th>${win.days
        .map((d) => {
          const dayStart = at(d, 0, zone);
          const here = allDay.filter((e) => e.startMs < dayStart + DAY_MS && e.endMs > dayStart);
          return `<td>${here.map((e) => eventHtml(e, zone)).join('')}</td>`;
        })
        .join('')}</tr>`
    : '';
  const rows: string[] = [];
  for (let hour = first; hour <= last; hour += 1) {
    const cells = win.days.map((d) => {
      const cellStart = at(d, hour, zone);
      const cellEnd = at(d, hour + 1, zone); // hour 24 is the next midnight
      const isBusy = busy.some((b) => b.startMs < cellEnd && b.endMs > cellStart);
      const here = timed.filter((e) => e.startMs >= cellStart && e.startMs < cellEnd);
      const label = isBusy ? '<span class="visually-hidden">busy</span>' : '';
      return `<td${isBusy ? ' class="busy"' : ''}>${label}${here.map((e) => eventHtml(e, zone)).join('')}</td>`;
    });
    rows.push(`<tr><th scope="row">${String(hour).padStart(2, '0')}:00</th>${cells.join('')}</tr>`);
  }
  return `<table class="week"><caption>${escapeHtml(input.caption)}</caption>
<thead><tr><th scope="col">Time</th>${header}</tr></thead>
<tbody>${allDayRow}${rows.join('\n')}</tbody></table>`;
}
