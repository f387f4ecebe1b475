// Calendars another person shares with (or delegates to) the connected user, end to end against the real
// app, the simulator and Azurite: the simulator refuses another person's calendar without a share, without
// the right role or with Calendars.ReadWrite alone; choosing such a calendar through the connection API asks
// for Calendars.ReadWrite.Shared (409 consent_missing with a consent link) before anything is saved; once
// consented, bookings are written to and busy time read from the owner's mailbox; and a change the owner
// makes reaches the busy cache through the scheduled delta poll, with no subscription on that calendar.
// (Not test/sync/shared-calendar.test.ts: that one is about two connections of the same mailbox.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { launchBrowser, startReturnPage, type ReturnPage, type TestBrowser } from '../support/browser.js';
import { connectUser, createSimUser, createTestClient, followConnectLink, json, SIM_TENANT, type ConnectedUser } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';
import { waitFor } from '../support/wait-for.js';
import { api, bookingBody, calendarEvents, sim, withBookingRef } from '../bookings/support.js';
import { defaultSyncDeps } from '../../shared/sync/sync-deps.js';
import { startSharedCalendarPollScan } from '../../shared/upkeep/upkeep.js';
import { listConnectionSubscriptions } from '../../shared/sync/calendar-subscriptions.js';

let app: AppHost;

beforeAll(async () => {
  app = await startAppHost();
}, 60_000);

afterAll(async () => {
  await app?.close();
});

async function tokenFor(upn: string, scopes: string[]): Promise<string> {
  return (await json(await simControl(app.simulatorUrl, 'POST', '/tokens', { tenant: SIM_TENANT, user: upn, scopes }))).access_token;
}

// Graph answers are JSON; the test reads the fields it checks.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function graph(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${app.simulatorUrl}/v1.0${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function share(owner: string, calendarId: string, sharee: string, role: string): Promise<void> {
  await sim(app, 'PUT', `/users/${encodeURIComponent(owner)}/calendars/${encodeURIComponent(calendarId)}/permissions/${encodeURIComponent(sharee)}`, { role });
}

// Tomorrow (UTC): inside the window the busy cache covers, so busy reads can come from it.
const DAY = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
const NEXT_DAY = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
const event = { subject: 'Shared slot', start: { dateTime: `${DAY}T10:00:00`, timeZone: 'UTC' }, end: { dateTime: `${DAY}T11:00:00`, timeZone: 'UTC' } };

describe('the simulator: calendars shared by others and their permissions', () => {
  it('refuses another person\'s calendar until it is shared, with the role and the .Shared permission the request needs', async () => {
    const owner = await createSimUser(app.simulatorUrl);
    const sharee = await createSimUser(app.simulatorUrl);
    const desk = (await sim(app, 'POST', `/users/${owner.userPrincipalName}/calendars`, { name: 'Front desk' })).id as string;
    const path = `/users/${owner.userPrincipalName}/calendars/${encodeURIComponent(desk)}/events`;
    const plain = await tokenFor(sharee.userPrincipalName, ['Calendars.ReadWrite']);
    const sharedScope = await tokenFor(sharee.userPrincipalName, ['Calendars.ReadWrite', 'Calendars.ReadWrite.Shared']);

    // Not shared: refused whatever the token holds.
    expect((await graph(sharedScope, 'GET', path)).body.error.code).toBe('ErrorAccessDenied');
    await share(owner.userPrincipalName, desk, sharee.userPrincipalName, 'read');
    // Shared for reading: Calendars.ReadWrite alone is still refused; .Shared reads but cannot write.
    const refused = await graph(plain, 'GET', path);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' });
    expect((await graph(sharedScope, 'GET', path)).status).toBe(200);
    expect((await graph(sharedScope, 'POST', path, event)).status).toBe(403);
    // The sharee's own list shows it with its owner, read-only.
    const listed = (await graph(plain, 'GET', '/me/calendars')).body.value.find((c: { id: string }) => c.id === desk);
    expect(listed).toMatchObject({ name: 'Front desk', canEdit: false, isDefaultCalendar: false, owner: { address: owner.userPrincipalName } });

    // Write role: events can be created there, still only with .Shared; the owner's mailbox-wide routes stay closed.
    await share(owner.userPrincipalName, desk, sharee.userPrincipalName, 'write');
    expect((await graph(plain, 'POST', path, event)).status).toBe(403);
    expect((await graph(sharedScope, 'POST', path, event)).status).toBe(201);
    expect((await graph(sharedScope, 'GET', `/users/${owner.userPrincipalName}/events`)).status).toBe(403);
    expect((await graph(plain, 'GET', '/me/calendars')).body.value.find((c: { id: string }) => c.id === desk).canEdit).toBe(true);
    // Taken back: gone from the list and refused again.
    await share(owner.userPrincipalName, desk, sharee.userPrincipalName, 'none');
    expect((await graph(sharedScope, 'GET', path)).status).toBe(403);
    expect((await graph(plain, 'GET', '/me/calendars')).body.value.some((c: { id: string }) => c.id === desk)).toBe(false);
  });
});

