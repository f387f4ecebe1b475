// Where a connection's Graph requests go. Every calendar helper addresses `/me/...`; a calendar someone else
// shares with the person lives in the owner's mailbox, so its paths are sent as `/users/{owner}/calendars/{id}`
// (https://learn.microsoft.com/en-us/graph/outlook-get-shared-events-calendars), in the URL and inside $batch
// bodies, and nothing else moves; an app-only client for one mailbox sends `/me` as `/users/{id}`. The
// pure rewrites first, then the same through the real Graph client, with a transport that records what
// would leave the process.
import { describe, expect, it } from 'vitest';
import { createGraphClient } from '../../shared/graph/client.js';
import { mailboxRewrite, scopeBatchBody, scopeUrl, sharedCalendarRewrite } from '../../shared/graph/mailbox-scope.js';

// Graph ids are base64-like: `+`, `/` and `=` travel percent-encoded in a path.
const DESK = 'AAMkADYz+desk/calendar==';
const DESK_IN_PATH = encodeURIComponent(DESK);
const OWNER = "o'brien+front@contoso.test";
const OWNER_IN_PATH = encodeURIComponent(OWNER);
const shared = sharedCalendarRewrite({ [DESK]: OWNER });

describe('the shared-calendar rewrite', () => {
  it.each([
    [`/me/calendars/${DESK_IN_PATH}/events`, `/users/${OWNER_IN_PATH}/calendars/${DESK_IN_PATH}/events`],
    [`/me/calendars/${DESK_IN_PATH}`, `/users/${OWNER_IN_PATH}/calendars/${DESK_IN_PATH}`],
    [`me/calendars/${DESK_IN_PATH}/events`, `/users/${OWNER_IN_PATH}/calendars/${DESK_IN_PATH}/events`],
    [`/ME/Calendars/${DESK_IN_PATH}/events`, `/users/${OWNER_IN_PATH}/calendars/${DESK_IN_PATH}/events`],
    [
      `/me/calendars/${DESK_IN_PATH}/calendarView/delta?startDateTime=2030-01-01T00:00:00Z&endDateTime=2030-02-01T00:00:00Z`,
      `/users/${OWNER_IN_PATH}/calendars/${DESK_IN_PATH}/calendarView/delta?startDateTime=2030-01-01T00:00:00Z&endDateTime=2030-02-01T00:00:00Z`,
    ],
    [`/me/calendars/${DESK_IN_PATH}?$select=allowedOnlineMeetingProviders`, `/users/${OWNER_IN_PATH}/calendars/${DESK_IN_PATH}?$select=allowedOnlineMeetingProviders`],
    [`/me/calendars/${DESK_IN_PATH}/events/AAMk-1/instances?startDateTime=x`, `/users/${OWNER_IN_PATH}/calendars/${DESK_IN_PATH}/events/AAMk-1/instances?startDateTime=x`],
    // The id encoded another way (lower-case escapes) is the same calendar.
    [`/me/calendars/${DESK_IN_PATH.toLowerCase().replace('aamkadyz', 'AAMkADYz')}/events`, `/users/${OWNER_IN_PATH}/calendars/${DESK_IN_PATH.toLowerCase().replace('aamkadyz', 'AAMkADYz')}/events`],
  ])('sends %s to the owner\'s mailbox', (path, expected) => {
    expect(shared(path)).toBe(expected);
  });

  it.each([
    ['the user\'s own calendar', '/me/calendars/AAMk-own/events'],
    ['an id that only begins like the shared one', `/me/calendars/${DESK_IN_PATH}x/events`],
    ['an id the shared one only begins with', `/me/calendars/${DESK_IN_PATH.slice(0, -3)}/events`],
    ['the default calendar', '/me/calendar/events'],
    ['the mailbox\'s events', '/me/events/AAMk-1'],
    ['the calendar list', '/me/calendars'],
    ['another user\'s path', `/users/someone@contoso.test/calendars/${DESK_IN_PATH}/events`],
    ['a malformed escape', '/me/calendars/AAMk%E0%A4%A/events'],
  ])('leaves %s alone', (_what, path) => {
    expect(shared(path)).toBe(path);
  });
});

describe('the one-mailbox rewrite (app-only)', () => {
  const rewrite = mailboxRewrite('room-1@contoso.test');
  it.each([
    ['/me/calendar/events', '/users/room-1%40contoso.test/calendar/events'],
    ['/me', '/users/room-1%40contoso.test'],
    ['/me?$select=id', '/users/room-1%40contoso.test?$select=id'],
    ['me/events', '/users/room-1%40contoso.test/events'],
    ['/messages', '/messages'],
    ['/meetingRooms', '/meetingRooms'],
    ['/users/other/events', '/users/other/events'],
  ])('%s -> %s', (path, expected) => {
    expect(rewrite(path)).toBe(expected);
  });
});

