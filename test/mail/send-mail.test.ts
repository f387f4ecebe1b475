// POST /api/connections/{id}/mail end to end: local host over HTTP, Azurite, the simulator (identity with
// incremental consent, Graph sendMail recorded with its attachments), real MSAL.
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createTestClient, type ConnectedUser } from '../support/connect-user.js';
import { api, bookingBody } from '../bookings/support.js';
import { followConnectLink, mailClient, newMessageId, sendMail, sentFrom, setMail } from './support.js';

let app: AppHost;
let user: ConnectedUser;

beforeAll(async () => {
  app = await startAppHost();
  user = await connectUser(app, { client: await mailClient(app, { mailEnabled: true }) });
});
afterAll(async () => {
  await app?.close();
});

const message = (overrides: Record<string, unknown> = {}) => ({
  messageId: newMessageId(),
  to: ['customer@example.com'],
  cc: ['desk@example.com'],
  subject: 'Your booking is confirmed',
  html: '<p>See you on Monday.</p>',
  replyTo: 'desk@example.com',
  ...overrides,
});

describe('POST /api/connections/{id}/mail', () => {
  it('records the consented Mail.Send scope on a connection of a mail-enabled client', async () => {
    const row = await app.services.store.connections.getConnection(user.client.clientId, user.connection.id);
    expect(row!.entity.grantedScopes).toEqual(expect.arrayContaining(['User.Read', 'Calendars.ReadWrite', 'Mail.Send']));
  });

  it('sends through Graph sendMail with an RFC 5545 invitation for the booking, once per messageId', async () => {
    const booking = bookingBody(user, { subject: 'Haircut, with Sam; 45 min' });
    expect((await api(app, user.apiKey, 'POST', 'bookings', booking)).status).toBe(201);
    const body = message({ attachIcsForBookingId: booking.bookingId });
    const before = (await sentFrom(app, user.userPrincipalName)).length;

    const first = await sendMail(app, user.apiKey, user.connection.id, body);
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body).toMatchObject({ messageId: body.messageId, status: 'sent', from: user.userPrincipalName, recipients: 2, bookingId: booking.bookingId });

    const sent = (await sentFrom(app, user.userPrincipalName)).slice(before);
    expect(sent).toHaveLength(1);
    const mail = sent[0]!;
    expect(mail).toMatchObject({
      saveToSentItems: true,
      subject: body.subject,
      body: { contentType: 'html', content: body.html },
      toRecipients: ['customer@example.com'],
      ccRecipients: ['desk@example.com'],
      replyTo: ['desk@example.com'],
    });
    expect(mail.attachments).toHaveLength(1);
    const [ics] = mail.attachments;
    expect(ics!.contentType).toMatch(/^text\/calendar; method=REQUEST/);

    const calendar = new ICAL.Component(ICAL.parse(ics!.content));
    expect(calendar.getFirstPropertyValue('method')).toBe('REQUEST');
    const vevent = calendar.getFirstSubcomponent('vevent')!;
    const event = new ICAL.Event(vevent);
    expect(event.uid).toBe(`${booking.bookingId}.${user.client.clientId}@calendar-bridge`);
    expect(event.summary).toBe('Haircut, with Sam; 45 min');
    expect(event.sequence).toBe(0);
    // 09:00 London wall time in May is 08:00 UTC.
    expect(event.startDate.toJSDate().toISOString()).toBe('2030-05-06T08:00:00.000Z');
    expect(event.endDate.toJSDate().toISOString()).toBe('2030-05-06T08:45:00.000Z');
    expect(vevent.getFirstPropertyValue('dtstamp')).toBeTruthy();
    expect(vevent.getFirstPropertyValue('organizer')).toBe(`mailto:${user.userPrincipalName}`);
    expect(vevent.getAllProperties('attendee').map((a) => a.getFirstValue())).toEqual(['mailto:customer@example.com', 'mailto:desk@example.com']);

    const again = await sendMail(app, user.apiKey, user.connection.id, body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect((await sentFrom(app, user.userPrincipalName)).length).toBe(before + 1);

    const conflict = await sendMail(app, user.apiKey, user.connection.id, { ...body, subject: 'Something else' });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ code: 'message_id_conflict', field: 'messageId' });
    expect((await sentFrom(app, user.userPrincipalName)).length).toBe(before + 1);
  });

  it('sends plain text without an attachment', async () => {
    const before = (await sentFrom(app, user.userPrincipalName)).length;
    const res = await sendMail(app, user.apiKey, user.connection.id, message({ html: undefined, text: 'Plain words', cc: [] }));
    expect(res.status).toBe(202);
    const [mail] = (await sentFrom(app, user.userPrincipalName)).slice(before);
    expect(mail).toMatchObject({ body: { contentType: 'text', content: 'Plain words' }, attachments: [], ccRecipients: [] });
  });

  describe('refusals send nothing', () => {
    const refusals: [string, () => Record<string, unknown>, number, string, string | undefined][] = [
      ['an invalid address', () => message({ to: ['customer@example.com', 'not-an-address'] }), 400, 'invalid_field', 'to.1'],
      ['an invalid cc address', () => message({ cc: ['x@'] }), 400, 'invalid_field', 'cc.0'],
      ['both html and text', () => message({ text: 'also' }), 400, 'invalid_field', 'text'],
      ['an unknown field', () => message({ bcc: ['a@example.com'] }), 400, 'invalid_field', undefined],
      ['an oversized html body', () => message({ html: 'x'.repeat(1024 * 1024 + 1) }), 413, 'mail_body_too_large', 'html'],
      ['a request over the size limit', () => message({ html: 'x'.repeat(2 * 1024 * 1024 + 10) }), 413, 'body_too_large', undefined],
      ['an unknown booking', () => message({ attachIcsForBookingId: 'no-such-booking' }), 404, 'booking_not_found', 'attachIcsForBookingId'],
    ];
    it.each(refusals)('%s', async (_name, body, status, code, field) => {
      const before = (await sentFrom(app, user.userPrincipalName)).length;
      const res = await sendMail(app, user.apiKey, user.connection.id, body());
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe(code);
      if (field) expect(res.body.field).toBe(field);
      expect((await sentFrom(app, user.userPrincipalName)).length).toBe(before);
    });

    it('a body that the invitation pushes over the limit: 413 naming attachIcsForBookingId', async () => {
      const booking = bookingBody(user);
      expect((await api(app, user.apiKey, 'POST', 'bookings', booking)).status).toBe(201);
      const before = (await sentFrom(app, user.userPrincipalName)).length;
      const body = message({ html: 'x'.repeat(1024 * 1024 - 100), attachIcsForBookingId: booking.bookingId });
      const res = await sendMail(app, user.apiKey, user.connection.id, body);
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ code: 'attachment_too_large', field: 'attachIcsForBookingId' });
      // Without the attachment the same body fits.
      const plain = await sendMail(app, user.apiKey, user.connection.id, { ...body, messageId: newMessageId(), attachIcsForBookingId: undefined });
      expect(plain.status).toBe(202);
      expect((await sentFrom(app, user.userPrincipalName)).length).toBe(before + 1);
    });

    it('mail not enabled for the client: 403 mail_not_enabled', async () => {
      const other = await connectUser(app, { client: await createTestClient(app) });
      const res = await sendMail(app, other.apiKey, other.connection.id, message());
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('mail_not_enabled');
      expect(await sentFrom(app, other.userPrincipalName)).toEqual([]);
    });
  });

  it('a connection made before mail was enabled: 409 consent_missing with a link; after consenting, it sends', async () => {
    const client = await createTestClient(app);
    const other = await connectUser(app, { client });
    expect((await setMail(app, client.client.clientId, { mailEnabled: true })).status).toBe(200);

    const body = message();
    const refused = await sendMail(app, other.apiKey, other.connection.id, body);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'consent_missing', connectionId: other.connection.id, missingScopes: ['Mail.Send'] });
    expect(refused.body.connectUrl).toMatch(new RegExp(`^${app.url}/api/connect/`));
    expect(await sentFrom(app, other.userPrincipalName)).toEqual([]);

    // The link asks for Mail.Send (incremental consent) and comes back to the same connection.
    const back = await followConnectLink(refused.body.connectUrl);
    expect(back.searchParams.get('status')).toBe('connected');
    expect(back.searchParams.get('connectionId')).toBe(other.connection.id);

    const sent = await sendMail(app, other.apiKey, other.connection.id, body);
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(await sentFrom(app, other.userPrincipalName)).toHaveLength(1);
  });

  it('another client cannot send from this connection (404)', async () => {
    const stranger = await mailClient(app, { mailEnabled: true });
    const res = await sendMail(app, stranger.apiKey, user.connection.id, message());
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('connection_not_found');
  });
});

describe('PUT /api/manage/clients/{clientId}/mail', () => {
  it('refuses legacyProtocols without mailEnabled, and needs the admin key', async () => {
    const client = await createTestClient(app);
    const bad = await setMail(app, client.client.clientId, { mailEnabled: false, legacyProtocols: true });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('legacyProtocols');
    const res = await fetch(`${app.url}/api/manage/clients/${client.client.clientId}/mail`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${client.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ mailEnabled: true }),
    });
    expect(res.status).toBe(401);
    const ok = await setMail(app, client.client.clientId, { mailEnabled: true, legacyProtocols: true });
    expect(ok.body).toEqual({ clientId: client.client.clientId, mailEnabled: true, legacyProtocols: true });
  });
});
