// Microsoft's documented notification requests, replayed against the app's public endpoints as the reference
// pages write them (only the subscription id, clientState and resource names swapped for a real connection's,
// since the app must refuse anything else), and followed to what the app does about each: the validation
// handshake is echoed, a change notification runs a delta round, and each lifecycle event gets the response
// its page asks for. Whole app on the local host, Azurite, real MSAL and Graph client, a simulator of this
// file's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/server.js';
import { listConnectionSubscriptions } from '../../shared/sync/calendar-subscriptions.js';
import type { SubscriptionEntity } from '../../shared/store/repositories/subscriptions.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, type ConnectedUser } from '../support/connect-user.js';
import { simControl, simJson } from '../support/simulator-control.js';
import { waitFor } from '../support/wait-for.js';

let simulator: RunningSimulator;
let app: AppHost;
let user: ConnectedUser;
let calendarId: string;
let record: SubscriptionEntity;
let clientState: string;

const TENANT_IN_THE_DOCS = '84bd8158-6d4d-4958-8b9f-9d6445542f95';

beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
  // Only the lifecycle events this file posts (the simulator's own random challenges are its tests' subject).
  await simControl(simulator.url, 'PATCH', '/settings', { reauthorizationRatePerHour: 0 });
  app = await startAppHost({ simulatorUrl: simulator.url });
  user = await connectUser(app);
  calendarId = user.connection.busyCalendarIds[0]!;
  record = await waitFor(async () => (await listConnectionSubscriptions(app.services, user.client.clientId, user.connection.id))[0], { message: 'the subscription record' });
  await waitFor(async () => (await syncState())?.syncedAt, { message: 'the first full sync' });
  const subs = await simJson<{ value: { id: string; clientState: string }[] }>(simulator.url, 'GET', '/graph/subscriptions');
  clientState = subs.value.find((s) => s.id === record.subscriptionId)!.clientState;
}, 60_000);
afterAll(async () => {
  await app?.close();
  await simulator?.close();
});

const syncState = async () => (await app.services.store.busy.getSyncState(user.connection.id, calendarId))?.entity;
const storedRecord = async () => (await app.services.store.subscriptions.getSubscription(record.subscriptionId))?.entity;

/** Delta requests the simulator has answered for the user's mailbox. */
async function deltaRequests(): Promise<number> {
  const counters = await simJson<{ byMailboxEndpoint: Record<string, Record<string, number>> }>(simulator.url, 'GET', '/graph/counters');
  return Object.entries(counters.byMailboxEndpoint[user.userPrincipalName] ?? {})
    .filter(([endpoint]) => /delta/i.test(endpoint))
    .reduce((sum, [, n]) => sum + n, 0);
}

