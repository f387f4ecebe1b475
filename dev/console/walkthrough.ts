// The console's actions, one per step of the walk-through. The console plays the booking system: the
// operator step (a client) uses the same createClient the admin API uses; everything after goes through
// the public API with the client's API key; "the user in Outlook" goes through the simulator.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { createClient } from '../../shared/clients/manage-clients.js';
import { AppError } from '../../shared/errors/app-error.js';
import type { Services } from '../../shared/services.js';
import { ianaZoneFor } from '../../shared/time/windows-zones.js';
import { formatWallTime, parseDateTime, wallTimeAt } from '../../shared/time/zoned-time.js';
import { answerOf, bridgeClient, type BridgeClient } from '../bridge-client.js';
import { CONSOLE_PATH } from './paths.js';
import { registerReceiver, type ConsoleSession, type DemoBooking } from './session-store.js';
import type { SimulatorControl } from './simulator-control.js';

export interface ConsoleContext {
  services: Services;
  session: ConsoleSession;
  /** The app's public base URL: the console calls the API there, and the connect flow returns there. */
  baseUrl: string;
  simulator: SimulatorControl;
}

export function consoleContext(services: Services, session: ConsoleSession, simulator: SimulatorControl): ConsoleContext {
  return { services, session, baseUrl: services.config.publicBaseUrl, simulator };
}

const sealingContext = (session: ConsoleSession, name: string) => `console:${session.rowKey}:${name}`;

export async function apiKeyOf(ctx: ConsoleContext): Promise<string | undefined> {
  const sealed = ctx.session.apiKeySealed;
  return sealed ? ctx.services.envelope.decryptString(sealed, sealingContext(ctx.session, 'apiKey')) : undefined;
}

export async function signingSecretOf(services: Services, session: ConsoleSession): Promise<string | undefined> {
  const sealed = session.signingSecretSealed;
  return sealed ? services.envelope.decryptString(sealed, sealingContext(session, 'signingSecret')) : undefined;
}

async function api(ctx: ConsoleContext): Promise<BridgeClient> {
  const key = await apiKeyOf(ctx);
  if (!key) throw new AppError('no_client', 'Create the demo booking system first (step 1).');
  return bridgeClient(ctx.baseUrl, key);
}

function requireConnection(ctx: ConsoleContext): { connectionId: string; upn: string; zone: string } {
  const { connectionId, userPrincipalName, timeZone } = ctx.session;
  if (!connectionId || !userPrincipalName) throw new AppError('not_connected', 'Connect a calendar first (step 2).');
  return { connectionId, upn: userPrincipalName, zone: timeZone ?? 'UTC' };
}

/** Step 1: a booking-system client whose webhooks come back to this console. */
export async function createDemoClient(ctx: ConsoleContext): Promise<void> {
  const { session, services } = ctx;
  const receiverId = await registerReceiver(services, session);
  const created = await createClient(
    {
      name: `Demo booking system ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`,
      allowedReturnOrigins: [new URL(ctx.baseUrl).origin],
      webhookUrl: `${ctx.baseUrl}${CONSOLE_PATH}/webhooks/${receiverId}`,
    },
    services,
  );
  Object.assign(session, {
    clientId: created.clientId,
    clientName: created.name,
    receiverId,
    apiKeySealed: await services.envelope.encrypt(created.apiKey, sealingContext(session, 'apiKey')),
    signingSecretSealed: await services.envelope.encrypt(created.signingSecret, sealingContext(session, 'signingSecret')),
    revealApiKey: true,
    connectionId: undefined,
    connectLinkUrl: undefined,
    bookings: [],
  } satisfies Partial<ConsoleSession>);
}

/** Step 2: a connect link for one simulated person; they follow it through sign-in and consent. */
export async function createConnectLink(ctx: ConsoleContext, form: URLSearchParams): Promise<void> {
  const upn = form.get('userPrincipalName') ?? '';
  const user = (await ctx.simulator.users()).find((u) => u.userPrincipalName === upn && u.kind === 'user');
  if (!user) throw new AppError('invalid_field', 'Choose one of the simulated people.', { field: 'userPrincipalName' });
  const link = await answerOf<{ url: string }>(
    (await api(ctx)).POST('/api/connect-links', {
      body: { externalUserId: `demo-${upn.split('@')[0]}`, returnUrl: `${ctx.baseUrl}${CONSOLE_PATH}/connected`, loginHint: upn },
    }),
  );
  Object.assign(ctx.session, { userPrincipalName: upn, timeZone: ianaZoneFor(user.timeZone) ?? 'UTC', connectLinkUrl: link.url, connectionId: undefined });
}