describe('URLs and $batch bodies', () => {
  it('rewrites below the version root of any Graph host, and nothing else', () => {
    for (const root of ['https://graph.microsoft.com/v1.0', 'https://graph.microsoft.com/beta', 'https://graph.microsoft.us/v1.0', 'http://127.0.0.1:7072/v1.0']) {
      expect(scopeUrl(`${root}/me/calendars/${DESK_IN_PATH}/events`, shared)).toBe(`${root}/users/${OWNER_IN_PATH}/calendars/${DESK_IN_PATH}/events`);
    }
    expect(scopeUrl(`https://graph.microsoft.com/v2.0/me/calendars/${DESK_IN_PATH}`, shared)).toBe(`https://graph.microsoft.com/v2.0/me/calendars/${DESK_IN_PATH}`);
    expect(scopeUrl('https://graph.microsoft.com/v1.0/$batch', shared)).toBe('https://graph.microsoft.com/v1.0/$batch');
  });

  it('rewrites each request of a batch, with or without its leading slash, and keeps the rest of the body', () => {
    const body = JSON.stringify({
      requests: [
        { id: '1', method: 'GET', url: `/me/calendars/${DESK_IN_PATH}/calendarView?startDateTime=a&endDateTime=b` },
        { id: '2', method: 'GET', url: `me/calendars/${DESK_IN_PATH}/calendarView?startDateTime=a&endDateTime=b`, headers: { Prefer: 'outlook.timezone="UTC"' } },
        { id: '3', method: 'GET', url: '/me/calendars/AAMk-own/calendarView?startDateTime=a&endDateTime=b' },
        { id: '4', method: 'POST', url: 42, body: { x: 1 } },
      ],
    });
    const out = JSON.parse(scopeBatchBody(body, shared));
    expect(out.requests.map((r: { url: unknown }) => r.url)).toEqual([
      `/users/${OWNER_IN_PATH}/calendars/${DESK_IN_PATH}/calendarView?startDateTime=a&endDateTime=b`,
      `/users/${OWNER_IN_PATH}/calendars/${DESK_IN_PATH}/calendarView?startDateTime=a&endDateTime=b`,
      '/me/calendars/AAMk-own/calendarView?startDateTime=a&endDateTime=b',
      42,
    ]);
    expect(out.requests[1].headers).toEqual({ Prefer: 'outlook.timezone="UTC"' });
    expect(out.requests[3].body).toEqual({ x: 1 });
  });

  it('leaves a body that is not a batch as it is', () => {
    for (const body of ['not json', '{"value":[]}', '{"requests":"no"}']) expect(scopeBatchBody(body, shared)).toBe(body);
  });
});

describe('through the Graph client', () => {
  function recordingClient(options: { sharedCalendars?: Record<string, string>; mailboxId?: string }) {
    const sent: { method: string; url: string; body: string | undefined }[] = [];
    const client = createGraphClient({
      getAccessToken: async () => 'token',
      config: { graphBaseUrl: 'https://graph.microsoft.com' },
      fetch: async (input, init) => {
        const request = new Request(input, init);
        sent.push({ method: request.method, url: request.url, body: request.body ? await request.text() : undefined });
        return new Response(JSON.stringify({ id: 'x', responses: [] }), { status: 200, headers: { 'Content-Type': 'application/json' } });
      },
      ...options,
    });
    return { client, sent };
  }

  it('sends a shared calendar\'s requests to its owner, its $batch items too, and the user\'s own to /me', async () => {
    const { client, sent } = recordingClient({ sharedCalendars: { [DESK]: OWNER } });
    await client.api(`/me/calendars/${DESK_IN_PATH}/events`).post({ subject: 'Booked' });
    await client.api('/me/calendars/AAMk-own/events').get();
    await client.api('/$batch').post({ requests: [{ id: '1', method: 'GET', url: `/me/calendars/${DESK_IN_PATH}/events` }] });
    expect(sent.map((s) => [s.method, s.url])).toEqual([
      ['POST', `https://graph.microsoft.com/v1.0/users/${OWNER_IN_PATH}/calendars/${DESK_IN_PATH}/events`],
      ['GET', 'https://graph.microsoft.com/v1.0/me/calendars/AAMk-own/events'],
      ['POST', 'https://graph.microsoft.com/v1.0/$batch'],
    ]);
    expect(JSON.parse(sent[0]!.body!)).toEqual({ subject: 'Booked' });
    expect(JSON.parse(sent[2]!.body!).requests[0].url).toBe(`/users/${OWNER_IN_PATH}/calendars/${DESK_IN_PATH}/events`);
  });

  it('sends an app-only client\'s /me to its mailbox, and a client without either as it is', async () => {
    const app = recordingClient({ mailboxId: 'room-1@contoso.test' });
    await app.client.api('/me/calendar/events').get();
    expect(app.sent[0]!.url).toBe('https://graph.microsoft.com/v1.0/users/room-1%40contoso.test/calendar/events');
    const plain = recordingClient({ sharedCalendars: {} });
    await plain.client.api(`/me/calendars/${DESK_IN_PATH}/events`).get();
    expect(plain.sent[0]!.url).toBe(`https://graph.microsoft.com/v1.0/me/calendars/${DESK_IN_PATH}/events`);
  });
});