const post = (path: string, body: unknown) =>
  fetch(`${app.url}/api/graph/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

describe('the validation handshake, as https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks#notificationurl-validation writes it', () => {
  // "POST https://{notificationUrl}?validationToken={opaqueTokenCreatedByMicrosoftGraph}" with
  // "Content-Type: text/plain; charset=utf-8"; the answer: 200, text/plain, the URL-decoded token.
  for (const path of ['notifications', 'lifecycle']) {
    it(`${path}: answers 200 text/plain with the decoded token`, async () => {
      const token = 'Validation: Testing client application reachability for subscription Request-Id: 9f6a4a2e-64b1-4c1c-8d22-2f0e1f6b7a10';
      const res = await fetch(`${app.url}/api/graph/${path}?validationToken=${encodeURIComponent(token)}`, { method: 'POST', headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toBe(token);
    });
  }
});

describe('a change notification, as https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks#change-notification-example writes it', () => {
  it('is accepted with 202 and acted on: a delta round of the calendar runs', async () => {
    // The page's example, for an Outlook event instead of a message (resource and @odata.type of an event,
    // https://learn.microsoft.com/en-us/graph/outlook-change-notifications-overview).
    const objectId = user.connection.account.objectId!;
    const payload = {
      value: [
        {
          id: 'lsgTZMr9KwAAA',
          subscriptionId: record.subscriptionId,
          subscriptionExpirationDateTime: '2016-03-19T22:11:09.952Z',
          clientState,
          changeType: 'created',
          resource: `Users/${objectId}/Events/AAMkAGUwNjQ4ZjIxLTQ3Y2YtNDViMi1iZjc4LTMA=`,
          tenantId: TENANT_IN_THE_DOCS,
          resourceData: {
            '@odata.type': '#Microsoft.Graph.Event',
            '@odata.id': `Users/${objectId}/Events/AAMkAGUwNjQ4ZjIxLTQ3Y2YtNDViMi1iZjc4LTMA=`,
            '@odata.etag': 'W/"CQAAABYAAADkrWGo7bouTKlsgTZMr9KwAAAUWRHf"',
            id: 'AAMkAGUwNjQ4ZjIxLTQ3Y2YtNDViMi1iZjc4LTMA=',
          },
        },
      ],
    };
    const before = await deltaRequests();
    const res = await post('notifications', payload);
    // "persist the notification, return a 202 - Accepted status code ... then process the notifications"
    expect(res.status).toBe(202);
    await waitFor(async () => (await deltaRequests()) > before, { message: 'a delta round after the documented notification' });
  });
});

describe('lifecycle notifications, as https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events writes them', () => {
  // "Structure of a lifecycle notification", with this connection's subscription and clientState.
  const documented = (lifecycleEvent: string) => ({
    value: [{ subscriptionId: record.subscriptionId, subscriptionExpirationDateTime: '2019-03-20T11:00:00.0000000Z', tenantId: TENANT_IN_THE_DOCS, clientState, lifecycleEvent }],
  });

  it('missed: 202, then "a full data resync of the resource"', async () => {
    const before = (await syncState())!.syncedAt!.getTime();
    expect((await post('lifecycle', documented('missed'))).status).toBe(202);
    await waitFor(async () => ((await syncState())?.syncedAt?.getTime() ?? 0) > before, { message: 'the full resync after missed' });
  });

  it('reauthorizationRequired: 202, then the subscription is reauthorized and renewed with one PATCH', async () => {
    const before = (await storedRecord())!;
    expect((await post('lifecycle', documented('reauthorizationRequired'))).status).toBe(202);
    const after = await waitFor(async () => {
      const now = await storedRecord();
      return now?.updatedAt && now.updatedAt.getTime() > (before.updatedAt?.getTime() ?? 0) ? now : undefined;
    }, { message: 'the renewal after reauthorizationRequired' });
    const inGraph = (await simJson<{ value: { id: string; expirationDateTime: string }[] }>(simulator.url, 'GET', '/graph/subscriptions')).value.find((s) => s.id === record.subscriptionId)!;
    expect(Date.parse(inGraph.expirationDateTime)).toBe(after.expiresAt.getTime());
  });

  it('subscriptionRemoved: 202, then "create a new subscription" and resync', async () => {
    const before = (await syncState())!.syncedAt!.getTime();
    expect((await post('lifecycle', documented('subscriptionRemoved'))).status).toBe(202);
    const replacement = await waitFor(
      async () => (await listConnectionSubscriptions(app.services, user.client.clientId, user.connection.id)).find((s) => s.subscriptionId !== record.subscriptionId),
      { message: 'the new subscription' },
    );
    const inGraph = (await simJson<{ value: { id: string; resource: string }[] }>(simulator.url, 'GET', '/graph/subscriptions')).value;
    expect(inGraph.map((s) => s.id)).toContain(replacement.subscriptionId);
    expect(inGraph.map((s) => s.id)).not.toContain(record.subscriptionId);
    await waitFor(async () => ((await syncState())?.syncedAt?.getTime() ?? 0) > before, { message: 'the resync after subscriptionRemoved' });
  });
});
