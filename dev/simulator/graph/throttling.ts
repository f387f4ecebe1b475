// Outlook's per (app, mailbox) limits, fault injection, and request counters. Limits are Outlook's
// defaults (4 concurrent, 10,000 per 10 minutes of sim time); the control API can lower them for tests.
// Limits: https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits (per app ID and
// mailbox). A throttled request gets 429 with Retry-After: https://learn.microsoft.com/en-us/graph/throttling;
// 503 and 504 as transient faults: https://learn.microsoft.com/en-us/graph/errors#http-status-codes
import { randomUUID } from 'node:crypto';
import type { SimClock, SimDirectory } from '../state.js';
import { GraphHttpError } from './errors.js';

export interface Limits {
  concurrency: number;
  requestsPerWindow: number;
  windowMs: number;
}
export const OUTLOOK_LIMITS: Limits = { concurrency: 4, requestsPerWindow: 10_000, windowMs: 10 * 60_000 };

/** Per (appId, mailbox): in-flight requests and the sim-clock times of recent ones. */
export class MailboxThrottle {
  limits: Limits = { ...OUTLOOK_LIMITS };
  private inflight = new Map<string, number>();
  private history = new Map<string, number[]>();

  constructor(private clock: SimClock) {}

  reset(): void {
    this.limits = { ...OUTLOOK_LIMITS };
    this.inflight.clear();
    this.history.clear();
  }

  /** Takes a slot or throws Outlook's 429; call the returned release when the request ends. */
  acquire(appId: string, mailboxId: string): () => void {
    const key = `${appId}|${mailboxId}`;
    const now = this.clock.now();
    const recent = (this.history.get(key) ?? []).filter((t) => t > now - this.limits.windowMs);
    this.history.set(key, recent);
    if (recent.length >= this.limits.requestsPerWindow) {
      const retryAfter = Math.max(1, Math.ceil((recent[0]! + this.limits.windowMs - now) / 1000));
      throw throttled('Application is over its MailboxRequests limit.', retryAfter);
    }
    const running = this.inflight.get(key) ?? 0;
    if (running >= this.limits.concurrency) throw throttled('Application is over its MailboxConcurrency limit.', 1);
    recent.push(now);
    this.inflight.set(key, running + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.inflight.get(key) ?? 1) - 1;
      if (n <= 0) this.inflight.delete(key);
      else this.inflight.set(key, n);
    };
  }
}

export function throttled(message: string, retryAfterSeconds: number): GraphHttpError {
  return new GraphHttpError(429, 'ApplicationThrottled', message, { 'Retry-After': String(retryAfterSeconds) });
}

export interface Fault {
  id: string;
  /** Case-insensitive substring of the endpoint key (e.g. "calendarView", "POST /users/{user}/events"); all when absent. */
  endpoint?: string;
  /** Mailbox id or UPN; all when absent. */
  mailbox?: string;
  /** Added latency in ms (real time), holding the request's concurrency slot. */
  latencyMs?: number;
  /** Share (0..1) of matching requests answered with `status` instead of running. */
  errorRate?: number;
  status?: 429 | 503 | 504;
  retryAfterSeconds?: number;
  /** Share (0..1) of matching notification deliveries dropped or sent twice. */
  dropNotifications?: number;
  duplicateNotifications?: number;
  /** Stops matching after this many hits (keeps tests deterministic). */
  remaining?: number;
}

const FAULT_CODES: Record<number, [string, string]> = {
  429: ['TooManyRequests', 'Too many requests.'],
  503: ['serviceNotAvailable', 'Service Unavailable'],
  504: ['GatewayTimeout', 'The gateway did not receive a timely response from the upstream service.'],
};

export class Faults {
  list: Fault[] = [];
  constructor(private directory: SimDirectory) {}

  add(input: Omit<Fault, 'id'>): Fault {
    const fault: Fault = { ...input, id: randomUUID() };
    this.list.push(fault);
    return fault;
  }

  private matches(fault: Fault, endpoint: string | undefined, mailboxId: string | undefined): boolean {
    if (fault.remaining !== undefined && fault.remaining <= 0) return false;
    if (fault.endpoint && !(endpoint ?? '').toLowerCase().includes(fault.endpoint.toLowerCase())) return false;
    if (fault.mailbox) {
      const target = this.directory.findUser(fault.mailbox)?.id ?? fault.mailbox;
      if (target !== mailboxId) return false;
    }
    return true;
  }

  private consume(fault: Fault): void {
    if (fault.remaining !== undefined) fault.remaining--;
  }

  /** The latency to add and the injected error, if any, for one request. */
  forRequest(endpoint: string, mailboxId: string | undefined): { latencyMs: number; error?: GraphHttpError } {
    let latencyMs = 0;
    for (const fault of this.list) {
      if (!this.matches(fault, endpoint, mailboxId)) continue;
      if (fault.latencyMs) latencyMs += fault.latencyMs;
      if (fault.errorRate && Math.random() < fault.errorRate) {
        this.consume(fault);
        const status = fault.status ?? 503;
        const [code, message] = FAULT_CODES[status] ?? FAULT_CODES[503]!;
        return { latencyMs, error: new GraphHttpError(status, code, message, { 'Retry-After': String(fault.retryAfterSeconds ?? 1) }) };
      }
      if (fault.latencyMs && !fault.errorRate) this.consume(fault);
    }
    return { latencyMs };
  }

  forNotification(mailboxId: string): 'drop' | 'duplicate' | undefined {
    for (const fault of this.list) {
      if (!this.matches(fault, undefined, mailboxId) || fault.endpoint) continue;
      if (fault.dropNotifications && Math.random() < fault.dropNotifications) {
        this.consume(fault);
        return 'drop';
      }
      if (fault.duplicateNotifications && Math.random() < fault.duplicateNotifications) {
        this.consume(fault);
        return 'duplicate';
      }
    }
    return undefined;
  }
}

/** Request counts per endpoint key, per mailbox, and per (mailbox, endpoint), for benchmarks. */
export class Counters {
  total = 0;
  throttled = 0;
  byEndpoint = new Map<string, number>();
  byMailbox = new Map<string, number>();
  byMailboxEndpoint = new Map<string, Map<string, number>>();

  count(endpoint: string, mailboxUpn?: string): void {
    this.total++;
    this.byEndpoint.set(endpoint, (this.byEndpoint.get(endpoint) ?? 0) + 1);
    if (!mailboxUpn) return;
    this.byMailbox.set(mailboxUpn, (this.byMailbox.get(mailboxUpn) ?? 0) + 1);
    const m = this.byMailboxEndpoint.get(mailboxUpn) ?? new Map<string, number>();
    m.set(endpoint, (m.get(endpoint) ?? 0) + 1);
    this.byMailboxEndpoint.set(mailboxUpn, m);
  }

  reset(): void {
    this.total = 0;
    this.throttled = 0;
    this.byEndpoint.clear();
    this.byMailbox.clear();
    this.byMailboxEndpoint.clear();
  }

  toJSON(): unknown {
    return {
      total: this.total,
      throttled: this.throttled,
      byEndpoint: Object.fromEntries(this.byEndpoint),
      byMailbox: Object.fromEntries(this.byMailbox),
      byMailboxEndpoint: Object.fromEntries([...this.byMailboxEndpoint].map(([k, v]) => [k, Object.fromEntries(v)])),
    };
  }
}
