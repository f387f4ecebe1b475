// Change and lifecycle notification delivery, as Graph does it: notifications for one URL raised together
// are batched into one changeNotificationCollection POST; a create yields created + updated; a non-2xx
// or no answer within 3 s (10 s on retries) is retried with exponential backoff on the sim clock, for
// up to 4 hours of sim time, driven by a real timer and by clock advances.
import { randomUUID } from 'node:crypto';
import type { SimState } from '../state.js';
import type { EventChange } from './store.js';
import type { Subscription, SubscriptionRegistry } from './subscriptions.js';
import type { Faults } from './throttling.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'retrying' | 'failed' | 'dropped';

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

export const graphDateTime = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '0000+00:00');

export class Notifier {
  readonly deliveries: Delivery[] = [];
  private batches = new Map<string, { kind: Delivery['kind']; value: Record<string, unknown>[] }>();
  private flushScheduled = false;
  private timer: NodeJS.Timeout;

  constructor(
    private state: SimState,
    private subscriptions: SubscriptionRegistry,
    private faults: Faults,
  ) {
    this.timer = setInterval(() => this.runDue(), 200);
    this.timer.unref();
    state.clock.onAdvance(() => this.runDue());
  }

  reset(): void {
    this.deliveries.length = 0;
    this.batches.clear();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Called for every event change in any mailbox. */
  onChange(change: EventChange): void {
    const types = change.changeType === 'created' ? ['created', 'updated'] : [change.changeType];
    for (const sub of this.subscriptions.active()) {
      if (sub.mailboxId !== change.mailboxId) continue;
      // A mailbox-wide subscription (/users/{id}/events) covers the default calendar only, as observed on
      // Outlook; a per-calendar one covers its calendar.
      if (sub.calendarId ? sub.calendarId !== change.calendarId : !change.isDefaultCalendar) continue;
      for (const type of types) {
        if (!sub.changeType.split(',').includes(type)) continue;
        const fault = this.faults.forNotification(change.mailboxId);
        const notification = changeNotification(sub, type, change);
        if (fault === 'drop') {
          this.record('change', sub.notificationUrl, { value: [notification] }, 'dropped');
          continue;
        }
        this.enqueue('change', sub.notificationUrl, notification);
        if (fault === 'duplicate') this.enqueue('change', sub.notificationUrl, notification);
      }
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
        for (const value of [first, again]) if (value.length) void this.attempt(this.record(b.kind, url, { value }, 'pending'));
      }
    });
  }

  private record(kind: Delivery['kind'], url: string, payload: Delivery['payload'], status: DeliveryStatus): Delivery {
    const delivery: Delivery = { id: randomUUID(), kind, url, payload, status, attempts: [], inFlight: false };
    this.deliveries.push(delivery);
    if (this.deliveries.length > MAX_KEPT) this.deliveries.splice(0, this.deliveries.length - MAX_KEPT);
    return delivery;
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
