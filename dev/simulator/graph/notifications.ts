// Change and lifecycle notification delivery, as Graph does it: notifications for one URL raised together
// are batched into one changeNotificationCollection POST; a create yields created + updated, an edit
// several updated; a non-2xx or no answer within 3 s (10 s on retries) is retried with exponential
// backoff on the sim clock, for up to 4 hours of sim time, driven by a real timer and by clock advances.
// https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks
// Lifecycle on its own (https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events):
// reauthorizationRequired before a delegated subscription's access lapses, when it lapses, and at random
// (settings.reauthorizationRatePerHour); delivery for the subscription pauses until it is renewed or
// reauthorized, and what was held is dropped four hours into the pause; a revoked user's delegated
// subscriptions go with subscriptionRemoved; notifications lost (drop fault, dropped endpoint) send missed.
// Slow endpoints (same delivery page, "Throttling"): over 10% of answers slower than 3 s in a 10-minute
// window marks the URL slow (new notifications wait 10 minutes); over 15% slower than the 10-second retry
// timeout marks it drop (new notifications are dropped for 10 minutes).
import { randomUUID } from 'node:crypto';
import type { SimState } from '../state.js';
import type { EventChange } from './store.js';
import type { Subscription, SubscriptionRegistry } from './subscriptions.js';
import type { Faults } from './throttling.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'retrying' | 'failed' | 'dropped' | 'held';

export interface Delivery {
  id: string;
  kind: 'change' | 'lifecycle';
  url: string;
  payload: { value: Record<string, unknown>[] };
  status: DeliveryStatus;
  attempts: { at: string; status?: number; error?: string }[];
  firstAttemptMs?: number;
  nextAttemptMs?: number;
  inFlight: boolean;
}

const FIRST_TIMEOUT_MS = 3_000;
const RETRY_TIMEOUT_MS = 10_000;
const RETRY_WINDOW_MS = 4 * 3600_000;
const MAX_KEPT = 5_000;
/** Before the access lapses: MSAL renews a token within 5 minutes of its expiry, so a renewal then gets a fresh one. */
const REAUTH_LEAD_MS = 4 * 60_000;
const PAUSE_DROP_MS = 4 * 3600_000;
const HEALTH_WINDOW_MS = 10 * 60_000;
/** Answers counted before an endpoint is judged (the 2023 text: "after the endpoint has received 100 notifications"). */
const HEALTH_MIN_ANSWERS = 100;

interface EndpointHealth {
  windowStartMs: number;
  answers: number;
  over3s: number;
  over10s: number;
  state: 'normal' | 'slow' | 'drop';
  untilMs: number;
}

export const graphDateTime = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '0000+00:00');

export class Notifier {
  readonly deliveries: Delivery[] = [];
  private batches = new Map<string, { kind: Delivery['kind']; value: Record<string, unknown>[] }>();
  private flushScheduled = false;
  private timer: NodeJS.Timeout;
  private lastTickMs: number;
  private health = new Map<string, EndpointHealth>();

  constructor(
    private state: SimState,
    private subscriptions: SubscriptionRegistry,
    private faults: Faults,
  ) {
    this.lastTickMs = state.clock.now();
    this.timer = setInterval(() => this.tick(), 200);
    this.timer.unref();
    state.clock.onAdvance(() => this.tick());
    state.userRevokedHooks.push((userId) => this.removeUserSubscriptions(userId));
  }

  reset(): void {
    this.deliveries.length = 0;
    this.batches.clear();
    this.health.clear();
  }

  /** Every notification URL Graph has judged, with its state and the current window's counts (control API). */
  endpoints(): ({ url: string } & EndpointHealth)[] {
    return [...this.health.keys()].map((url) => ({ url, ...this.currentHealth(url) }));
  }

  private tick(): void {
    this.lifecycleTick();
    this.runDue();
  }

  private lifecycleTick(): void {
    const now = this.state.clock.now();
    const hours = Math.max(0, now - this.lastTickMs) / 3600_000;
    this.lastTickMs = now;
    const rate = this.state.settings.reauthorizationRatePerHour;
    for (const sub of this.subscriptions.active()) {
      if (!sub.lifecycleNotificationUrl) continue;
      if (sub.paused) {
        if (now - sub.paused.sinceMs > PAUSE_DROP_MS && sub.paused.held.length) {
          this.record('change', sub.notificationUrl, { value: sub.paused.held }, 'dropped');
          sub.paused.held = [];
        }
        continue;
      }
      const access = sub.delegatedUserId ? sub.accessExpiresMs : undefined;
      sub.challenged ??= {};
      if (access !== undefined && now >= access && sub.challenged.lapsedMs !== access) {
        sub.challenged.lapsedMs = access;
        this.challenge(sub);
      } else if (access !== undefined && now >= access - REAUTH_LEAD_MS && sub.challenged.beforeMs !== access) {
        sub.challenged.beforeMs = access;
        this.challenge(sub);
      } else if (rate > 0 && hours > 0 && Math.random() < 1 - (1 - rate) ** hours) this.challenge(sub);
    }
  }

