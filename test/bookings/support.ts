// Helpers for the bookings tests: the booking-system API over real HTTP, and the simulator's control API
// ("the user in Outlook", faults, counters), always scoped to the test's own mailbox, since the run shares
// one simulator between test files.
import { expect } from 'vitest';
import type { AppHost } from '../support/app-host.js';
import type { ConnectedUser } from '../support/connect-user.js';

export interface Call {
  status: number;
  headers: Headers;
  // Responses are JSON; tests read the fields they check.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export async function api(app: AppHost, key: string | null, method: string, path: string, body?: unknown): Promise<Call> {
  const res = await fetch(`${app.url}/api/${path}`, {
    method,
    headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function sim(app: AppHost, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${app.simulatorUrl}/_sim/graph${path}`, {
    method,
    // Ids as the app sees them: it asks Graph for immutable ids on every request.
    headers: { Prefer: 'IdType="ImmutableId"', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  expect(res.status, `simulator ${method} ${path}: ${text}`).toBeLessThan(300);
  return text ? JSON.parse(text) : undefined;
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
export async function calendarEvents(app: AppHost, user: ConnectedUser, calendarId = 'default'): Promise<SimEvent[]> {
  return (await sim(app, 'GET', `/users/${encodeURIComponent(user.userPrincipalName)}/calendars/${encodeURIComponent(calendarId)}/events`)).value;
}

/** A fault for this user's mailbox only; returns its id (remove it with removeFault). */
export async function addFault(app: AppHost, user: ConnectedUser, fault: Record<string, unknown>): Promise<string> {
  return (await sim(app, 'POST', '/faults', { mailbox: user.userPrincipalName, ...fault })).id;
}

export async function removeFault(app: AppHost, id: string): Promise<void> {
  await fetch(`${app.simulatorUrl}/_sim/graph/faults/${id}`, { method: 'DELETE' });
}

/** This mailbox's request counts per endpoint key. */
export async function mailboxCounters(app: AppHost, user: ConnectedUser): Promise<Record<string, number>> {
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
