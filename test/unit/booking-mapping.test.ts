import { describe, expect, it } from 'vitest';
import { createBookingRequest } from '../../shared/bookings/booking-request.js';
import { BOOKING_PROPERTY_ID, bookingFingerprint, bookingToEvent, transactionIdFor } from '../../shared/bookings/event-mapping.js';

const base = {
  bookingId: 'bk-1',
  connectionId: 'cn-1',
  subject: 'Dentist',
  start: '2025-03-30T09:00',
  end: '2025-03-30T09:30',
  timeZone: 'Europe/London',
};

function parse(input: unknown) {
  return createBookingRequest.safeParse(input);
}

describe('booking request', () => {
  it('parses local times in the zone, across the DST change', () => {
    const r = parse(base);
    expect(r.success).toBe(true);
    if (r.success) expect(new Date(r.data.startMs).toISOString()).toBe('2025-03-30T08:00:00.000Z');
  });

  it.each([
    [{ end: '2025-03-30T09:00' }, 'end'],
    [{ end: '2025-03-30T08:00' }, 'end'],
    [{ start: 'soon' }, 'start'],
    [{ timeZone: 'Mars/Olympus' }, 'timeZone'],
    [{ bookingId: 'a/b' }, 'bookingId'],
    [{ bookingId: '' }, 'bookingId'],
    [{ end: '2025-06-30T09:00' }, 'end'],
    [{ attendees: [{ email: 'not-an-email' }] }, 'attendees'],
    [{ reminderMinutes: -5 }, 'reminderMinutes'],
    [{ showAs: 'sleeping' }, 'showAs'],
    [{ unexpected: true }, ''],
  ])('rejects %o naming %s', (change, field) => {
    const r = parse({ ...base, ...change });
    expect(r.success).toBe(false);
    if (!r.success) expect(String(r.error.issues[0]!.path[0] ?? '')).toBe(field);
  });

  it('canonicalises the zone spelling', () => {
    const r = parse({ ...base, timeZone: 'europe/london' });
    expect(r.success && r.data.timeZone).toBe('Europe/London');
  });
});

describe('booking to event', () => {
  const booking = createBookingRequest.parse({
    ...base,
    attendees: [{ email: 'pat@example.com', name: 'Pat' }],
    isOnlineMeeting: true,
  });

  it('derives a stable, per-client transactionId', () => {
    expect(transactionIdFor('c1', 'b1')).toBe(transactionIdFor('c1', 'b1'));
    expect(transactionIdFor('c1', 'b1')).not.toBe(transactionIdFor('c2', 'b1'));
    expect(transactionIdFor('c1', 'b1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('maps fields, the reminder default, the calendar\'s meeting provider and the booking property', () => {
    const event = bookingToEvent(booking, { clientId: 'c1', defaultReminderMinutes: 30, onlineMeetingProvider: 'teamsForBusiness' });
    expect(event).toMatchObject({
      subject: 'Dentist',
      start: { dateTime: '2025-03-30T09:00:00', timeZone: 'GMT Standard Time' },
      end: { dateTime: '2025-03-30T09:30:00', timeZone: 'GMT Standard Time' },
      isReminderOn: true,
      reminderMinutesBeforeStart: 30,
      isOnlineMeeting: true,
      onlineMeetingProvider: 'teamsForBusiness',
      attendees: [{ emailAddress: { address: 'pat@example.com', name: 'Pat' }, type: 'required' }],
      transactionId: transactionIdFor('c1', 'bk-1'),
      singleValueExtendedProperties: [{ id: BOOKING_PROPERTY_ID, value: 'c1/bk-1' }],
    });
  });

  it("names the provider the calendar gave, and none when it gave none", () => {
    expect(bookingToEvent(booking, { clientId: 'c1', defaultReminderMinutes: 30, onlineMeetingProvider: 'teamsForConsumer' })).toMatchObject({
      isOnlineMeeting: true,
      onlineMeetingProvider: 'teamsForConsumer',
    });
    expect(bookingToEvent(booking, { clientId: 'c1', defaultReminderMinutes: 30 })).not.toHaveProperty('onlineMeetingProvider');
  });

  it('turns the reminder off for null and keeps an explicit value', () => {
    expect(bookingToEvent({ ...booking, reminderMinutes: null }, { clientId: 'c1', defaultReminderMinutes: 30 })).toMatchObject({ isReminderOn: false });
    expect(bookingToEvent({ ...booking, reminderMinutes: 5 }, { clientId: 'c1', defaultReminderMinutes: 30 })).toMatchObject({
      reminderMinutesBeforeStart: 5,
    });
  });

  it('fingerprints payloads independent of key order', () => {
    const a = createBookingRequest.parse({ ...base, subject: 'X', location: 'Room 1' });
    const { subject: _ignored, ...rest } = base;
    const b = createBookingRequest.parse({ location: 'Room 1', subject: 'X', ...rest });
    const c = createBookingRequest.parse({ ...base, subject: 'Y', location: 'Room 1' });
    expect(bookingFingerprint(a)).toBe(bookingFingerprint(b));
    expect(bookingFingerprint(a)).not.toBe(bookingFingerprint(c));
  });
});
