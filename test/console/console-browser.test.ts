// The local console, clicked through in headless Chromium (Debian's, via playwright-core) against
// the real app (local host + Azurite + the Microsoft 365 simulator): demo client with its API key shown
// once -> connect link -> the simulator's sign-in and consent pages -> connection and calendars -> a booking
// that appears in the simulated Outlook calendar -> an event added "in Outlook" that changes busy time and
// arrives as a signed, verified webhook -> live status -> disconnect. Every wait is bounded polling.
import { copyFile, mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_USERS } from '../../dev/simulator/seed.js';
import { addDays, isoDate, todayIn } from '../../dev/console/week-grid.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { startConsoleApp, TICK_TIMER, type ConsoleApp } from './support.js';

const WAIT = { timeout: 20_000 };
const ADELE = SEED_USERS.adele.userPrincipalName;
const ZONE = 'America/Los_Angeles'; // Adele's mailbox zone (Pacific Standard Time)

let app: ConsoleApp;
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  app = await startConsoleApp();
  browser = await launchBrowser({ viewport: { width: 1440, height: 900 } });
  page = await browser.context.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const section = (id: string) => page.locator(`#${id}`);

describe('the local console walk-through', () => {
  it('opens from the root URL with a strict CSP, a same-origin script and no inline code', async () => {
    const response = await page.goto(`${app.url}/`);
    expect(new URL(page.url()).pathname).toBe('/api/console');
    const csp = response!.headers()['content-security-policy']!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response!.headers()['x-frame-options']).toBe('DENY');
    await page.getByRole('heading', { name: 'Calendar Bridge console' }).waitFor();
    expect(await page.locator('script:not([src])').count()).toBe(0);
    expect(await page.locator('[style]').count()).toBe(0);
    expect(await page.locator('script[src]').getAttribute('src')).toBe('/api/console/assets/console.js');
  });

  it('creates the demo booking system and shows its API key exactly once', async () => {
    await page.getByRole('button', { name: 'Create demo booking system' }).click();
    const key = await page.locator('#api-key-value').textContent();
    expect(key).toMatch(/\S{20,}/);
    await expect.poll(() => page.locator('#step-client').getAttribute('class')).toContain('done');
    await page.reload();
    await page.locator('#api-key-hidden').waitFor();
    expect(await page.locator('#api-key-value').count()).toBe(0);
    expect(await page.content()).not.toContain(key!);
  });

  it("follows a connect link through the simulator's sign-in and consent pages back to the console", async () => {
    await page.getByLabel('Simulated person', { exact: true }).selectOption(ADELE);
    await page.getByRole('button', { name: 'Create connect link' }).click();
    await page.getByRole('link', { name: 'Open the connect link' }).click();
    // The simulator's Microsoft sign-in page (login_hint preselects Adele), then consent.
    await page.getByRole('button', { name: 'Sign in' }).waitFor(WAIT);
    expect(page.url().startsWith(app.simulatorUrl)).toBe(true);
    await page.getByLabel(ADELE).check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Permissions requested' }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.waitForURL(`${app.url}/api/console**`, WAIT);

    const connection = section('step-connection');
    expect(await connection.locator('#connection-status').textContent()).toBe('active');
    expect(await connection.textContent()).toContain(ADELE);
    const calendars = connection.locator('#calendar-table tbody tr');
    expect(await calendars.count()).toBeGreaterThanOrEqual(1);
    expect(await calendars.first().textContent()).toContain('Calendar');
    expect(await calendars.first().textContent()).toContain('bookings go here');
  });

  it("creates a booking as a Teams meeting and shows it, with its join link, in the person's simulated Outlook week", async () => {
    const tomorrow = isoDate(addDays(todayIn(ZONE), 1));
    const booking = section('step-booking');
    await booking.getByLabel('Subject').fill('Haircut with Sam');
    expect(await booking.getByLabel('Day').inputValue()).toBe(tomorrow);
    await booking.getByLabel('Start').fill('10:00');
    await booking.getByLabel('Minutes').fill('45');
    await booking.getByLabel('Teams meeting').check();
    await booking.getByRole('button', { name: 'Create booking' }).click();
    await page.locator('#booking-list li', { hasText: 'Haircut with Sam' }).waitFor(WAIT);
    const join = page.locator('#booking-list li', { hasText: 'Haircut with Sam' }).getByRole('link', { name: 'Join Teams meeting' });
    expect(await join.getAttribute('href')).toMatch(/^https:\/\/teams\.microsoft\.com\/l\/meetup-join\//);
    expect(await page.locator('.flash.ok').textContent()).toContain("Outlook calendar");
    // The grid reads the simulator (Outlook's side), not our API.
    const cell = page.locator('table.week .event.booking', { hasText: 'Haircut with Sam' });
    await cell.waitFor(WAIT);
    expect(await cell.textContent()).toContain('10:00–10:45');
  });

  it('creates a series (daily, three days) and marks its occurrences as the booking in the Outlook week', async () => {
    const booking = section('step-booking');
    await booking.getByLabel('Subject').fill('Yoga course');
    await booking.getByLabel('Start').fill('07:00');
    await booking.getByLabel('Minutes').fill('30');
    await booking.getByLabel('Occurrences (daily)').fill('3');
    await booking.getByRole('button', { name: 'Create booking' }).click();
    const listed = page.locator('#booking-list li', { hasText: 'Yoga course' });
    await listed.waitFor(WAIT);
    expect(await listed.textContent()).toContain('series: daily ×3');
    // Occurrences carry their own ids; the grid knows them as the booking by their series master. The week
    // may end before the third day, so at least the first occurrence is in it.
    const cells = page.locator('table.week .event.booking', { hasText: 'Yoga course' });
    await cells.first().waitFor(WAIT);
    expect(await cells.first().textContent()).toContain('07:00–07:30');
    expect(await page.locator('table.week .event.outlook', { hasText: 'Yoga course' }).count()).toBe(0);
  });

  it('adds an event in Outlook: busy time changes and a signed webhook arrives, verified', async () => {
    // Push sync is live once the demo's subscription exists and its busy cache is filled (live status).
    await page.locator('#subscription-table tr.ours[data-cache="synced"]').waitFor(WAIT);
    const busy = page.locator('#busy-list li', { hasText: '14:00–15:00' });
    expect(await busy.count()).toBe(0);
    const outlook = section('step-outlook');
    await outlook.getByLabel('Subject').fill('Dentist');
    await outlook.getByLabel('Start').fill('14:00');
    await outlook.getByLabel('Minutes').fill('60');
    await outlook.getByRole('button', { name: 'Add event in Outlook' }).click();
    await page.locator('table.week .event.outlook', { hasText: 'Dentist' }).waitFor(WAIT);

    // Busy time from the API and the webhook come in through the live refresh (console.js), no reload.
    await busy.waitFor(WAIT);
    // A verified busy.changed whose span covers the new event (one delta round may also carry the booking).
    const dentist = await page.locator('#busy-list li', { hasText: '14:00–15:00' }).evaluate((li) => [li.getAttribute('data-start')!, li.getAttribute('data-end')!]);
    const covering = async () =>
      page.locator('#webhook-list li[data-type="busy.changed"][data-verified="true"]').evaluateAll(
        (items, [start, end]) => items.filter((li) => Date.parse(li.getAttribute('data-start')!) <= Date.parse(start!) && Date.parse(li.getAttribute('data-end')!) >= Date.parse(end!)).length,
        dentist,
      );
    await expect.poll(covering, { timeout: 20_000, interval: 250 }).toBeGreaterThan(0);
    expect(await page.locator('#webhook-list li[data-type="busy.changed"]').first().textContent()).toContain('signature verified');
    expect(await page.locator('#webhook-list li[data-verified="false"]').count()).toBe(0);
    expect(await page.locator('body').getAttribute('data-refreshed-at')).not.toBeNull();
  });

  it('shows the live status: subscriptions with expiry, notifications received, timers last runs', async () => {
    const status = page.locator('#live-status');
    const ours = status.locator('#subscription-table tr.ours');
    await ours.first().waitFor(WAIT);
    expect(await ours.first().textContent()).toMatch(/in 6 d|in 7 d/);
    await status.locator('#notification-list li', { hasText: 'delivered' }).first().waitFor(WAIT);
    expect(await status.locator('#notification-list li').first().textContent()).toMatch(/created|updated/);
    const tick = status.locator(`#timer-table tr[data-timer="${TICK_TIMER}"] .badge.ok`);
    await tick.waitFor(WAIT);
    expect(await status.locator('#timer-table tr[data-timer="renewSubscriptions"]').textContent()).toContain('0 10 * * * *');
  });

  it('saves a screenshot of the console for the README', async () => {
    await page.locator('#step-client').scrollIntoViewIfNeeded();
    await mkdir('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/console.png', fullPage: true });
    // The README's copy changes only on request, so a test run leaves the work tree clean.
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      await mkdir('docs/screenshots', { recursive: true });
      await copyFile('test-results/console.png', 'docs/screenshots/console.png');
    }
  });

  it('disconnects: the connection shows disconnected and the booking stays in Outlook', async () => {
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await page.locator('.flash.ok', { hasText: 'Disconnected' }).waitFor(WAIT);
    expect(await page.locator('#connection-status').textContent()).toBe('disconnected');
    expect(await page.locator('table.week .event', { hasText: 'Haircut with Sam' }).count()).toBe(1);
    await page.locator('#webhook-list li[data-type="connection.disconnected"][data-verified="true"]').waitFor(WAIT);
  });
});
