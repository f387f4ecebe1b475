// Meetings after the organizer sends them: people get the request (tentatively in their calendar, an
// eventMessage in their mailbox), updates and cancellations; rooms answer later, by their
// calendar-processing policy, and the answer changes the organizer's event with a change notification.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADELE, APP_ONLY, type GraphSim, type Receiver, SEED_ROOMS, SEED_USERS, eventBody, startGraphSim, startReceiver } from './support.js';

let g: GraphSim;
beforeAll(async () => {
  g = await startGraphSim();
});
afterAll(() => g.close());
afterEach(async () => {
  await g.control('POST', '/_sim/reset');
});

interface Attendee {
  type: string;
  emailAddress: { address: string };
  status: { response: string };
}
interface SimEvent {
  id: string;
  subject: string;
  showAs: string;
  isCancelled: boolean;
  iCalUId: string;
  start: { dateTime: string };
  responseStatus: { response: string };
  attendees: Attendee[];
}
interface Message {
  '@odata.type': string;
  meetingMessageType: string;
  subject: string;
  from: { emailAddress: { address: string } };
  eventId?: string;
  iCalUId: string;
}

const ROOM = SEED_ROOMS.rainier;
const roomAttendee = { type: 'resource', emailAddress: { address: ROOM.mail, name: ROOM.displayName } };
const alexAttendee = { type: 'required', emailAddress: { address: SEED_USERS.alex.userPrincipalName, name: SEED_USERS.alex.displayName } };
const at = (hour: number) => ({
  start: { dateTime: `2030-06-03T${String(hour).padStart(2, '0')}:00:00`, timeZone: 'UTC' },
  end: { dateTime: `2030-06-03T${String(hour + 1).padStart(2, '0')}:00:00`, timeZone: 'UTC' },
});

const organizerEvent = async (id: string) => (await g.client().api(`/me/events/${id}`).get()) as SimEvent;
const roomAnswer = async (id: string) => (await organizerEvent(id)).attendees.find((a) => a.type === 'resource')!.status.response;
const roomEvents = async () => ((await g.client(APP_ONLY).api(`/users/${ROOM.id}/calendar/events`).get()) as { value: SimEvent[] }).value;
const calendarOf = async (user: string) => (await g.control<{ value: SimEvent[] }>('GET', `/_sim/graph/users/${user}/calendars/default/events`)).body.value;
const messagesOf = async (user: string) => (await g.control<{ value: Message[] }>('GET', `/_sim/graph/users/${user}/messages`)).body.value;
const roomProcesses = () => g.control('POST', '/_sim/clock/advance', { ms: g.sim.state.settings.roomResponseDelayMs });
const book = (subject: string, hour: number, attendees: unknown[]) => g.client().api('/me/events').post(eventBody({ subject, attendees, ...at(hour) })) as Promise<SimEvent>;

describe('people get what Outlook sends them', () => {
  it('puts the request tentatively in the attendee calendar and mailbox, then the update, then the cancellation', async () => {
    const sent = await book('Design review', 9, [alexAttendee]);
    const [copy] = (await calendarOf('alex@contoso.test')).filter((e) => e.iCalUId === sent.iCalUId);
    expect(copy).toMatchObject({ subject: 'Design review', showAs: 'tentative', isCancelled: false, responseStatus: { response: 'notResponded' } });
    const [request] = await messagesOf('alex@contoso.test');
    expect(request).toMatchObject({
      '@odata.type': '#microsoft.graph.eventMessageRequest',
      meetingMessageType: 'meetingRequest',
      subject: 'Design review',
      from: { emailAddress: { address: 'adele@contoso.test' } },
      eventId: copy!.id,
    });

    await g.client().api(`/me/events/${sent.id}`).patch(at(14));
    const moved = (await calendarOf('alex@contoso.test')).find((e) => e.id === copy!.id)!;
    expect(moved.start.dateTime).toMatch(/^2030-06-03T14:00:00/);
    expect((await messagesOf('alex@contoso.test')).map((m) => m.meetingMessageType)).toEqual(['meetingRequest', 'meetingRequest']);

    await g.client().api(`/me/events/${sent.id}/cancel`).post({ Comment: 'Not needed' });
    const cancelled = (await calendarOf('alex@contoso.test')).find((e) => e.id === copy!.id)!;
    expect(cancelled).toMatchObject({ isCancelled: true, subject: 'Canceled: Design review' });
    expect((await messagesOf('alex@contoso.test')).at(-1)).toMatchObject({ '@odata.type': '#microsoft.graph.eventMessage', meetingMessageType: 'meetingCancelled' });
  });

  it('sends a cancellation when the organizer deletes the meeting', async () => {
    const sent = await book('Stand-up', 8, [alexAttendee]);
    await g.client().api(`/me/events/${sent.id}`).delete();
    const copy = (await calendarOf('alex@contoso.test')).find((e) => e.iCalUId === sent.iCalUId);
    expect(copy?.isCancelled).toBe(true);
    expect((await messagesOf('alex@contoso.test')).map((m) => m.meetingMessageType)).toEqual(['meetingRequest', 'meetingCancelled']);
  });
});