/** The connect flow's return URL: ?connectionId=...&status=connected, or ?status=error&error=code. */
export function completeConnect(ctx: ConsoleContext, query: URLSearchParams): void {
  const connectionId = query.get('connectionId');
  if (query.get('status') === 'connected' && connectionId) {
    Object.assign(ctx.session, { connectionId, connectLinkUrl: undefined, flash: { kind: 'ok', text: 'Connected: the calendar is linked.' } });
  } else {
    ctx.session.flash = { kind: 'error', text: `The connect flow ended with an error: ${query.get('error') ?? 'unknown'}.` };
  }
}

const timedForm = z.object({
  subject: z.string().trim().min(1, 'Give it a subject.').max(255),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Choose a day.'),
  time: z.string().regex(/^\d{2}:\d{2}$/, 'Choose a start time.'),
  minutes: z.coerce.number().int().min(5).max(600),
});

function readTimedForm(form: URLSearchParams, zone: string): { subject: string; start: string; end: string; startMs: number } {
  const parsed = timedForm.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AppError('invalid_field', `${String(issue.path[0])}: ${issue.message}`, { field: String(issue.path[0]) });
  }
  const { subject, date, time, minutes } = parsed.data;
  const startMs = parseDateTime(`${date}T${time}`, zone);
  if (startMs === undefined) throw new AppError('invalid_field', 'That day and time do not exist.', { field: 'date' });
  const start = formatWallTime(wallTimeAt(startMs, zone));
  const end = formatWallTime(wallTimeAt(startMs + minutes * 60_000, zone));
  return { subject, start, end, startMs };
}

/** How many days in a row the booking repeats (1: a single booking). */
function repeatDays(form: URLSearchParams): number {
  const parsed = z.coerce.number().int().min(1).max(14).safeParse(form.get('days') ?? '1');
  if (!parsed.success) throw new AppError('invalid_field', 'days: 1 to 14 days in a row.', { field: 'days' });
  return parsed.data;
}

/** Step 4: a booking, written by Calendar Bridge into the user's Outlook calendar. */
export async function createBooking(ctx: ConsoleContext, form: URLSearchParams): Promise<DemoBooking> {
  const { connectionId, zone } = requireConnection(ctx);
  const { subject, start, end } = readTimedForm(form, zone);
  const days = repeatDays(form);
  const bookingId = `demo-${randomBytes(6).toString('hex')}`;
  const isOnlineMeeting = form.get('online') === 'on';
  // More than one day: a series of daily occurrences, one booking and one Outlook series.
  const recurrence = days > 1 ? { pattern: { type: 'daily' as const, interval: 1 }, range: { type: 'numbered' as const, numberOfOccurrences: days } } : undefined;
  const created = await answerOf<{ status: string; eventId?: string; onlineMeeting?: { provider: string; joinUrl: string | null } }>(
    (await api(ctx)).POST('/api/bookings', {
      body: { bookingId, connectionId, subject, start, end, timeZone: zone, body: 'Booked in the Calendar Bridge console', reminderMinutes: 15, recurrence, isOnlineMeeting },
    }),
  );
  const booking: DemoBooking = { bookingId, eventId: created.eventId, subject, start, end, status: created.status, ...(days > 1 ? { days } : {}) };
  if (created.onlineMeeting) Object.assign(booking, { meetingProvider: created.onlineMeeting.provider, joinUrl: created.onlineMeeting.joinUrl });
  ctx.session.bookings = [booking, ...(ctx.session.bookings ?? [])].slice(0, 10);
  return booking;
}

/** Step 5: the user adds an event in Outlook (the simulator notifies the app, as Graph would). */
export async function addOutlookEvent(ctx: ConsoleContext, form: URLSearchParams): Promise<void> {
  const { upn, zone } = requireConnection(ctx);
  const { subject, start, end } = readTimedForm(form, zone);
  await ctx.simulator.addEvent(upn, { subject, start: { dateTime: start, timeZone: zone }, end: { dateTime: end, timeZone: zone }, showAs: 'busy' });
}

/** Step 6: the booking system disconnects; events already written stay in Outlook. */
export async function disconnectCalendar(ctx: ConsoleContext): Promise<void> {
  const { connectionId } = requireConnection(ctx);
  await answerOf<unknown>((await api(ctx)).DELETE('/api/connections/{id}', { params: { path: { id: connectionId } } }));
}