  /** reauthorizationRequired, and delivery paused until the subscription is renewed or reauthorized. */
  challenge(sub: Subscription): Delivery {
    sub.paused ??= { sinceMs: this.state.clock.now(), held: [] };
    return this.lifecycle(sub, 'reauthorizationRequired');
  }

  /** A renewal or reauthorization: delivery resumes with what was held; the access runs on the new token. */
  resume(sub: Subscription, caller: { userId?: string; expiresAtMs?: number }): void {
    if (sub.delegatedUserId && caller.expiresAtMs !== undefined) sub.accessExpiresMs = caller.expiresAtMs;
    const held = sub.paused?.held ?? [];
    sub.paused = undefined;
    for (const notification of held) this.enqueue('change', sub.notificationUrl, notification);
  }

  /** Sessions revoked or password reset: the user's delegated subscriptions are removed. */
  private removeUserSubscriptions(userId: string): void {
    for (const sub of this.subscriptions.active()) {
      if (sub.delegatedUserId !== userId) continue;
      if (sub.lifecycleNotificationUrl) this.lifecycle(sub, 'subscriptionRemoved');
      this.subscriptions.delete(sub.id);
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Called for every event change in any mailbox. */
  onChange(change: EventChange): void {
    const { settings } = this.state;
    const types =
      change.changeType === 'created'
        ? ['created', 'updated']
        : change.changeType === 'updated'
          ? Array.from({ length: 1 + settings.extraUpdatedPerEdit }, () => 'updated')
          : [change.changeType];
    for (const sub of this.subscriptions.active()) {
      if (sub.mailboxId !== change.mailboxId) continue;
      // A mailbox-wide subscription (/users/{id}/events) covers the default calendar only, as observed on
      // Outlook; a per-calendar one covers its calendar.
      if (sub.calendarId ? sub.calendarId !== change.calendarId : !change.isDefaultCalendar) continue;
      let lost = false;
      for (const type of types) {
        if (!sub.changeType.split(',').includes(type)) continue;
        const fault = this.faults.forNotification(change.mailboxId);
        const notification = changeNotification(sub, type, change);
        if (fault === 'drop' || this.currentHealth(sub.notificationUrl).state === 'drop') {
          this.record('change', sub.notificationUrl, { value: [notification] }, 'dropped');
          lost = true;
          continue;
        }
        if (sub.paused) {
          sub.paused.held.push(notification);
          continue;
        }
        const copies = fault === 'duplicate' ? 2 : 1;
        const latency = Math.random() * settings.notificationLatencyMs;
        for (let i = 0; i < copies; i++) {
          if (latency < 1) this.enqueue('change', sub.notificationUrl, notification);
          else setTimeout(() => this.enqueue('change', sub.notificationUrl, notification), latency).unref();
        }
      }
      // "missed lifecycle events alert you that some change notifications weren't delivered."
      if (lost && sub.lifecycleNotificationUrl) this.lifecycle(sub, 'missed');
    }
  }

  /** Sends a lifecycle notification (reauthorizationRequired, subscriptionRemoved, missed). */
  lifecycle(sub: Subscription, lifecycleEvent: string): Delivery {
    const payload = {
      value: [
        {
          lifecycleEvent,
          subscriptionId: sub.id,
          subscriptionExpirationDateTime: graphDateTime(sub.expirationMs),
          clientState: sub.clientState ?? null,
          tenantId: sub.tenantId,
        },
      ],
    };
    const delivery = this.record('lifecycle', sub.lifecycleNotificationUrl!, payload, 'pending');
    void this.attempt(delivery);
    return delivery;
  }

  private enqueue(kind: Delivery['kind'], url: string, notification: Record<string, unknown>): void {
    const key = `${kind} ${url}`;
    const batch = this.batches.get(key) ?? { kind, value: [] };
    batch.value.push(notification);
    this.batches.set(key, batch);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batches = [...this.batches];
      this.batches.clear();
      for (const [key, b] of batches) {
        const url = key.slice(key.indexOf(' ') + 1);
        // Duplicates go in their own POST, as replays do.
        const seen = new Set<string>();
        const first: Record<string, unknown>[] = [];
        const again: Record<string, unknown>[] = [];
        for (const n of b.value) {
          const k = JSON.stringify(n);
          (seen.has(k) ? again : first).push(n);
          seen.add(k);
        }
        for (const value of [first, again]) {
          if (!value.length) continue;
          const delivery = this.record(b.kind, url, { value }, 'pending');
          // A slow endpoint gets new notifications after a 10-minute delay.
          if (b.kind === 'change' && this.currentHealth(url).state === 'slow') {
            delivery.status = 'retrying';
            delivery.nextAttemptMs = this.state.clock.now() + HEALTH_WINDOW_MS;
          } else void this.attempt(delivery);
        }
      }
    });
  }

