// POST /api/availability over real HTTP: the free slots common to two connected users, and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createTestClient, type ConnectedUser } from '../support/connect-user.js';
import { api, sim } from './support.js';

let app: AppHost;
let ann: ConnectedUser;
let bob: ConnectedUser;

async function outlookEvent(user: ConnectedUser, start: string, end: string, showAs = 'busy'): Promise<void> {
  await sim(app, 'POST', `/users/${encodeURIComponent(user.userPrincipalName)}/events`, {
    subject: 'Busy',
    start: { dateTime: start, timeZone: 'UTC' },
    end: { dateTime: end, timeZone: 'UTC' },
    showAs,
  });
}

beforeAll(async () => {
  app = await startAppHost();
  ann = await connectUser(app);
  bob = await connectUser(app, { client: { client: ann.client, apiKey: ann.apiKey, signingSecret: ann.signingSecret } });
  await outlookEvent(ann, '2031-01-06T09:00:00', '2031-01-06T10:00:00');
  await outlookEvent(bob, '2031-01-06T10:30:00', '2031-01-06T11:00:00', 'tentative');
  await outlookEvent(bob, '2031-01-06T08:00:00', '2031-01-06T09:00:00', 'free');
});
afterAll(async () => {
  await app?.close();
});

const request = (overrides: Record<string, unknown> = {}) => ({
  connectionIds: [ann.connection.id, bob.connection.id],
  start: '2031-01-06T08:00:00Z',
  end: '2031-01-06T12:00:00Z',
  durationMinutes: 60,
  slotMinutes: 30,
  ...overrides,
});

describe('POST /api/availability', () => {
  it('returns the slots free for everyone', async () => {
    const res = await api(app, ann.apiKey, 'POST', 'availability', request());
    expect(res.status).toBe(200);
    expect(res.body.slots).toEqual([
      { start: '2031-01-06T08:00:00Z', end: '2031-01-06T09:00:00Z' }, // Bob's free event does not count
      { start: '2031-01-06T11:00:00Z', end: '2031-01-06T12:00:00Z' },
    ]);
    expect(res.body).toMatchObject({ durationMinutes: 60, slotMinutes: 30, truncated: false });
    expect(res.body.connections.map((c: { connectionId: string }) => c.connectionId)).toEqual([ann.connection.id, bob.connection.id]);
  });

  it('steps by the duration when slotMinutes is left out', async () => {
    const res = await api(app, ann.apiKey, 'POST', 'availability', request({ slotMinutes: undefined, durationMinutes: 30 }));
    expect(res.body.slotMinutes).toBe(30);
    expect(res.body.slots.map((s: { start: string }) => s.start)).toEqual(['2031-01-06T08:00:00Z', '2031-01-06T08:30:00Z', '2031-01-06T10:00:00Z', '2031-01-06T11:00:00Z', '2031-01-06T11:30:00Z']);
  });

  it.each([
    [{ connectionIds: Array.from({ length: 51 }, (_, i) => `c${i}`) }, 'connectionIds'],
    [{ connectionIds: [] }, 'connectionIds'],
    [{ durationMinutes: 0 }, 'durationMinutes'],
    [{ end: '2031-03-30T00:00:00Z' }, 'end'],
    [{ start: 'soon' }, 'start'],
  ])('refuses %j with 400 naming %s', async (overrides, field) => {
    const res = await api(app, ann.apiKey, 'POST', 'availability', request(overrides));
    expect(res.status).toBe(400);
    expect(res.body.field).toBe(field);
  });

  it("answers 404 naming the index of a connection that is not the caller's", async () => {
    const other = await createTestClient(app, { name: 'Another system' });
    const res = await api(app, other.apiKey, 'POST', 'availability', request());
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'connection_not_found', field: 'connectionIds.0' });
  });
});