describe('rooms answer later, by their calendar processing', () => {
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it('auto-accepts after the delay: the organizer event changes, Graph notifies, the organizer gets the answer', async () => {
    receiver = await startReceiver();
    const sub = await g.client(ADELE).api('/subscriptions').post({
      changeType: 'created,updated,deleted',
      resource: '/me/events',
      expirationDateTime: new Date(g.sim.state.clock.now() + 3 * 86_400_000).toISOString(),
      notificationUrl: receiver.url,
    });
    const sent = await book('Planning', 10, [roomAttendee]);
    expect(await roomAnswer(sent.id)).toBe('none');
    expect((await roomEvents()).map((e) => e.subject)).not.toContain('Planning');
    const before = (await organizerEvent(sent.id))['@odata.etag' as keyof SimEvent];

    await roomProcesses();
    const after = await organizerEvent(sent.id);
    expect(after.attendees[0]!.status.response).toBe('accepted');
    expect(after['@odata.etag' as keyof SimEvent]).not.toBe(before);
    expect((await roomEvents()).find((e) => e.subject === 'Planning')).toMatchObject({ showAs: 'busy', responseStatus: { response: 'accepted' } });
    const etag = after['@odata.etag' as keyof SimEvent];
    const carries = (body: string) => (JSON.parse(body) as { value: { resourceData?: Record<string, unknown> }[] }).value.some((n) => n.resourceData?.['@odata.etag'] === etag);
    await receiver.waitFor((r) => !r.query.has('validationToken') && carries(r.body), 'the notification carrying the new etag');
    expect(receiver.notifications().filter((n) => n.subscriptionId === sub.id && n.changeType === 'updated').length).toBeGreaterThan(0);
    expect(await messagesOf('adele@contoso.test')).toEqual([
      expect.objectContaining({ '@odata.type': '#microsoft.graph.eventMessageResponse', meetingMessageType: 'meetingAccepted', from: { emailAddress: { name: ROOM.displayName, address: ROOM.mail } }, subject: 'Accepted: Planning', iCalUId: sent.iCalUId }),
    ]);
  });

  it('declines a conflict unless AllowConflicts, and asks again when the meeting moves', async () => {
    const first = await book('First', 10, [roomAttendee]);
    await roomProcesses();
    const clash = await book('Clash', 10, [roomAttendee]);
    await roomProcesses();
    expect(await roomAnswer(clash.id)).toBe('declined');
    expect((await messagesOf('adele@contoso.test')).map((m) => m.meetingMessageType)).toEqual(['meetingAccepted', 'meetingDeclined']);

    // Moved to a free hour: the room is asked again and accepts.
    await g.client().api(`/me/events/${clash.id}`).patch(at(12));
    expect(await roomAnswer(clash.id)).toBe('none');
    await roomProcesses();
    expect(await roomAnswer(clash.id)).toBe('accepted');

    expect((await g.control('PATCH', `/_sim/graph/rooms/${ROOM.mail}/calendar-processing`, { allowConflicts: true })).status).toBe(200);
    const overlap = await book('Overlap', 10, [roomAttendee]);
    await roomProcesses();
    expect(await roomAnswer(overlap.id)).toBe('accepted');
    expect(await roomAnswer(first.id)).toBe('accepted');
  });

  it('waits for a delegate: tentative in the room calendar, no answer until the delegate decides', async () => {
    const policy = await g.control('PATCH', `/_sim/graph/rooms/${ROOM.id}/calendar-processing`, { allBookInPolicy: false, resourceDelegates: ['megan@contoso.test'] });
    expect(policy.body).toEqual({ automateProcessing: 'AutoAccept', allowConflicts: false, allBookInPolicy: false, resourceDelegates: ['megan@contoso.test'] });
    const sent = await book('Board meeting', 15, [roomAttendee]);
    await roomProcesses();
    expect(await roomAnswer(sent.id)).toBe('none');
    expect((await roomEvents()).find((e) => e.subject === 'Board meeting')?.showAs).toBe('tentative');
    expect((await messagesOf('megan@contoso.test')).map((m) => m.meetingMessageType)).toEqual(['meetingRequest']);
    const pending = await g.control<{ value: SimEvent[] }>('GET', `/_sim/graph/rooms/${ROOM.id}/requests`);
    expect(pending.body.value.map((e) => e.iCalUId)).toEqual([sent.iCalUId]);

    expect((await g.control('POST', `/_sim/graph/rooms/${ROOM.id}/requests/${sent.id}`, { response: 'declined' })).status).toBe(204);
    expect(await roomAnswer(sent.id)).toBe('declined');
    expect((await roomEvents()).map((e) => e.subject)).not.toContain('Board meeting');
    expect((await g.control('POST', `/_sim/graph/rooms/${ROOM.id}/requests/${sent.id}`, { response: 'accepted' })).status).toBe(404);
  });

  it('never answers with AutoUpdate (tentative only) or None, and refuses a bad policy', async () => {
    await g.control('PATCH', `/_sim/graph/rooms/${ROOM.id}/calendar-processing`, { automateProcessing: 'AutoUpdate' });
    const sent = await book('Offsite', 11, [roomAttendee]);
    await roomProcesses();
    expect(await roomAnswer(sent.id)).toBe('none');
    expect((await roomEvents()).find((e) => e.subject === 'Offsite')?.showAs).toBe('tentative');

    await g.control('PATCH', `/_sim/graph/rooms/${ROOM.id}/calendar-processing`, { automateProcessing: 'None' });
    const ignored = await book('Ignored', 13, [roomAttendee]);
    await roomProcesses();
    expect(await roomAnswer(ignored.id)).toBe('none');
    expect((await roomEvents()).map((e) => e.subject)).not.toContain('Ignored');

    expect((await g.control('PATCH', `/_sim/graph/rooms/${ROOM.id}/calendar-processing`, { automateProcessing: 'Sometimes' })).status).toBe(400);
    expect((await g.control('PATCH', `/_sim/graph/rooms/adele@contoso.test/calendar-processing`, { allowConflicts: true })).status).toBe(400);
  });
});
