// The hosted calendar picker: after the callback, a server-rendered form (no script) where the user chooses
// the booking calendar, the busy calendars and the default reminder. Its hidden token is the CSRF defence:
// 256 random bits, bound to one connection, stored hashed, expiring, consumed by the submit that uses it.
import { describeError } from '../logging.js';
import { requestSubscriptionSync } from '../sync/calendar-subscriptions.js';
import { randomBytes } from 'node:crypto';
import type { HttpResponseInit } from '@azure/functions';
import { escapeHtml, htmlPage } from '../http/html.js';
import { AppError, isAppError } from '../errors/app-error.js';
import { capabilityHash, PICKER_ROW, type PickerSessionEntity } from '../store/repositories/connect-links.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { ConcurrencyError } from '../store/errors.js';
import type { Services } from '../services.js';
import { withConnectionGraph } from '../auth/connection-tokens.js';
import { applyCalendarChoice, listCalendars, MAX_REMINDER_MINUTES, type CalendarInfo, type CalendarChoice } from './calendars.js';
import { connectedUrl } from './complete-connect.js';
import { sharedConsentLink } from './shared-calendar-consent.js';
import { missingSharedConsent, ownedByOthers } from './shared-calendars.js';

export const PICKER_TTL_MS = 30 * 60 * 1000;
export const PICKER_PATH = '/api/connect-picker';

/** Starts a picker session for a freshly connected connection and renders the form. */
export async function openPicker(services: Services, connection: ConnectionEntity, calendars: CalendarInfo[], returnUrl: string): Promise<HttpResponseInit> {
  const token = randomBytes(32).toString('base64url');
  const session: PickerSessionEntity = {
    partitionKey: capabilityHash(token),
    rowKey: PICKER_ROW,
    clientId: connection.partitionKey,
    connectionId: connection.rowKey,
    returnUrl,
    expiresAt: new Date(Date.now() + PICKER_TTL_MS),
  };
  await services.store.connectLinks.pickers.create(session);
  return pickerPage(token, connection, calendars, returnUrl);
}

export type PickerSubmitResult = { kind: 'redirect'; location: string } | { kind: 'page'; response: HttpResponseInit };

/** Handles the form post: validates against the live calendars, consumes the token, saves, goes back. */
export async function submitPicker(services: Services, form: URLSearchParams): Promise<PickerSubmitResult | AppError> {
  const token = form.get('token') ?? '';
  const found = /^[A-Za-z0-9_-]{43}$/.test(token) ? await services.store.connectLinks.getPicker(token) : null;
  if (!found || found.entity.expiresAt.getTime() <= Date.now())
    return new AppError('picker_expired', 'This form has expired or was already submitted.');
  const session = found.entity;
  const connection = await services.store.connections.require(session.clientId, session.connectionId);
  const calendars = await withConnectionGraph(connection.entity, listCalendars, services);

  let choice: CalendarChoice;
  let chosen: ConnectionEntity;
  try {
    choice = parseForm(form);
    chosen = applyCalendarChoice(connection.entity, choice, calendars); // validates; applied below to the current row
  } catch (error) {
    if (!isAppError(error)) throw error;
    return { kind: 'page', response: pickerPage(token, connection.entity, calendars, session.returnUrl, error.message, form) };
  }
  try {
    // Single use: the token row is deleted only if unchanged since read; a second submit finds nothing.
    await services.store.connectLinks.pickers.update({ ...session, expiresAt: new Date(0) }, found.etag);
  } catch (error) {
    if (error instanceof ConcurrencyError) return new AppError('picker_expired', 'This form was already submitted.');
    throw error;
  }
  await services.store.connectLinks.pickers.delete(session.partitionKey, PICKER_ROW).catch(() => undefined);
  // A calendar someone else shares: first the consent to reach it, then the callback saves this choice.
  // A link, not a redirect: the form's CSP allows posting to this app only, and Chromium applies form-action
  // to the redirects that follow a submit, so a redirect on to Microsoft's sign-in would be blocked.
  if (missingSharedConsent(chosen).length) {
    const url = await sharedConsentLink(services, connection.entity, session.returnUrl, choice);
    const page = htmlPage(
      'Allow access to shared calendars',
      `<h1>Allow access to shared calendars</h1><p>You chose a calendar someone else shares with you. Microsoft will ask you to allow access to calendars shared with you; your choice is saved after that.</p>
<p><a href="${escapeHtml(url)}">Continue to Microsoft</a></p>`,
    );
    return { kind: 'page', response: page };
  }
  const saved = await services.store.connections.mutate(session.clientId, session.connectionId, (current) => applyCalendarChoice(current, choice, calendars));
  await requestSubscriptionSync(services, saved.entity).catch((err: unknown) => console.warn(`picker: subscriptions not requested: ${describeError(err)}`));
  return { kind: 'redirect', location: connectedUrl(session.returnUrl, session.connectionId) };
}

