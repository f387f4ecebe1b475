// The body that recreates a booking's event in its new calendar: what Graph returned for the old event,
// minus what a create does not take, and a transactionId that is not the booking's own (Graph answers a
// repeated transactionId in the same mailbox with the existing event, which would be the old one).
import { describe, expect, it } from 'vitest';
import { transactionIdFor } from '../../shared/bookings/event-mapping.js';
import { copyable, moveTransactionId } from '../../shared/moves/move-booking-event.js';

describe('the copy of a moved booking event', () => {
  it('keeps the event and drops ids, etags, nulls and attendee answers', () => {
    const body = copyable({
      '@odata.etag': 'W/"abc"',
      id: 'AAMk-old',
      subject: 'Haircut',
      body: { contentType: 'html', content: '<p>Booked online</p>' },
      location: { displayName: 'Main street 1' },
      categories: ['Salon'],
      recurrence: null,
      attendees: [{ emailAddress: { address: 'guest@example.com', name: 'Guest' }, type: 'required', status: { response: 'accepted', time: '2030-01-01T00:00:00Z' } }],
    });
    expect(body).toEqual({
      subject: 'Haircut',
      body: { contentType: 'html', content: '<p>Booked online</p>' },
      location: { displayName: 'Main street 1' },
      categories: ['Salon'],
      attendees: [{ emailAddress: { address: 'guest@example.com', name: 'Guest' }, type: 'required' }],
    });
  });

  it('gets a transactionId of its own per move, stable across retries', () => {
    const first = moveTransactionId('client-1', 'appt-1', 'move-a');
    expect(first).toBe(moveTransactionId('client-1', 'appt-1', 'move-a'));
    expect(first).not.toBe(transactionIdFor('client-1', 'appt-1'));
    expect(first).not.toBe(moveTransactionId('client-1', 'appt-1', 'move-b'));
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