  private record(kind: Delivery['kind'], url: string, payload: Delivery['payload'], status: DeliveryStatus): Delivery {
    const delivery: Delivery = { id: randomUUID(), kind, url, payload, status, attempts: [], inFlight: false };
    this.deliveries.push(delivery);
    if (this.deliveries.length > MAX_KEPT) this.deliveries.splice(0, this.deliveries.length - MAX_KEPT);
    return delivery;
  }

  private currentHealth(url: string): EndpointHealth {
    const now = this.state.clock.now();
    let h = this.health.get(url);
    if (!h || now - h.windowStartMs >= HEALTH_WINDOW_MS) {
      // A new window; a slow or dropped endpoint leaves that state once its 10 minutes are over.
      const state = h && now < h.untilMs ? h.state : 'normal';
      h = { windowStartMs: now, answers: 0, over3s: 0, over10s: 0, state, untilMs: h && state !== 'normal' ? h.untilMs : 0 };
      this.health.set(url, h);
    }
    if (h.state !== 'normal' && now >= h.untilMs) h.state = 'normal';
    return h;
  }

  private measure(url: string, elapsedMs: number, retry: boolean): void {
    const h = this.currentHealth(url);
    h.answers += 1;
    if (elapsedMs > FIRST_TIMEOUT_MS) h.over3s += 1;
    if (retry && elapsedMs > RETRY_TIMEOUT_MS) h.over10s += 1;
    if (h.answers < HEALTH_MIN_ANSWERS) return;
    const until = this.state.clock.now() + HEALTH_WINDOW_MS;
    if (h.over10s / h.answers > 0.15) Object.assign(h, { state: 'drop', untilMs: until });
    else if (h.over3s / h.answers > 0.1 && h.state === 'normal') Object.assign(h, { state: 'slow', untilMs: until });
  }

  private runDue(): void {
    const now = this.state.clock.now();
    for (const d of this.deliveries)
      if (d.status === 'retrying' && !d.inFlight && d.nextAttemptMs !== undefined && d.nextAttemptMs <= now) void this.attempt(d);
  }

  private async attempt(delivery: Delivery): Promise<void> {
    delivery.inFlight = true;
    const now = this.state.clock.now();
    delivery.firstAttemptMs ??= now;
    const retry = delivery.attempts.length > 0;
    const attempt: Delivery['attempts'][number] = { at: new Date(now).toISOString() };
    delivery.attempts.push(attempt);
    const started = performance.now();
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: JSON.stringify(delivery.payload),
        signal: AbortSignal.timeout(retry ? RETRY_TIMEOUT_MS : FIRST_TIMEOUT_MS),
      });
      attempt.status = response.status;
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) {
        delivery.status = 'delivered';
        delivery.nextAttemptMs = undefined;
        return;
      }
    } catch (error) {
      attempt.error = error instanceof Error ? error.name === 'TimeoutError' ? 'timeout' : error.message : String(error);
    } finally {
      delivery.inFlight = false;
      if (delivery.kind === 'change') this.measure(delivery.url, performance.now() - started, retry);
    }
    const at = this.state.clock.now();
    const backoff = Math.min(10_000 * 2 ** (delivery.attempts.length - 1), 30 * 60_000);
    if (at + backoff - delivery.firstAttemptMs > RETRY_WINDOW_MS) {
      delivery.status = 'failed';
      delivery.nextAttemptMs = undefined;
    } else {
      delivery.status = 'retrying';
      delivery.nextAttemptMs = at + backoff;
    }
  }
}

export type { EndpointHealth };

function changeNotification(sub: Subscription, changeType: string, change: EventChange): Record<string, unknown> {
  const eventId = sub.immutableIds ? change.immutableId : change.eventId;
  const resource = `Users/${change.mailboxId}/Events/${eventId}`;
  return {
    subscriptionId: sub.id,
    subscriptionExpirationDateTime: graphDateTime(sub.expirationMs),
    changeType,
    resource,
    resourceData: { '@odata.type': '#Microsoft.Graph.Event', '@odata.id': resource, '@odata.etag': change.etag, id: eventId },
    clientState: sub.clientState ?? null,
    tenantId: sub.tenantId,
  };
}
