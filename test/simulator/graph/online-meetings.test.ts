// Online meetings through the real Graph client against the simulator: the calendar's providers, the join
// information per provider, a provider the calendar does not allow, a meeting set up after the create
// (with its change), and an online meeting that stays online.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GraphSim, SEED_USERS, eventBody, startGraphSim } from './support.js';

let g: GraphSim;
beforeAll(async () => {
  g = await startGraphSim();
});
afterAll(() => g.close());

const setProviders = (allowed: string[], preferred: string) =>
  g.control('PATCH', `/_sim/graph/users/${SEED_USERS.adele.userPrincipalName}/calendars/default`, { allowedOnlineMeetingProviders: allowed, defaultOnlineMeetingProvider: preferred });

describe('online meetings', () => {
  it("shows the calendar's providers and gives Teams for business a join URL with dial-in", async () => {
    await setProviders(['teamsForBusiness'], 'teamsForBusiness');
    const calendar = await g.client().api('/me/calendar').select('allowedOnlineMeetingProviders,defaultOnlineMeetingProvider').get();
    expect(calendar).toMatchObject({ allowedOnlineMeetingProviders: ['teamsForBusiness'], defaultOnlineMeetingProvider: 'teamsForBusiness' });
    const created = await g.client().api('/me/events').post(eventBody({ isOnlineMeeting: true }));
    expect(created.onlineMeetingProvider).toBe('teamsForBusiness');
    expect(created.onlineMeeting.joinUrl).toMatch(/^https:\/\/teams\.microsoft\.com\/l\/meetup-join\//);
    expect(created.onlineMeeting.conferenceId).toMatch(/^\d{9}$/);
    expect(created.onlineMeeting.quickDial).toBe(`${created.onlineMeeting.tollNumber},,${created.onlineMeeting.conferenceId}#`);
  });

  it('gives a consumer provider a link of its own and no dial-in', async () => {
    await setProviders(['teamsForConsumer'], 'teamsForConsumer');
    const created = await g.client().api('/me/events').post(eventBody({ isOnlineMeeting: true, onlineMeetingProvider: 'teamsForConsumer' }));
    expect(created.onlineMeeting).toMatchObject({ joinUrl: expect.stringMatching(/^https:\/\/teams\.live\.com\/meet\//), conferenceId: null, tollNumber: null });
  });

  it('sets up no meeting for a provider the calendar does not allow, or when it allows none', async () => {
    await setProviders(['teamsForConsumer'], 'teamsForConsumer');
    const other = await g.client().api('/me/events').post(eventBody({ isOnlineMeeting: true, onlineMeetingProvider: 'teamsForBusiness' }));
    expect(other.isOnlineMeeting).toBe(true);
    expect(other.onlineMeeting).toBeNull();
    await setProviders(['unknown'], 'unknown');
    const none = await g.client().api('/me/events').post(eventBody({ isOnlineMeeting: true }));
    expect(none.onlineMeeting).toBeNull();
    await setProviders(['teamsForBusiness'], 'teamsForBusiness');
  });

  it('with onlineMeetingDelayMs, sets the meeting up later as a change of the event; it then stays online', async () => {
    await g.control('PATCH', '/_sim/settings', { onlineMeetingDelayMs: 60_000 });
    try {
      const created = await g.client().api('/me/events').post(eventBody({ isOnlineMeeting: true }));
      expect(created.onlineMeeting).toBeNull();
      await g.control('POST', '/_sim/clock/advance', { ms: 60_000 });
      const later = await g.client().api(`/me/events/${created.id}`).get();
      expect(later.onlineMeeting.joinUrl).toMatch(/^https:\/\/teams\.microsoft\.com\//);
      expect(later.changeKey).not.toBe(created.changeKey);

      const patched = await g.client().api(`/me/events/${created.id}`).patch({ isOnlineMeeting: false, onlineMeetingProvider: 'skypeForBusiness' });
      expect(patched).toMatchObject({ isOnlineMeeting: true, onlineMeetingProvider: 'teamsForBusiness' });
      expect(patched.onlineMeeting.joinUrl).toBe(later.onlineMeeting.joinUrl);
    } finally {
      await g.control('PATCH', '/_sim/settings', { onlineMeetingDelayMs: 0 });
    }
  });
});
