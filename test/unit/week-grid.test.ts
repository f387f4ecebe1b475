// The week grid: events in the cell of the hour they start in (in the person's zone), busy time shaded,
// all-day events in their own row, rows stretched to the events, and text escaped.
import { describe, expect, it } from 'vitest';
import { addDays, parseIsoDate, renderWeekGrid, weekWindow } from '../../dev/console/week-grid.js';

const zone = 'Europe/London';
const first = { year: 2030, month: 3, day: 25 }; // Mon; the clocks go forward on Sun 31 Mar
const window = weekWindow(first, zone);
const utc = (iso: string) => Date.parse(iso);

function cells(html: string): string[][] {
  return [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[0]));
}

describe('week grid', () => {
  it('spans seven zone days, DST included', () => {
    expect(window.days.map((d) => d.day)).toEqual([25, 26, 27, 28, 29, 30, 31]);
    expect(window.startMs).toBe(utc('2030-03-25T00:00:00Z'));
    expect(window.endMs).toBe(utc('2030-03-31T23:00:00Z')); // midnight BST on 1 Apr
    expect(addDays(first, 7)).toEqual({ year: 2030, month: 4, day: 1 });
    expect(parseIsoDate('2030-02-30')).toBeUndefined();
    expect(parseIsoDate('2030-02-28')).toEqual({ year: 2030, month: 2, day: 28 });
  });

  it('places events by wall time, shades busy hours, and escapes', () => {
    const html = renderWeekGrid({
      caption: 'Adele <test>',
      window,
      events: [
        { subject: 'Haircut <b>', startMs: utc('2030-03-26T10:00:00Z'), endMs: utc('2030-03-26T10:45:00Z'), kind: 'booking', calendar: 'Calendar', isAllDay: false },
        { subject: 'Early', startMs: utc('2030-03-31T05:30:00Z'), endMs: utc('2030-03-31T06:00:00Z'), kind: 'outlook', calendar: 'Clinic', isAllDay: false },
        { subject: 'Holiday', startMs: utc('2030-03-29T00:00:00Z'), endMs: utc('2030-03-30T00:00:00Z'), kind: 'outlook', calendar: 'Calendar', isAllDay: true },
      ],
      busy: [{ startMs: utc('2030-03-26T10:00:00Z'), endMs: utc('2030-03-26T10:45:00Z') }],
    });
    expect(html).toContain('<caption>Adele &lt;test&gt;</caption>');
    expect(html).not.toContain('<b>');
    const rows = cells(html);
    const row = (label: string) => rows.find((r) => r[0]!.includes(`>${label}<`))!;
    // Columns: 0 = hour label, 1 = Mon 25 ... 7 = Sun 31.
    expect(row('10:00')[2]).toContain('10:00–10:45');
    expect(row('10:00')[2]).toContain('class="busy"');
    expect(row('10:00')[2]).toContain('event booking');
    expect(row('11:00')[2]).not.toContain('busy');
    // 05:30 UTC on Sun 31 Mar is 06:30 BST: the grid starts at 06:00 to show it.
    expect(rows[1]![0]).toContain('All day');
    expect(row('06:00')[7]).toContain('06:30–07:00');
    expect(row('All day')[5]).toContain('Holiday');
    expect(rows.at(-1)![0]).toContain('18:00');
  });
});
