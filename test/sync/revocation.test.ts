// A person's sessions revoked in Entra, end to end over real HTTP (the whole app on the local host, Azurite,
// a simulator of this file's own, real MSAL). Graph removes the person's delegated subscriptions with
// subscriptionRemoved (https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events); the app
// subscribes again while its access token still works (access tokens live until they expire:
// https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens#token-lifetime); once that token
// lapses, reauthorizationRequired follows and the refresh token is refused, so the connection turns
// needs_reauth and the booking system hears connection.needs_reauth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/server.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createTestClient, type ConnectedUser } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';
import { api, sim } from '../bookings/support.js';
import { listConnectionSubscriptions } from '../../shared/sync/calendar-subscriptions.js';
import { lifecycleSent as lifecycleDelivery, startWebhookReceiver, type WebhookReceiver } from './support.js';
import { waitFor } from '../support/wait-for.js';

let simulator: RunningSimulator;
let app: AppHost;
let receiver: WebhookReceiver;
let user: ConnectedUser;

const lifecycleSent = (event: string, subscriptionId: string) => lifecycleDelivery(app.simulatorUrl, event, subscriptionId);
const subscriptions = () => listConnectionSubscriptions(app.services, user.client.clientId, user.connection.id);
const simSubscriptionIds = async () => ((await sim(app, 'GET', '/subscriptions')).value as { id: string }[]).map((s) => s.id);
const connectionStatus = async () => (await api(app, user.apiKey, 'GET', `connections/${user.connection.id}`)).body.status as string;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
  await simControl(simulator.url, 'PATCH', '/settings', { reauthorizationRatePerHour: 0 });
  receiver = await startWebhookReceiver();
  app = await startAppHost({ simulatorUrl: simulator.url });
  user = await connectUser(app, { client: await createTestClient(app, { webhookUrl: receiver.url }) });
  const calendarId = user.connection.busyCalendarIds[0]!;
  await waitFor(async () => (await app.services.store.busy.getSyncState(user.connection.id, calendarId))?.entity.status === 'synced', { message: 'the first full sync', timeout: 30_000 });
}, 90_000);

afterAll(async () => {
  await app?.close();
  await receiver?.close();
  await simulator?.close();
});

describe("a person's sessions revoked in Entra", () => {
  it('subscriptionRemoved: the app subscribes again while its access token lasts, then turns needs_reauth and tells the booking system', { timeout: 120_000 }, async () => {
    const [first] = await subscriptions();
    expect(first).toBeDefined();
    await simControl(app.simulatorUrl, 'POST', `/users/${encodeURIComponent(user.userPrincipalName)}/revoke-sign-in-sessions`);
    await waitFor(() => lifecycleSent('subscriptionRemoved', first!.subscriptionId), { message: 'subscriptionRemoved', timeout: 20_000 });

    // Recovers for now: a new subscription in Graph and in the app's records, the connection still active.
    const fresh = await waitFor(async () => (await subscriptions()).find((s) => s.calendarId === first!.calendarId && s.subscriptionId !== first!.subscriptionId),
      { message: 'a new subscription', timeout: 30_000 },
    );
    expect(await simSubscriptionIds()).toContain(fresh.subscriptionId);
    expect(await simSubscriptionIds()).not.toContain(first!.subscriptionId);
    expect(await connectionStatus()).toBe('active');

    // The access token lapses: Graph challenges the subscription, and the refresh token is refused.
    await simControl(app.simulatorUrl, 'POST', '/clock/advance', { minutes: 65 });
    await waitFor(() => lifecycleSent('reauthorizationRequired', fresh.subscriptionId), { message: 'reauthorizationRequired', timeout: 20_000 });
    await waitFor(async () => (await connectionStatus()) === 'needs_reauth' || undefined, { message: 'needs_reauth', timeout: 60_000 });
    const hook = await waitFor(async () => receiver.events.find((e) => e.type === 'connection.needs_reauth'), { message: 'connection.needs_reauth', timeout: 60_000 });
    expect(hook.data).toMatchObject({ connectionId: user.connection.id, reason: 'refresh_token_rejected' });
  });
});
