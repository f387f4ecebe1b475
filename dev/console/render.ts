// The console page: the walk-through as numbered steps, the week grid, the busy time and the live status.
// Plain forms posting to /api/console/actions/*, so every step also works without the script.
import { escapeHtml } from '../../shared/http/html.js';
import { wallTimeAt } from '../../shared/time/zoned-time.js';
import { CONSOLE_PATH } from './paths.js';
import { renderLiveStatus } from './live-status.js';
import type { ConsoleView } from './view.js';
import type { DemoBooking } from './session-store.js';
import { addDays, isoDate, renderWeekGrid, todayIn } from './week-grid.js';

const ACTIONS = `${CONSOLE_PATH}/actions`;

function actionForm(action: string, button: string, fields = '', options: { className?: string; from?: string } = {}): string {
  const from = options.from ? `<input type="hidden" name="from" value="${escapeHtml(options.from)}">` : '';
  return `<form class="inline" method="post" action="${ACTIONS}/${action}">${fields}${from}<button type="submit"${options.className ? ` class="${options.className}"` : ''}>${escapeHtml(button)}</button></form>`;
}

function step(n: number, title: string, state: 'done' | 'todo' | 'current', body: string, id: string): string {
  return `<section class="step ${state}" id="${id}" aria-labelledby="${id}-title"><h2 id="${id}-title">${n}. ${escapeHtml(title)}</h2>${body}</section>`;
}

/** A label above its control (not wrapping it, so the control's accessible name is the label alone). */
function field(id: string, label: string, control: string): string {
  return `<span class="field"><label for="${id}">${escapeHtml(label)}</label>${control}</span>`;
}

function timedFields(prefix: string, defaults: { subject: string; date: string; time: string; minutes: number }): string {
  return `${field(`${prefix}-subject`, 'Subject', `<input id="${prefix}-subject" name="subject" value="${escapeHtml(defaults.subject)}" required maxlength="255">`)}
${field(`${prefix}-date`, 'Day', `<input id="${prefix}-date" name="date" type="date" value="${defaults.date}" required>`)}
${field(`${prefix}-time`, 'Start', `<input id="${prefix}-time" name="time" type="time" value="${defaults.time}" required>`)}
${field(`${prefix}-minutes`, 'Minutes', `<input id="${prefix}-minutes" name="minutes" type="number" min="5" max="600" value="${defaults.minutes}" required>`)}`;
}

/** The join link of a booking made as an online meeting (GET /api/bookings/{id} has it once Outlook set it up). */
function meetingLink(b: DemoBooking): string {
  if (!b.meetingProvider) return '';
  const service = b.meetingProvider.startsWith('skype') ? 'Skype' : 'Teams';
  return b.joinUrl
    ? ` <a class="join" href="${escapeHtml(b.joinUrl)}" target="_blank" rel="noopener noreferrer">Join ${service} meeting</a>`
    : ` <span class="hint">${service} link not set up yet</span>`;
}

