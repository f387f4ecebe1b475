// Point 6: the hosted calendar picker, clicked through in headless Chromium (Debian's, via playwright-core):
// connect link -> simulator sign-in page -> consent page -> picker -> the booking system's return URL
// (a receiver on loopback), then the chosen calendars are read back through the API.
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { launchBrowser, startReturnPage, type ReturnPage, type TestBrowser } from '../support/browser.js';
import { createSimUser, createTestClient, json, SIM_TENANT, type TestClient } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';

let app: AppHost;
let returnPage: ReturnPage;
let receiverOrigin: string;
let browser: TestBrowser;
let context: BrowserContext;

beforeAll(async () => {
  app = await startAppHost();
  returnPage = await startReturnPage();
  receiverOrigin = returnPage.origin;
  browser = await launchBrowser();
  context = browser.context;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await returnPage?.close();
  await app?.close();
});

async function secondCalendar(upn: string, name: string): Promise<string> {
  const token = (await json(await simControl(app.simulatorUrl, 'POST', '/tokens', { tenant: SIM_TENANT, user: upn, scopes: ['Calendars.ReadWrite'] }))).access_token;
  const res = await fetch(`${app.simulatorUrl}/v1.0/me/calendars`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  return (await json(res)).id;
}

describe('hosted calendar picker', () => {
  it('clicks through sign-in, consent and the picker, and lands on the return URL with the choices saved', async () => {
    const tc: TestClient = await createTestClient(app, { origins: [receiverOrigin] });
    const user = await createSimUser(app.simulatorUrl);
    const clinic = await secondCalendar(user.userPrincipalName, 'Clinic');
    const linkRes = await fetch(`${app.url}/api/connect-links`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tc.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ externalUserId: 'picker-user', returnUrl: `${receiverOrigin}/return`, pickCalendars: true }),
    });
    const link = await json(linkRes);

    const page = await context.newPage();
    await page.goto(link.url);
    // The simulator's sign-in page: pick the account, sign in.
    await page.getByLabel(user.userPrincipalName).check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Consent.
    await page.getByRole('heading', { name: 'Permissions requested' }).waitFor();
    const pickerResponse = page.waitForResponse((r) => r.url().includes('/api/auth/callback'));
    await page.getByRole('button', { name: 'Accept' }).click();
    const picker = await pickerResponse;
    const headers = picker.headers();
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('no-referrer');

    // The picker: accessible names, fieldsets with legends, no script.
    await page.getByRole('heading', { name: 'Choose your calendars' }).waitFor();
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('fieldset > legend').allTextContents()).toEqual(['Put new bookings in', 'Check these calendars for busy time']);
    const bookingGroup = page.getByRole('group', { name: 'Put new bookings in' });
    const busyGroup = page.getByRole('group', { name: 'Check these calendars for busy time' });
    // Defaults: the default calendar for bookings, every owned calendar for busy time.
    expect(await bookingGroup.getByRole('radio', { name: /^Calendar/ }).isChecked()).toBe(true);
    expect(await busyGroup.getByRole('checkbox', { name: /^Clinic/ }).isChecked()).toBe(true);

    const token = await page.locator('input[name=token]').inputValue();
    // Keyboard only: focus the choices and operate them with Space, then submit with Enter.
    await bookingGroup.getByRole('radio', { name: /^Clinic/ }).focus();
    await page.keyboard.press('Space');
    await busyGroup.getByRole('checkbox', { name: /^Calendar/ }).focus();
    await page.keyboard.press('Space'); // unchecks the default calendar
    await page.getByLabel('Default reminder').selectOption('30');
    await page.getByRole('button', { name: 'Save and continue' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${receiverOrigin}/return**`);

    const landed = new URL(page.url());
    expect(landed.searchParams.get('status')).toBe('connected');
    const connectionId = landed.searchParams.get('connectionId')!;
    expect(returnPage.received.some((u) => u.searchParams.get('connectionId') === connectionId)).toBe(true);
    await page.close();

    const res = await fetch(`${app.url}/api/connections/${connectionId}`, { headers: { Authorization: `Bearer ${tc.apiKey}` } });
    const connection = await json(res);
    expect(connection).toMatchObject({ status: 'active', bookingCalendarId: clinic, busyCalendarIds: [clinic], defaultReminderMinutes: 30 });

    // The form's token was single use: posting it again changes nothing.
    const replay = await fetch(`${app.url}/api/connect-picker`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, bookingCalendarId: connection.busyCalendarIds[0], defaultReminderMinutes: '5' }).toString(),
      redirect: 'manual',
    });
    expect(replay.status).toBe(400);
    expect((await json(await fetch(`${app.url}/api/connections/${connectionId}`, { headers: { Authorization: `Bearer ${tc.apiKey}` } }))).defaultReminderMinutes).toBe(30);
  });

  it('refuses a replayed or forged picker form with an error page, changing nothing', async () => {
    for (const token of ['A'.repeat(43), 'short']) {
      const res = await fetch(`${app.url}/api/connect-picker`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, bookingCalendarId: 'x', defaultReminderMinutes: '15' }).toString(),
        redirect: 'manual',
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('location')).toBeNull();
    }
  });
});
