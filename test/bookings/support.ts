// Helpers for the bookings tests: the booking-system API over real HTTP, and the simulator's control API
// ("the user in Outlook", faults, counters), always scoped to the test's own mailbox, since the run shares
// one simulator between test files.
import { expect } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { waitFor } from '../support/wait-for.js';
import { createTestClient, type AppEndpoint, type ConnectedUser, type TestClient } from '../support/connect-user.js';
import { IMMUTABLE_IDS, simJson } from '../support/simulator-control.js';
import { startWebhookReceiver, type WebhookReceiver } from '../sync/support.js';

export interface BookingWorld {
  app: AppHost;
  /** The booking system's webhook endpoint, where `client`'s events arrive. */
  receiver: WebhookReceiver;
  client: TestClient;
  close(): Promise<void>;
}

/**
 * The app on the local host with a simulator of the file's own (these files change simulator settings and
 * count requests per mailbox), a webhook receiver, and a client that sends its webhooks there.
 */
export async function startBookingWorld(): Promise<BookingWorld> {
  const receiver = await startWebhookReceiver();
  const app = await startAppHost({ ownSimulator: true });
  const client = await createTestClient(app, { webhookUrl: receiver.url });
  return {
    app,
    receiver,
    client,
    async close() {
      await app.close();
      await receiver.close();
    },
  };
}

/** yyyy-mm-dd, `offsetDays` from today (UTC). */
export const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
export const plusDays = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
/** The first date from `offsetDays` on that falls on `weekday` (0 Sunday). */
export const nextWeekday = (offsetDays: number, weekday: number) => {
  for (let i = offsetDays; ; i += 1) if (new Date(`${day(i)}T00:00:00Z`).getUTCDay() === weekday) return day(i);
};

export interface Call {
  status: number;
  headers: Headers;
  // Responses are JSON; tests read the fields they check.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export async function api(app: AppEndpoint, key: string | null, method: string, path: string, body?: unknown): Promise<Call> {
  const res = await fetch(`${app.url}/api/${path}`, {
    method,
    headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** The simulator's Graph control API (`path` below /_sim/graph), with ids as the app sees them (immutable). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function sim(app: AppEndpoint, method: string, path: string, body?: unknown): Promise<any> {
  return simJson(app.simulatorUrl, method, `/graph${path}`, body, IMMUTABLE_IDS);
}

export interface SimEvent {
  id: string;
  subject: string;
  start: { dateTime: string; timeZone: string };
  end: { dateTime: string; timeZone: string };
  originalStartTimeZone: string;
  transactionId?: string;
  isReminderOn: boolean;
  reminderMinutesBeforeStart: number;
  isCancelled: boolean;
  showAs: string;
  attendees?: { emailAddress: { address: string } }[];
  singleValueExtendedProperties?: { id: string; value: string }[];
  '@odata.etag': string;
}

/** Every event of a calendar of the user, as Outlook holds it (times in UTC). */
export async function calendarEvents(app: AppEndpoint, user: ConnectedUser, calendarId = 'default'): Promise<SimEvent[]> {
  return (await sim(app, 'GET', `/users/${encodeURIComponent(user.userPrincipalName)}/calendars/${encodeURIComponent(calendarId)}/events`)).value;
}

/** A fault for this user's mailbox only; returns its id (remove it with removeFault). */
export async function addFault(app: AppEndpoint, user: ConnectedUser, fault: Record<string, unknown>): Promise<string> {
  return (await sim(app, 'POST', '/faults', { mailbox: user.userPrincipalName, ...fault })).id;
}

export async function removeFault(app: AppEndpoint, id: string): Promise<void> {
  await fetch(`${app.simulatorUrl}/_sim/graph/faults/${id}`, { method: 'DELETE' });
}

/** This mailbox's request counts per endpoint key. */
export async function mailboxCounters(app: AppEndpoint, user: ConnectedUser): Promise<Record<string, number>> {
  const counters = await sim(app, 'GET', '/counters');
  return counters.byMailboxEndpoint[user.userPrincipalName] ?? {};
}

export const UTC = (dateTime: string) => new Date(`${dateTime.replace(/\.\d+$/, '')}Z`).toISOString();

let counter = 0;
/** A booking id unique in the run. */
export function newBookingId(prefix = 'bk'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export function bookingBody(user: ConnectedUser, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    bookingId: newBookingId(),
    connectionId: user.connection.id,
    subject: 'Haircut with Sam',
    start: '2030-05-06T09:00:00',
    end: '2030-05-06T09:45:00',
    timeZone: 'Europe/London',
    body: 'Booked online',
    location: 'Main street 1',
    ...overrides,
  };
}

/** The event carrying our booking property for this booking. */
export function withBookingRef(events: SimEvent[], clientId: string, bookingId: string): SimEvent[] {
  return events.filter((e) => e.singleValueExtendedProperties?.some((p) => p.value === `${clientId}/${bookingId}`));
}

/** Creates a booking (UTC unless `fields` say otherwise) and expects 201. */
export async function book(app: AppEndpoint, user: ConnectedUser, fields: Record<string, unknown>): Promise<{ bookingId: string; eventId: string; body: Call['body'] }> {
  const body = bookingBody(user, { timeZone: 'UTC', ...fields });
  const created = await api(app, user.apiKey, 'POST', 'bookings', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { bookingId: String(body.bookingId), eventId: String(created.body.eventId), body: created.body };
}

/** A new calendar in `mailbox`, made "in Outlook". */
export async function newCalendar(app: AppEndpoint, mailbox: string, name: string): Promise<string> {
  return (await sim(app, 'POST', `/users/${encodeURIComponent(mailbox)}/calendars`, { name })).id as string;
}

/** Waits for connection.bookings_moved of this move. */
export function bookingsMovedHook(receiver: WebhookReceiver, connectionId: string, moveId: string) {
  return waitFor(async () => receiver.events.find((e) => e.type === 'connection.bookings_moved' && e.data.connectionId === connectionId && e.data.moveId === moveId), {
    message: `connection.bookings_moved for ${moveId}`,
    timeout: 60_000,
  });
}
