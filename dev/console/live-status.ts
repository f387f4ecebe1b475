// The console's live status: the app's Graph subscriptions with their expiry, the last notifications the
// simulator delivered to the app, the last webhooks this console received, and the timers' last runs.
import type { Services } from '../../shared/services.js';
import { escapeHtml } from '../../shared/http/html.js';
import { timerRuns, type TimerRunRecord } from '../host/timer-runs.js';
import { SUBSCRIPTION_RECORD_ROW } from '../../shared/store/repositories/subscriptions.js';
import { listWebhookReceipts, type WebhookReceipt } from './session-store.js';
import type { SimulatedDelivery, SimulatorControl } from './simulator-control.js';

const SHOWN = 8;

export interface SubscriptionRow {
  subscriptionId: string;
  connectionId: string;
  calendarId?: string;
  expiresAt: Date;
  /** The calendar's busy cache: synced (push sync is live), stale, or not yet filled. */
  cache: 'synced' | 'stale' | 'pending';
}

export interface LiveStatus {
  nowMs: number;
  subscriptions: SubscriptionRow[];
  notifications: SimulatedDelivery[];
  webhooks: WebhookReceipt[];
  timers: TimerRunRecord[];
}

export async function readLiveStatus(
  services: Services,
  simulator: SimulatorControl,
  receiverId: string | undefined,
  demoConnectionId?: string,
): Promise<LiveStatus> {
  const subscriptions: SubscriptionRow[] = [];
  for await (const { entity } of services.store.subscriptions.records.queryAll(`RowKey eq '${SUBSCRIPTION_RECORD_ROW}'`)) {
    subscriptions.push({ subscriptionId: entity.subscriptionId, connectionId: entity.connectionId, calendarId: entity.calendarId, expiresAt: entity.expiresAt, cache: 'pending' });
  }
  // The demo's own subscriptions first (others' may be many), then by expiry.
  const ours = (s: SubscriptionRow) => (s.connectionId === demoConnectionId ? 0 : 1);
  subscriptions.sort((a, b) => ours(a) - ours(b) || a.expiresAt.getTime() - b.expiresAt.getTime());
  const shown = subscriptions.slice(0, SHOWN);
  await Promise.all(
    shown.map(async (s) => {
      const state = s.calendarId ? await services.store.busy.getSyncState(s.connectionId, s.calendarId) : null;
      if (state) s.cache = state.entity.status;
    }),
  );
  const appUrl = `${services.config.publicBaseUrl}/`;
  const notifications = (await simulator.deliveries().catch(() => [] as SimulatedDelivery[])).filter((d) => d.url.startsWith(appUrl)).slice(-SHOWN).reverse();
  return { nowMs: Date.now(), subscriptions: shown, notifications, webhooks: await listWebhookReceipts(services, receiverId, SHOWN), timers: timerRuns() };
}

