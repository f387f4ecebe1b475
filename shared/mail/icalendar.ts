// A minimal RFC 5545 iCalendar writer for one meeting invitation (iMIP, RFC 6047: METHOD:REQUEST): CRLF
// line ends, TEXT escaping (3.3.11), quoted parameter values (3.2), and lines folded at 75 octets without
// splitting a UTF-8 character (3.1). Times are written in UTC (DATE-TIME form #2), so no VTIMEZONE is needed.

export interface CalendarPerson {
  email: string;
  name?: string;
}

export interface Invitation {
  /** Stable for the meeting across updates, so a client updates the event instead of adding another. */
  uid: string;
  /** Increases with every significant change (RFC 5545 3.8.7.4). */
  sequence: number;
  stamp: Date;
  start: Date;
  end: Date;
  summary: string;
  organizer: CalendarPerson;
  attendees: CalendarPerson[];
  description?: string;
  location?: string;
}

const CRLF = '\r\n';
const MAX_OCTETS = 75;

/** The invitation as a text/calendar body (method=REQUEST). */
export function buildInvitation(invite: Invitation): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'PRODID:-//Calendar Bridge//Mail//EN',
    'VERSION:2.0',
    'CALSCALE:GREGORIAN',
    'METHOD:REQUEST',
    'BEGIN:VEVENT',
    `UID:${escapeText(invite.uid)}`,
    `DTSTAMP:${utcDateTime(invite.stamp)}`,
    `SEQUENCE:${Math.max(0, Math.trunc(invite.sequence))}`,
    `DTSTART:${utcDateTime(invite.start)}`,
    `DTEND:${utcDateTime(invite.end)}`,
    `SUMMARY:${escapeText(invite.summary)}`,
    ...(invite.location ? [`LOCATION:${escapeText(invite.location)}`] : []),
    ...(invite.description ? [`DESCRIPTION:${escapeText(invite.description)}`] : []),
    `ORGANIZER${person(invite.organizer)}`,
    ...invite.attendees.map((a) => `ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE${person(a)}`),
    'STATUS:CONFIRMED',
    'TRANSP:OPAQUE',
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return lines.map(fold).join(CRLF) + CRLF;
}

/** 19970714T173000Z */
export function utcDateTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** TEXT values: backslash, semicolon, comma and newlines escaped; other control characters dropped. */
export function escapeText(value: string): string {
  return value
    .replace(/\r\n?/g, '\n')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .replace(/[\\;,]/g, (c) => `\\${c}`)
    .replace(/\n/g, '\\n');
}

/** ;CN="Name":mailto:address (a param value may not hold DQUOTE or controls, so those are dropped). */
function person(p: CalendarPerson): string {
  // eslint-disable-next-line no-control-regex
  const name = p.name?.replace(/[\u0000-\u001f\u007f"]/g, '').trim();
  return `${name ? `;CN="${name}"` : ''}:mailto:${p.email}`;
}

/** Splits a content line into lines of at most 75 octets; continuation lines start with one space. */
export function fold(line: string): string {
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of line) {
    const size = Buffer.byteLength(char, 'utf8');
    if (octets + size > MAX_OCTETS) {
      parts.push(current);
      current = ' ';
      octets = 1;
    }
    current += char;
    octets += size;
  }
  parts.push(current);
  return parts.join(CRLF);
}