describe('choosing a calendar someone else shares', () => {
  let user: ConnectedUser;
  let owner: { userPrincipalName: string };
  let desk: string;

  beforeAll(async () => {
    owner = await createSimUser(app.simulatorUrl);
    user = await connectUser(app);
    desk = (await sim(app, 'POST', `/users/${owner.userPrincipalName}/calendars`, { name: 'Front desk' })).id as string;
    await share(owner.userPrincipalName, desk, user.userPrincipalName, 'write');
  }, 60_000);

  it('asks for Calendars.ReadWrite.Shared first, then books into and reads busy time from the owner\'s calendar, kept by the scheduled delta', async () => {
    const own = user.connection.bookingCalendarId!;
    const calendars = await api(app, user.apiKey, 'GET', `connections/${user.connection.id}/calendars`);
    expect(calendars.body.value ?? calendars.body).toEqual(expect.arrayContaining([expect.objectContaining({ id: desk, canEdit: true })]));

    // Not consented yet: 409 consent_missing with a link asking for the scope; nothing saved.
    const choice = { bookingCalendarId: desk, busyCalendarIds: [own, desk] };
    const refused = await api(app, user.apiKey, 'PATCH', `connections/${user.connection.id}`, choice);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'consent_missing', missingScopes: ['Calendars.ReadWrite.Shared'], connectUrl: expect.any(String) });
    expect((await api(app, user.apiKey, 'GET', `connections/${user.connection.id}`)).body.bookingCalendarId).toBe(own);

    // The user opens the link: the authorize request names the scope; the sign-in records it.
    const { finalUrl, authorizeScopes } = await followConnectLink(refused.body.connectUrl as string);
    expect(authorizeScopes.at(-1)!.split(' ')).toContain('Calendars.ReadWrite.Shared');
    expect(finalUrl.searchParams.get('status')).toBe('connected');
    expect(finalUrl.searchParams.get('connectionId')).toBe(user.connection.id);

    const chosen = await api(app, user.apiKey, 'PATCH', `connections/${user.connection.id}`, choice);
    expect(chosen.status).toBe(200);
    expect(chosen.body).toMatchObject({ bookingCalendarId: desk, busyCalendarIds: [own, desk] });

    // A booking lands in the owner's calendar.
    const body = bookingBody(user, { start: `${DAY}T14:00:00`, end: `${DAY}T15:00:00`, timeZone: 'UTC' });
    const booked = await api(app, user.apiKey, 'POST', 'bookings', body);
    expect(booked.status).toBe(201);
    const ownerView = { ...user, userPrincipalName: owner.userPrincipalName };
    expect(withBookingRef(await calendarEvents(app, ownerView, desk), user.client.clientId, body.bookingId as string)).toHaveLength(1);
    expect(await calendarEvents(app, user, 'default')).toEqual([]);

    // The shared calendar gets no subscription (Graph refuses delegated ones for others' folders), but a first full sync.
    const records = await listConnectionSubscriptions(app.services, user.client.clientId, user.connection.id);
    expect(records.some((r) => r.calendarId === desk)).toBe(false);
    await waitFor(async () => (await app.services.store.busy.getSyncState(user.connection.id, desk))?.entity.status === 'synced', { message: 'the first sync of the shared calendar', timeout: 30_000 });
    const window = `start=${DAY}T00:00:00Z&end=${NEXT_DAY}T00:00:00Z`;
    const before = await api(app, user.apiKey, 'GET', `connections/${user.connection.id}/busy?${window}`);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ source: 'cache', intervals: [expect.objectContaining({ start: `${DAY}T14:00:00Z`, end: `${DAY}T15:00:00Z` })] });

    // The owner adds an event in Outlook: no notification comes; the poll's delta round brings it in.
    await sim(app, 'POST', `/users/${owner.userPrincipalName}/events`, { ...event, calendarId: desk });
    await startSharedCalendarPollScan(defaultSyncDeps(app.services));
    const after = await waitFor(async () => {
      const busy = await api(app, user.apiKey, 'GET', `connections/${user.connection.id}/busy?${window}`);
      return busy.body.source === 'cache' && busy.body.intervals.length === 2 ? busy.body : undefined;
    }, { message: 'the owner\'s event in the busy cache after the poll', timeout: 30_000 });
    expect(after.intervals.map((i: { start: string }) => i.start)).toEqual([`${DAY}T10:00:00Z`, `${DAY}T14:00:00Z`]);

    // Cancelling the booking reaches the event in the owner's mailbox.
    const cancelled = await api(app, user.apiKey, 'DELETE', `bookings/${body.bookingId}`);
    expect(cancelled.status).toBeLessThan(300);
    expect(withBookingRef(await calendarEvents(app, ownerView, desk), user.client.clientId, body.bookingId as string)).toHaveLength(0);
  }, 120_000);
});