const dayTime = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
function when(ms: number, zone: string): string {
  const w = wallTimeAt(ms, zone);
  return `${dayTime.format(new Date(Date.UTC(w.year, w.month - 1, w.day)))} ${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
}

export function renderBusy(view: ConsoleView): string {
  const zone = view.ctx.session.timeZone ?? 'UTC';
  if (!view.busy) return '<p class="hint">Busy time appears here once a calendar is connected.</p>';
  const items = view.busy.intervals.map((i) => {
    const endMs = Date.parse(i.end);
    const end = wallTimeAt(endMs, zone);
    return `<li data-start="${escapeHtml(i.start)}" data-end="${escapeHtml(i.end)}">${escapeHtml(when(Date.parse(i.start), zone))}–${String(end.hour).padStart(2, '0')}:${String(end.minute).padStart(2, '0')} <span class="badge">${escapeHtml(i.showAs)}</span></li>`;
  });
  return `<p class="hint">GET /api/connections/{id}/busy for the week shown: source <strong>${escapeHtml(view.busy.source)}</strong>, as of ${escapeHtml(view.busy.asOf)}. Times in ${escapeHtml(zone)}.</p>
${items.length ? `<ul class="plain" id="busy-list">${items.join('')}</ul>` : '<p id="busy-list-empty">No busy time this week.</p>'}`;
}

export function renderGrid(view: ConsoleView): string {
  const { session } = view.ctx;
  if (!session.userPrincipalName) return '<p class="hint">The week of the connected person\'s Outlook calendars appears here.</p>';
  const first = view.week.days[0]!;
  const nav = `<p><a href="${CONSOLE_PATH}?from=${isoDate(addDays(first, -7))}#week">Previous week</a> · <a href="${CONSOLE_PATH}#week">This week</a> · <a href="${CONSOLE_PATH}?from=${isoDate(addDays(first, 7))}#week">Next week</a></p>`;
  return `${nav}${renderWeekGrid({
    caption: `Outlook calendars of ${session.userPrincipalName} (simulated), times in ${view.week.zone}. Blue: booked through Calendar Bridge; purple: added in Outlook; shaded: busy time as Calendar Bridge reports it.`,
    window: view.week,
    events: view.grid.events,
    busy: view.grid.busy,
  })}`;
}

/** The regions console.js refreshes (by id); the page renders the very same markup. */
export function liveRegions(view: ConsoleView): { busy: string; grid: string; status: string } {
  return {
    busy: `<div id="live-busy" data-live aria-live="polite">${renderBusy(view)}</div>`,
    grid: `<div id="live-grid" data-live>${renderGrid(view)}</div>`,
    status: `<div id="live-status" data-live>${renderLiveStatus(view.status, view.ctx.session.connectionId)}</div>`,
  };
}

export function renderConsole(view: ConsoleView, from: string): string {
  const { session } = view.ctx;
  const zone = session.timeZone ?? 'UTC';
  const connected = view.connection?.status === 'active';
  const flash = session.flash ? `<p class="flash ${session.flash.kind}" role="${session.flash.kind === 'error' ? 'alert' : 'status'}">${escapeHtml(session.flash.text)}</p>` : '';
  const problems = view.problems.length
    ? `<div class="flash error" role="alert"><p>Some parts could not be read:</p><ul>${view.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul></div>`
    : '';

  const client = session.clientId
    ? `<dl class="facts"><dt>Client</dt><dd>${escapeHtml(session.clientName ?? '')} <code>${escapeHtml(session.clientId)}</code></dd>
<dt>Webhook URL</dt><dd><code>${escapeHtml(`${view.ctx.baseUrl}${CONSOLE_PATH}/webhooks/…`)}</code> (this console receives and verifies them)</dd>
<dt>API key</dt><dd>${
        view.revealedApiKey
          ? `<div class="secret" id="api-key"><strong>Shown once:</strong> <code id="api-key-value">${escapeHtml(view.revealedApiKey)}</code></div><span class="hint">The console keeps it server-side for this demo; a booking system keeps it in its own secret store.</span>`
          : '<span id="api-key-hidden">hidden (it was shown once, when the client was created)</span>'
      }</dd></dl>`
    : `<p>The console plays a booking system. First the operator registers it: it gets an API key (shown once) and a webhook signing secret.</p>${actionForm('client', 'Create demo booking system')}`;

  const options = view.users
    .map((u) => `<option value="${escapeHtml(u.userPrincipalName)}"${u.userPrincipalName === session.userPrincipalName ? ' selected' : ''}>${escapeHtml(`${u.displayName} (${u.userPrincipalName})`)}</option>`)
    .join('');
  const connectBody = !session.clientId
    ? '<p class="hint">After step 1.</p>'
    : `${connected ? `<p>Connected: <strong>${escapeHtml(view.connection!.account.upn ?? '')}</strong>.</p>` : ''}
${actionForm('connect-link', connected ? 'Connect another person' : 'Create connect link', field('connect-user', 'Simulated person', `<select id="connect-user" name="userPrincipalName">${options}</select>`))}
${
  session.connectLinkUrl
    ? `<p><a class="button" id="connect-link" href="${escapeHtml(session.connectLinkUrl)}">Open the connect link</a></p>
<p class="hint">It leads through the simulator's Microsoft sign-in and consent pages (the real OAuth flow with PKCE) and back here. <code>${escapeHtml(session.connectLinkUrl)}</code></p>`
    : ''
}`;

  const c = view.connection;
  const calendarRows = (view.calendars ?? [])
    .map(
      (cal) => `<tr><td>${escapeHtml(cal.name)}</td><td>${cal.isDefault ? 'yes' : ''}</td><td>${cal.canEdit ? 'yes' : 'no'}</td>
<td>${c?.bookingCalendarId === cal.id ? 'bookings go here' : ''}${c?.busyCalendarIds.includes(cal.id) ? `${c?.bookingCalendarId === cal.id ? ', ' : ''}counts as busy` : ''}</td></tr>`,
    )
    .join('');
  const connectionBody = c
    ? `<dl class="facts"><dt>Status</dt><dd><span class="badge${c.status === 'active' ? ' ok' : ' bad'}" id="connection-status">${escapeHtml(c.status)}</span></dd>
<dt>Account</dt><dd>${escapeHtml(c.account.upn ?? '')}</dd><dt>Connection id</dt><dd><code>${escapeHtml(c.id)}</code></dd>
<dt>Subscriptions</dt><dd>${escapeHtml(c.subscriptions.status)} (${c.subscriptions.count})${c.subscriptions.nextExpiry ? `, next expiry ${escapeHtml(c.subscriptions.nextExpiry)}` : ''}</dd>
<dt>Last token refresh</dt><dd>${escapeHtml(c.lastTokenRefreshAt ?? '—')}</dd></dl>
${calendarRows ? `<table id="calendar-table"><caption class="visually-hidden">Calendars</caption><thead><tr><th scope="col">Calendar</th><th scope="col">Default</th><th scope="col">Can edit</th><th scope="col">Used for</th></tr></thead><tbody>${calendarRows}</tbody></table>` : ''}`
    : '<p class="hint">After step 2.</p>';

  const tomorrow = isoDate(addDays(todayIn(zone), 1));
  const bookings = (session.bookings ?? [])
    .map((b) => `<li><code>${escapeHtml(b.bookingId)}</code> ${escapeHtml(b.subject)}, ${escapeHtml(b.start.replace('T', ' ').slice(0, 16))}–${escapeHtml(b.end.slice(11, 16))}${b.days ? ` <span class="badge">series: daily ×${b.days}</span>` : ''} <span class="badge ok">${escapeHtml(b.status)}</span>${meetingLink(b)}</li>`)
    .join('');
  const bookingBody = connected
    ? `<p class="hint">POST /api/bookings with the API key; times are wall time in ${escapeHtml(zone)}, the person's time zone.</p>
${actionForm(
  'booking',
  'Create booking',
  `${timedFields('booking', { subject: 'Haircut with Sam', date: tomorrow, time: '10:00', minutes: 45 })}
${field('booking-days', 'Occurrences (daily)', '<input id="booking-days" name="days" type="number" min="1" max="14" value="1" required>')}
${field('booking-online', 'Teams meeting', '<input id="booking-online" name="online" type="checkbox">')}`,
  { from },
)}
${bookings ? `<ul class="plain" id="booking-list">${bookings}</ul>` : ''}`
    : '<p class="hint">After step 2.</p>';
  const outlookBody = connected
    ? `<p class="hint">Through the simulator's control API, as if ${escapeHtml(session.userPrincipalName ?? '')} added it in Outlook: Graph notifies Calendar Bridge, which syncs the calendar, updates busy time and sends a signed <code>busy.changed</code> webhook.</p>
${actionForm('outlook-event', 'Add event in Outlook', timedFields('outlook', { subject: 'Dentist', date: tomorrow, time: '14:00', minutes: 60 }), { from })}`
    : '<p class="hint">After step 2.</p>';
  const disconnectBody = connected
    ? `<p class="hint">DELETE /api/connections/{id}: tokens and subscriptions go; the events already written stay in Outlook.</p>${actionForm('disconnect', 'Disconnect', '', { className: 'danger' })}`
    : c
      ? `<p>The connection is <strong>${escapeHtml(c.status)}</strong>.</p>`
      : '<p class="hint">After step 2.</p>';

  const live = liveRegions(view);
  const state = (done: boolean, ready: boolean) => (done ? 'done' : ready ? 'current' : 'todo');
  const hasBooking = (session.bookings ?? []).length > 0;
  return `<header class="top"><div><h1>Calendar Bridge console</h1>
<p>Local only: this app on your machine, Azurite and the Microsoft 365 simulator. It plays a booking system; it is never served in Azure.</p></div>
${actionForm('reset', 'Start over')}</header>
<div class="layout"><main>${flash}${problems}
${step(1, 'Create a demo booking system', state(Boolean(session.clientId), true), client, 'step-client')}
${step(2, "Connect a simulated person's calendar", state(Boolean(c), Boolean(session.clientId)), connectBody, 'step-connect')}
${step(3, 'The connection and its calendars', state(connected, false), connectionBody, 'step-connection')}
${step(4, 'Create a booking', state(hasBooking, connected), bookingBody, 'step-booking')}
${step(5, 'Add an event in Outlook and watch busy time', state(false, connected), `${outlookBody}<h3>Busy time</h3>${live.busy}`, 'step-outlook')}
<section class="step" id="week" aria-labelledby="week-title"><h2 id="week-title">The week in Outlook</h2>${live.grid}</section>
${step(6, 'Disconnect', state(Boolean(c && c.status !== 'active'), connected), disconnectBody, 'step-disconnect')}
</main><aside aria-label="Live status"><section>${live.status}</section></aside></div>`;
}