function parseForm(form: URLSearchParams): CalendarChoice {
  const booking = form.get('bookingCalendarId');
  if (!booking) throw new AppError('invalid_field', 'Choose the calendar bookings go to.', { field: 'bookingCalendarId' });
  const reminderText = form.get('defaultReminderMinutes') ?? '';
  const reminder = Number(reminderText);
  if (!/^\d{1,5}$/.test(reminderText) || reminder > MAX_REMINDER_MINUTES)
    throw new AppError('invalid_field', `The reminder must be a whole number of minutes from 0 to ${MAX_REMINDER_MINUTES}.`, { field: 'defaultReminderMinutes' });
  return { bookingCalendarId: booking, busyCalendarIds: form.getAll('busyCalendarIds'), defaultReminderMinutes: reminder };
}

const REMINDER_CHOICES = [0, 5, 10, 15, 30, 60, 120, 1440];

function pickerPage(token: string, connection: ConnectionEntity, calendars: CalendarInfo[], returnUrl: string, error?: string, form?: URLSearchParams): HttpResponseInit {
  const booking = form?.get('bookingCalendarId') ?? connection.bookingCalendarId;
  const busy = new Set(form ? form.getAll('busyCalendarIds') : (connection.busyCalendarIds ?? []));
  const reminder = Number(form?.get('defaultReminderMinutes') ?? connection.defaultReminderMinutes ?? 15);
  const shared = ownedByOthers(connection, calendars);
  // A calendar someone else shares is marked: choosing it asks the person to allow access to shared calendars.
  const label = (c: CalendarInfo) =>
    `${escapeHtml(c.name)}${c.owner.address ? ` <span class="hint">(${shared(c) ? 'shared by ' : ''}${escapeHtml(c.owner.address)})</span>` : ''}`;
  const bookingOptions = calendars
    .filter((c) => c.canEdit)
    .map((c) => `<label><input type="radio" name="bookingCalendarId" value="${escapeHtml(c.id)}"${c.id === booking ? ' checked' : ''} required> ${label(c)}</label>`)
    .join('\n');
  const busyOptions = calendars
    .map((c) => `<label><input type="checkbox" name="busyCalendarIds" value="${escapeHtml(c.id)}"${busy.has(c.id) ? ' checked' : ''}> ${label(c)}</label>`)
    .join('\n');
  const reminderOptions = [...new Set([...REMINDER_CHOICES, reminder])]
    .sort((a, b) => a - b)
    .map((m) => `<option value="${m}"${m === reminder ? ' selected' : ''}>${m === 0 ? 'At start time' : `${m} minutes before`}</option>`)
    .join('');
  const alert = error ? `<p class="error" role="alert" id="picker-error">${escapeHtml(error)}</p>` : '';
  return htmlPage(
    'Choose your calendars',
    `<h1>Choose your calendars</h1><p class="hint">Signed in as ${escapeHtml(connection.upn ?? '')}</p>${alert}
<form method="post" action="${PICKER_PATH}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<fieldset><legend>Put new bookings in</legend>${bookingOptions}</fieldset>
<fieldset><legend>Check these calendars for busy time</legend>${busyOptions}</fieldset>
<p><label for="defaultReminderMinutes">Default reminder</label>
<select id="defaultReminderMinutes" name="defaultReminderMinutes">${reminderOptions}</select></p>
<button type="submit">Save and continue</button>
</form>`,
    error ? 400 : 200,
    [new URL(returnUrl).origin],
  );
}
