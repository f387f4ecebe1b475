import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { bookingUid } from '../../shared/mail/booking-invitation.js';
import { buildInvitation, escapeText, fold } from '../../shared/mail/icalendar.js';

const invite = {
  uid: 'bk-1.client1@calendar-bridge',
  sequence: 3,
  stamp: new Date('2030-05-01T10:00:00Z'),
  start: new Date('2030-05-06T08:00:00Z'),
  end: new Date('2030-05-06T08:45:00Z'),
  summary: 'Haircut; with Sam, and "friends" \\ more\nsecond line',
  organizer: { email: 'adele@contoso.test', name: 'Adele "A" Vance' },
  attendees: [{ email: 'customer@example.com' }, { email: 'other@example.com', name: 'Other; Person' }],
};

describe('buildInvitation (RFC 5545)', () => {
  it('writes CRLF lines of at most 75 octets, and ical.js reads back every field', () => {
    const ics = buildInvitation({ ...invite, description: 'Zoë 🙂 '.repeat(40) });
    expect(ics.endsWith('\r\n')).toBe(true);
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of ics.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);

    const calendar = new ICAL.Component(ICAL.parse(ics));
    expect(calendar.getFirstPropertyValue('method')).toBe('REQUEST');
    expect(calendar.getFirstPropertyValue('version')).toBe('2.0');
    const event = new ICAL.Event(calendar.getFirstSubcomponent('vevent')!);
    expect(event.uid).toBe(invite.uid);
    expect(event.sequence).toBe(3);
    expect(event.summary).toBe(invite.summary);
    expect(event.description).toBe('Zoë 🙂 '.repeat(40));
    expect(event.startDate.toJSDate().toISOString()).toBe('2030-05-06T08:00:00.000Z');
    expect(event.endDate.toJSDate().toISOString()).toBe('2030-05-06T08:45:00.000Z');
    expect(event.startDate.zone?.tzid).toBe('UTC');
    const vevent = calendar.getFirstSubcomponent('vevent')!;
    expect(vevent.getFirstPropertyValue('dtstamp')!.toString()).toBe('2030-05-01T10:00:00Z');
    const organizer = vevent.getFirstProperty('organizer')!;
    expect(organizer.getFirstValue()).toBe('mailto:adele@contoso.test');
    expect(organizer.getParameter('cn')).toBe('Adele A Vance');
    const attendees = vevent.getAllProperties('attendee');
    expect(attendees.map((a) => a.getFirstValue())).toEqual(['mailto:customer@example.com', 'mailto:other@example.com']);
    expect(attendees[1]!.getParameter('cn')).toBe('Other; Person');
    expect(attendees[0]!.getParameter('rsvp')).toBe('TRUE');
  });

  it('writes a fixed booking as exactly this text (known answer), which ical.js reads back', () => {
    const ics = buildInvitation({
      uid: bookingUid('client1', 'bk-1'),
      sequence: 0,
      stamp: new Date('2030-05-01T10:00:00Z'),
      start: new Date('2030-05-06T08:00:00Z'),
      end: new Date('2030-05-06T08:45:00Z'),
      summary: 'Haircut, with Sam; room "2"',
      location: 'Salon 1',
      description: 'Bring the booking reference BK-1 and arrive ten minutes early, please.',
      organizer: { email: 'adele@contoso.test', name: 'Adele Vance' },
      attendees: [{ email: 'customer@example.com', name: 'Zoë Kund' }],
    });
    expect(ics).toBe(
      [
        'BEGIN:VCALENDAR',
        'PRODID:-//Calendar Bridge//Mail//EN',
        'VERSION:2.0',
        'CALSCALE:GREGORIAN',
        'METHOD:REQUEST',
        'BEGIN:VEVENT',
        'UID:bk-1.client1@calendar-bridge',
        'DTSTAMP:20300501T100000Z',
        'SEQUENCE:0',
        'DTSTART:20300506T080000Z',
        'DTEND:20300506T084500Z',
        'SUMMARY:Haircut\\, with Sam\\; room "2"',
        'LOCATION:Salon 1',
        // Folded at 75 octets (RFC 5545 3.1): the continuation starts with one space; the ë counts two octets.
        'DESCRIPTION:Bring the booking reference BK-1 and arrive ten minutes early\\,',
        '  please.',
        'ORGANIZER;CN="Adele Vance":mailto:adele@contoso.test',
        'ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN="Zoë Kund',
        ' ":mailto:customer@example.com',
        'STATUS:CONFIRMED',
        'TRANSP:OPAQUE',
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\r\n'),
    );
    const event = new ICAL.Event(new ICAL.Component(ICAL.parse(ics)).getFirstSubcomponent('vevent')!);
    expect(event.uid).toBe('bk-1.client1@calendar-bridge');
    expect(event.summary).toBe('Haircut, with Sam; room "2"');
    expect(event.location).toBe('Salon 1');
    expect(event.description).toBe('Bring the booking reference BK-1 and arrive ten minutes early, please.');
    expect(event.attendees[0]!.getParameter('cn')).toBe('Zoë Kund');
    expect(event.endDate.toJSDate().toISOString()).toBe('2030-05-06T08:45:00.000Z');
  });

  it('folds on character boundaries, never inside a UTF-8 sequence', () => {
    const line = `SUMMARY:${'é'.repeat(100)}`;
    const folded = fold(line).split('\r\n');
    expect(folded.length).toBeGreaterThan(2);
    for (const part of folded) expect(Buffer.byteLength(part, 'utf8')).toBeLessThanOrEqual(75);
    expect(folded.slice(1).every((p) => p.startsWith(' '))).toBe(true);
    expect(folded.map((p, i) => (i ? p.slice(1) : p)).join('')).toBe(line);
    expect(fold('SHORT:line')).toBe('SHORT:line');
  });

  it('escapes TEXT values', () => {
    expect(escapeText('a\\b;c,d\r\ne\nf\u0007')).toBe('a\\\\b\\;c\\,d\\ne\\nf');
  });
});
