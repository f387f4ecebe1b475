// The simulator's lifecycle on its own, triggered only as Microsoft would be: time passing (the clock),
// a person's sessions revoked, notifications lost. reauthorizationRequired before a delegated
// subscription's access lapses, with delivery held until it is renewed; subscriptionRemoved after a
// revocation; missed after a drop; several updated per edit.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait-for.js';
import { type GraphSim, type Receiver, SEED_USERS, eventBody, startGraphSim, startReceiver } from './support.js';

let g: GraphSim;
let receiver: Receiver;
beforeAll(async () => {
  g = await startGraphSim();
  // Only the lapse-driven challenges here: the random ones are another test's subject.
  await g.control('PATCH', '/_sim/settings', { reauthorizationRatePerHour: 0 });
});
afterAll(() => g.close());
afterEach(async () => {
  await g.control('POST', '/_sim/reset');
  await g.control('PATCH', '/_sim/settings', { reauthorizationRatePerHour: 0 });
  await receiver?.close();
});

const ADELE = { userId: SEED_USERS.adele.id, scopes: ['Calendars.ReadWrite'] };
const inMinutes = (m: number) => new Date(g.sim.state.clock.now() + m * 60_000).toISOString();
const lifecycleEvents = (id: string) => receiver.notifications().filter((n) => n.subscriptionId === id && n.lifecycleEvent).map((n) => n.lifecycleEvent);
const changesFor = (eventId: string) => receiver.notifications().filter((n) => (n.resourceData as { id?: string } | undefined)?.id === eventId);
const simSub = async (id: string) => ((await g.control<{ value: { id: string; paused: boolean; held: number }[] }>('GET', '/_sim/graph/subscriptions')).body.value.find((s) => s.id === id));

async function subscribe() {
  return g.client(ADELE).api('/subscriptions').post({
    changeType: 'created,updated,deleted',
    resource: '/me/events',
    expirationDateTime: inMinutes(3 * 24 * 60),
    clientState: 'secret-state',
    notificationUrl: receiver.url,
    lifecycleNotificationUrl: `${receiver.url}?lifecycle=1`,
  });
}

describe('lifecycle on its own', () => {
  it("challenges before the delegated access lapses and holds notifications until a renewal", async () => {
    receiver = await startReceiver();
    const sub = await subscribe();
    expect(lifecycleEvents(sub.id)).toEqual([]);
    await g.control('POST', '/_sim/clock/advance', { minutes: 57 });
    await receiver.waitFor(() => lifecycleEvents(sub.id).includes('reauthorizationRequired'), 'reauthorizationRequired');
    expect((await simSub(sub.id))?.paused).toBe(true);

    const created = await g.client(ADELE).api('/me/events').post(eventBody({ subject: 'Held' }));
    const held = async () => (await simSub(sub.id))?.held ?? 0;
    await waitFor(async () => (await held()) >= 2, { message: 'the notifications held', timeout: 5_000 });
    expect(changesFor(created.id)).toEqual([]);

    // Renewing reauthorizes: what was held is delivered.
    await g.client(ADELE).api(`/subscriptions/${sub.id}`).patch({ expirationDateTime: inMinutes(3 * 24 * 60) });
    await receiver.waitFor(() => changesFor(created.id).length >= 2, 'both change notifications of the event');
    expect((await simSub(sub.id))?.paused).toBe(false);
  });

  it('removes the delegated subscriptions of a user whose sessions are revoked, with subscriptionRemoved', async () => {
    receiver = await startReceiver();
    const sub = await subscribe();
    expect((await g.control('POST', `/_sim/users/${SEED_USERS.adele.id}/revoke-sign-in-sessions`)).status).toBe(200);
    await receiver.waitFor(() => lifecycleEvents(sub.id).includes('subscriptionRemoved'), 'subscriptionRemoved');
    expect(await simSub(sub.id)).toBeUndefined();
  });

  it('sends missed when a notification is lost, and several updated per edit', async () => {
    receiver = await startReceiver();
    const sub = await subscribe();
    const created = await g.client(ADELE).api('/me/events').post(eventBody({ subject: 'Edited' }));
    await receiver.waitFor(() => changesFor(created.id).length >= 2, 'both change notifications of the event');
    await g.client(ADELE).api(`/me/events/${created.id}`).patch({ subject: 'Edited again' });
    await receiver.waitFor(() => changesFor(created.id).filter((n) => n.changeType === 'updated').length >= 1 + 3, 'three more updates');

    const fault = await g.control<{ id: string }>('POST', '/_sim/graph/faults', { mailbox: SEED_USERS.adele.userPrincipalName, dropNotifications: 1 });
    expect(fault.status).toBe(201);
    const lost = await g.client(ADELE).api('/me/events').post(eventBody({ subject: 'Lost' }));
    await receiver.waitFor(() => lifecycleEvents(sub.id).includes('missed'), 'missed');
    expect(changesFor(lost.id)).toEqual([]);
  });
});