/** "in 6 d 23 h", "4 min ago". */
export function relativeTime(ms: number, nowMs: number): string {
  const delta = ms - nowMs;
  const abs = Math.abs(delta);
  const parts =
    abs < 60_000
      ? `${Math.round(abs / 1000)} s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 86_400_000
          ? `${Math.floor(abs / 3_600_000)} h ${Math.round((abs % 3_600_000) / 60_000)} min`
          : `${Math.floor(abs / 86_400_000)} d ${Math.floor((abs % 86_400_000) / 3_600_000)} h`;
  return delta >= 0 ? `in ${parts}` : `${parts} ago`;
}

const short = (id: string) => (id.length > 12 ? `${id.slice(0, 8)}…` : id);
const time = (iso: string | Date) => escapeHtml((typeof iso === 'string' ? iso : iso.toISOString()).replace('T', ' ').replace(/\.\d+Z$/, 'Z'));

export function renderWebhooks(webhooks: WebhookReceipt[], nowMs: number): string {
  if (webhooks.length === 0) return '<p class="hint">No webhook yet. They arrive when something changes in Outlook.</p>';
  const items = webhooks.map((w) => {
    const badge = w.verified
      ? '<span class="badge ok">signature verified</span>'
      : `<span class="badge bad">signature refused: ${escapeHtml(w.failure ?? 'invalid')}</span>`;
    const span = w.start && w.end ? ` data-start="${escapeHtml(w.start)}" data-end="${escapeHtml(w.end)}"` : '';
    return `<li data-type="${escapeHtml(w.type)}" data-verified="${w.verified}"${span}><strong>${escapeHtml(w.type)}</strong> ${badge}
<span class="hint">${relativeTime(w.receivedAt.getTime(), nowMs)}, <code>${escapeHtml(w.eventId)}</code></span><br>${escapeHtml(w.summary)}</li>`;
  });
  return `<ul class="plain" id="webhook-list">${items.join('')}</ul>`;
}

function renderSubscriptions(rows: SubscriptionRow[], nowMs: number, connectionId?: string): string {
  if (rows.length === 0) return '<p class="hint">No Graph subscription yet: connecting a calendar creates one per busy calendar.</p>';
  const body = rows
    .map(
      (s) => `<tr data-cache="${s.cache}"${s.connectionId === connectionId ? ' class="ours"' : ''}><td><code title="${escapeHtml(s.subscriptionId)}">${escapeHtml(short(s.subscriptionId))}</code></td>
<td><code title="${escapeHtml(s.connectionId)}">${escapeHtml(short(s.connectionId))}</code>${s.connectionId === connectionId ? ' (this demo)' : ''}</td>
<td>${time(s.expiresAt)}<br><span class="hint">${relativeTime(s.expiresAt.getTime(), nowMs)}</span></td>
<td>${s.cache === 'synced' ? '<span class="badge ok">synced</span>' : s.cache === 'stale' ? '<span class="badge bad">stale</span>' : '<span class="badge">first sync…</span>'}</td></tr>`,
    )
    .join('');
  return `<table id="subscription-table"><thead><tr><th scope="col">Subscription</th><th scope="col">Connection</th><th scope="col">Expires</th><th scope="col">Busy cache</th></tr></thead><tbody>${body}</tbody></table>`;
}

function renderNotifications(rows: SimulatedDelivery[]): string {
  if (rows.length === 0) return '<p class="hint">No notification yet.</p>';
  const items = rows.map((d) => {
    const kinds = [...new Set(d.payload.value.map((n) => n.changeType ?? n.lifecycleEvent ?? '?'))].join(', ');
    const last = d.attempts.at(-1);
    const answer = last?.status ? `answered ${last.status}` : (last?.error ?? 'not sent yet');
    return `<li><strong>${escapeHtml(kinds)}</strong> <span class="badge${d.status === 'delivered' ? ' ok' : ''}">${escapeHtml(d.status)}</span>
<span class="hint">${last ? time(last.at) : ''} · ${escapeHtml(d.kind)} · ${d.payload.value.length} item(s) · ${escapeHtml(answer)}</span></li>`;
  });
  return `<ul class="plain" id="notification-list">${items.join('')}</ul>`;
}

function renderTimers(rows: TimerRunRecord[], nowMs: number): string {
  if (rows.length === 0) return '<p class="hint">No timer is run by this host.</p>';
  const body = rows
    .map((t) => {
      const last = t.lastFinishedAt
        ? `${time(t.lastFinishedAt)} <span class="badge${t.lastOutcome === 'succeeded' ? ' ok' : ' bad'}">${t.lastOutcome}</span>`
        : '<span class="hint">not since start-up</span>';
      const next = t.nextRunAt ? `<span class="hint">${relativeTime(Date.parse(t.nextRunAt), nowMs)}</span>` : '';
      return `<tr data-timer="${escapeHtml(t.name)}"><th scope="row">${escapeHtml(t.name)}<br><code>${escapeHtml(t.schedule)}</code></th><td>${last}</td><td>${next}</td></tr>`;
    })
    .join('');
  return `<table id="timer-table"><thead><tr><th scope="col">Timer</th><th scope="col">Last run</th><th scope="col">Next</th></tr></thead><tbody>${body}</tbody></table>`;
}

export function renderLiveStatus(status: LiveStatus, connectionId?: string): string {
  return `<h2>Live status</h2><p class="live-note">Updates every 2 seconds.</p>
<h3>Last webhooks sent (received here)</h3><div aria-live="polite">${renderWebhooks(status.webhooks, status.nowMs)}</div>
<h3>Graph subscriptions</h3>${renderSubscriptions(status.subscriptions, status.nowMs, connectionId)}
<h3>Last notifications received</h3>${renderNotifications(status.notifications)}
<h3>Timers</h3>${renderTimers(status.timers, status.nowMs)}`;
}