describe('the hosted picker with a calendar someone else shares (Chromium)', () => {
  let returnPage: ReturnPage;
  let receiverOrigin: string;
  let browser: TestBrowser;

  beforeAll(async () => {
    returnPage = await startReturnPage();
    receiverOrigin = returnPage.origin;
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await returnPage?.close();
  });

  it('marks the shared calendar, and choosing it sends the person through consent for Calendars.ReadWrite.Shared before the choice is saved', async () => {
    const tc = await createTestClient(app, { origins: [receiverOrigin] });
    const sharee = await createSimUser(app.simulatorUrl);
    const owner = await createSimUser(app.simulatorUrl);
    const desk = (await sim(app, 'POST', `/users/${owner.userPrincipalName}/calendars`, { name: 'Front desk' })).id as string;
    await share(owner.userPrincipalName, desk, sharee.userPrincipalName, 'write');
    const link = await json(
      await fetch(`${app.url}/api/connect-links`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${tc.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ externalUserId: 'picker-shared', returnUrl: `${receiverOrigin}/return`, pickCalendars: true }),
      }),
    );
    const page = await browser.context.newPage();
    const authorizeScopes: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'GET' && r.url().includes('/authorize')) authorizeScopes.push(new URL(r.url()).searchParams.get('scope') ?? '');
    });
    await page.goto(link.url);
    await page.getByLabel(sharee.userPrincipalName).check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Permissions requested' }).waitFor();
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.getByRole('heading', { name: 'Choose your calendars' }).waitFor();
    // The first sign-in asked for no shared-calendar permission.
    expect(authorizeScopes[0]!.split(' ')).not.toContain('Calendars.ReadWrite.Shared');

    const bookingGroup = page.getByRole('group', { name: 'Put new bookings in' });
    const shared = bookingGroup.getByRole('radio', { name: new RegExp(`^Front desk \\(shared by ${owner.userPrincipalName.replace('.', '\\.')}\\)`) });
    await shared.check();
    await page.getByRole('button', { name: 'Save and continue' }).click();
    // The app explains why Microsoft asks again, and links on.
    await page.getByRole('heading', { name: 'Allow access to shared calendars' }).waitFor();
    await page.getByRole('link', { name: 'Continue to Microsoft' }).click();
    // Consent for the shared calendars (the simulator may have auto-consent on for hinted sign-ins).
    const consent = page.getByRole('heading', { name: 'Permissions requested' });
    await Promise.race([consent.waitFor(), page.waitForURL(`${receiverOrigin}/return**`)]);
    if (await consent.isVisible()) {
      expect(await page.getByText('Calendars.ReadWrite.Shared').count()).toBeGreaterThan(0);
      await page.getByRole('button', { name: 'Accept' }).click();
    }
    await page.waitForURL(`${receiverOrigin}/return**`);
    expect(authorizeScopes).toHaveLength(2);
    expect(authorizeScopes[1]!.split(' ')).toContain('Calendars.ReadWrite.Shared');
    const landed = new URL(page.url());
    expect(landed.searchParams.get('status')).toBe('connected');
    await page.close();

    const connectionId = landed.searchParams.get('connectionId')!;
    const connection = await json(await fetch(`${app.url}/api/connections/${connectionId}`, { headers: { Authorization: `Bearer ${tc.apiKey}` } }));
    expect(connection.bookingCalendarId).toBe(desk);
    const row = (await app.services.store.connections.getConnection(tc.client.clientId, connectionId))!.entity;
    expect(row.grantedScopes).toContain('Calendars.ReadWrite.Shared');
    expect(row.sharedCalendars).toEqual({ [desk]: owner.userPrincipalName });
  }, 90_000);
});
