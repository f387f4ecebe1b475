// Subscriptions and notification delivery with real local HTTP receivers: the validation handshake,
// created + updated notifications (Graph and "Outlook" changes), retries after a 5xx on the sim clock,
// limits, renewal and expiry, and lifecycle notifications.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { APP_ONLY, type GraphSim, type Who, type Receiver, SEED_ROOMS, SEED_TENANT, SEED_USERS, eventBody, startGraphSim, startReceiver } from './support.js';

let g: GraphSim;
let receiver: Receiver;
beforeAll(async () => {
  g = await startGraphSim();
});
afterAll(() => g.close());
afterEach(async () => {
  await receiver?.close();
});

const inMinutes = (m: number) => new Date(g.sim.state.clock.now() + m * 60_000).toISOString();
const ADELE = { userId: SEED_USERS.adele.id, scopes: ['Calendars.ReadWrite'] };

async function subscribe(body: Record<string, unknown>, who: Who = ADELE) {
  return g.client(who).api('/subscriptions').post({ changeType: 'created,updated,deleted', resource: '/me/events', expirationDateTime: inMinutes(60), clientState: 'secret-state', notificationUrl: receiver.url, ...body });
}

describe('subscriptions', () => {
  it('fails with 400 when the validation handshake is answered wrongly', async () => {
    receiver = await startReceiver();
    for (const mode of ['wrong-body', 'json', 'status-500'] as const) {
      receiver.validation = mode;
      const error = await subscribe({}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GraphError);
      expect((error as GraphError).statusCode).toBe(400);
      expect((error as GraphError).message).toMatch(/Subscription validation request failed/);
    }
    // The token has spaces and colons and arrives URL-encoded in the query, over POST text/plain.
    const first = receiver.received[0]!;
    expect(first.query.get('validationToken')).toMatch(/^Validation: .+ Request-Id: /);
    expect(first.headers['content-type']).toMatch(/^text\/plain/);
    expect((await g.client(ADELE).api('/subscriptions').get()).value).toHaveLength(0);
  });

  it('validates both URLs, then delivers created + updated and deleted notifications', async () => {
    receiver = await startReceiver();
    const sub = await subscribe({ lifecycleNotificationUrl: `${receiver.url}?lifecycle=1` });
    expect(sub).toMatchObject({ resource: '/me/events', changeType: 'created,updated,deleted', clientState: 'secret-state' });
    expect(receiver.received.filter((r) => r.query.has('validationToken'))).toHaveLength(2);

    const created = await g.client(ADELE).api('/me/events').post(eventBody({ subject: 'Notify me' }));
    await receiver.waitFor(() => receiver.notifications().filter((n) => (n.resourceData as { id: string }).id === created.id).length >= 2, 'two notifications of the event');
    const mine = receiver.notifications().filter((n) => (n.resourceData as { id: string }).id === created.id);
    expect(mine.map((n) => n.changeType).sort()).toEqual(['created', 'updated']);
    expect(mine[0]).toMatchObject({
      subscriptionId: sub.id,
      clientState: 'secret-state',
      tenantId: SEED_TENANT.id,
      resource: `Users/${SEED_USERS.adele.id}/Events/${created.id}`,
      resourceData: { '@odata.type': '#Microsoft.Graph.Event', '@odata.id': `Users/${SEED_USERS.adele.id}/Events/${created.id}`, id: created.id },
    });
    expect(typeof mine[0]!.subscriptionExpirationDateTime).toBe('string');

    // A change "in Outlook" through the control API notifies too.
    const del = await g.control('DELETE', `/_sim/graph/users/${SEED_USERS.adele.id}/events/${created.id}`);
    expect(del.status).toBe(204);
    await receiver.waitFor((r) => r.body.includes('"deleted"'), 'a deleted notification');

    // Time passes: before the delegated access lapses, Graph challenges the subscription.
    expect((await g.control('POST', '/_sim/clock/advance', { minutes: 57 })).status).toBe(200);
    const lifecycle = await receiver.waitFor((r) => r.query.get('lifecycle') === '1' && !r.query.has('validationToken'), 'a lifecycle notification');
    expect(JSON.parse(lifecycle.body).value[0]).toMatchObject({ lifecycleEvent: 'reauthorizationRequired', subscriptionId: sub.id, clientState: 'secret-state', tenantId: SEED_TENANT.id });
    await g.client(ADELE).api(`/subscriptions/${sub.id}`).delete();
  });

  it('retries a notification after a 5xx, on the sim clock', async () => {
    receiver = await startReceiver();
    receiver.statuses = [503];
    const sub = await subscribe({ changeType: 'deleted' });
    const created = await g.client(ADELE).api('/me/events').post(eventBody({ subject: 'Retry me' }));
    await g.client(ADELE).api(`/me/events/${created.id}`).delete();
    await receiver.waitFor((r) => r.body.includes(created.id), 'a notification of the event');
    const { body } = await g.control<{ value: { status: string; attempts: { status: number }[] }[] }>('GET', `/_sim/graph/notifications?subscriptionId=${sub.id}`);
    expect(body.value[0]).toMatchObject({ status: 'retrying', attempts: [{ status: 503 }] });
    g.sim.state.clock.advance(60_000);
    await receiver.waitFor(() => receiver.received.filter((r) => r.body.includes(created.id)).length >= 2, 'two requests about the event');
    const after = await g.control<{ value: { status: string; attempts: { status: number }[] }[] }>('GET', `/_sim/graph/notifications?subscriptionId=${sub.id}`);
    expect(after.body.value[0]!.attempts.map((a) => a.status)).toEqual([503, 202]);
    expect(after.body.value[0]!.status).toBe('delivered');
    await g.client(ADELE).api(`/subscriptions/${sub.id}`).delete();
  });

  it('enforces expiry limits, duplicates, renewal and expiry on the sim clock', async () => {
    receiver = await startReceiver();
    const tooLong = await subscribe({ expirationDateTime: inMinutes(10_081) }).catch((e: unknown) => e);
    expect((tooLong as GraphError).statusCode).toBe(400);
    const badResource = await subscribe({ resource: '/me/messages' }).catch((e: unknown) => e);
    expect((badResource as GraphError).statusCode).toBe(400);
    const longState = await subscribe({ clientState: 'x'.repeat(129) }).catch((e: unknown) => e);
    expect((longState as GraphError).statusCode).toBe(400);

    const sub = await subscribe({ expirationDateTime: inMinutes(10) });
    // Under 45 minutes is raised to 45.
    expect(Date.parse(sub.expirationDateTime) - g.sim.state.clock.now()).toBeGreaterThanOrEqual(45 * 60_000 - 5_000);
    const dup = await subscribe({}).catch((e: unknown) => e);
    expect((dup as GraphError).statusCode).toBe(409);

    const renewed = await g.client(ADELE).api(`/subscriptions/${sub.id}`).patch({ expirationDateTime: inMinutes(4000) });
    expect(Date.parse(renewed.expirationDateTime)).toBeGreaterThan(Date.parse(sub.expirationDateTime));
    expect((await g.client(ADELE).api(`/subscriptions/${sub.id}/reauthorize`).post({})) ?? null).toBeNull();

    g.sim.state.clock.advance(4001 * 60_000);
    const expired = await g.client(ADELE).api(`/subscriptions/${sub.id}`).patch({ expirationDateTime: inMinutes(60) }).catch((e: unknown) => e);
    expect((expired as GraphError).statusCode).toBe(404);
  });

  it('lets only app-only callers subscribe to a room, and delegated callers only to themselves', async () => {
    receiver = await startReceiver();
    const denied = await subscribe({ resource: `/users/${SEED_ROOMS.adams.id}/events` }).catch((e: unknown) => e);
    expect((denied as GraphError).statusCode).toBe(403);
    const room = await subscribe({ resource: `/users/${SEED_ROOMS.adams.id}/events` }, { roles: ['Calendars.Read'] });
    expect(room.resource).toBe(`/users/${SEED_ROOMS.adams.id}/events`);
    await g.client(APP_ONLY).api(`/subscriptions/${room.id}`).delete();
    const gone = await g.client(APP_ONLY).api(`/subscriptions/${room.id}`).get().catch((e: unknown) => e);
    expect((gone as GraphError).statusCode).toBe(404);
  });
});
