// What the console asks the Microsoft 365 simulator's control API (/_sim): its people, their calendars and
// events, changes "as the user in Outlook", and the log of notifications it delivered to the app.
import { IMMUTABLE_ID_PREFERENCE } from '../../shared/graph/immutable-ids.js';

export interface SimulatedUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  kind: 'user' | 'room';
  timeZone: string;
}

export interface SimulatedCalendar {
  id: string;
  name: string;
  isDefaultCalendar?: boolean;
}

export interface SimulatedEvent {
  id: string;
  subject?: string;
  start: { dateTime: string; timeZone: string };
  end: { dateTime: string; timeZone: string };
  isAllDay?: boolean;
  isCancelled?: boolean;
  showAs?: string;
  transactionId?: string;
  /** An occurrence or exception of a series: its series master. */
  seriesMasterId?: string | null;
}

export interface SimulatedDelivery {
  id: string;
  kind: string;
  url: string;
  status: string;
  payload: { value: { subscriptionId?: string; changeType?: string; lifecycleEvent?: string; resource?: string }[] };
  attempts: { at: string; status?: number; error?: string }[];
}

export class SimulatorControl {
  constructor(private readonly baseUrl: string) {}

  async users(): Promise<SimulatedUser[]> {
    return (await this.call<{ value: SimulatedUser[] }>('GET', '/users')).value;
  }

  user(upn: string): Promise<SimulatedUser> {
    return this.call('GET', `/users/${encodeURIComponent(upn)}`);
  }

  async calendars(upn: string): Promise<SimulatedCalendar[]> {
    return (await this.call<{ value: SimulatedCalendar[] }>('GET', `/graph/users/${encodeURIComponent(upn)}/calendars`)).value;
  }

  /** The expanded view of one calendar over a window (times in UTC). */
  async events(upn: string, calendarId: string, startUtc: string, endUtc: string): Promise<SimulatedEvent[]> {
    const query = new URLSearchParams({ startDateTime: startUtc, endDateTime: endUtc });
    const path = `/graph/users/${encodeURIComponent(upn)}/calendars/${encodeURIComponent(calendarId)}/events?${query}`;
    return (await this.call<{ value: SimulatedEvent[] }>('GET', path)).value;
  }

  /** An event added by the user in Outlook: the simulator notifies subscribers as Graph would. */
  addEvent(upn: string, event: Record<string, unknown>): Promise<SimulatedEvent> {
    return this.call('POST', `/graph/users/${encodeURIComponent(upn)}/events`, event);
  }

  async deliveries(): Promise<SimulatedDelivery[]> {
    return (await this.call<{ value: SimulatedDelivery[] }>('GET', '/graph/notifications')).value;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}/_sim${path}`, {
      method,
      // Event ids as the app holds them: it asks Graph for immutable ids.
      headers: { Prefer: IMMUTABLE_ID_PREFERENCE, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (res.status >= 400) {
      const message = (JSON.parse(text || '{}') as { error?: { message?: string } }).error?.message ?? text;
      throw new Error(`simulator ${method} ${path.split('?')[0]}: ${res.status} ${message}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
