// The console as the booking system's webhook receiver: verifies the Standard Webhooks signature with the
// `standardwebhooks` library and the client's signing secret (as the README's receiver does) and keeps the
// last deliveries, verified or not, for the page to show.
import type { Services } from '../../shared/services.js';
import { wallTimeAt } from '../../shared/time/zoned-time.js';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { sessionOfReceiver, storeWebhookReceipt } from './session-store.js';
import { signingSecretOf } from './walkthrough.js';

export const MAX_WEBHOOK_BYTES = 256 * 1024;

interface ReceivedEvent {
  id?: string;
  type?: string;
  data?: Record<string, unknown>;
}

/** 204 when verified (and kept), 401 when the signature is refused (kept too), 404 for an unknown receiver. */
export async function receiveConsoleWebhook(
  services: Services,
  receiverId: string,
  body: string,
  headers: Record<string, string>,
): Promise<number> {
  const session = await sessionOfReceiver(services, receiverId);
  const secret = session ? await signingSecretOf(services, session) : undefined;
  if (!session || !secret) return 404;
  const result = verify(secret, body, headers);
  let event: ReceivedEvent = {};
  try {
    event = JSON.parse(body) as ReceivedEvent;
  } catch {
    // Summarised as unreadable below.
  }
  await storeWebhookReceipt(services, receiverId, {
    receivedAt: new Date(),
    eventId: String(event.id ?? '?').slice(0, 100),
    type: String(event.type ?? 'unreadable').slice(0, 60),
    verified: result.ok,
    failure: result.ok ? undefined : result.reason,
    summary: summarise(event, session.timeZone ?? 'UTC'),
    start: event.type === 'busy.changed' && typeof event.data?.start === 'string' ? event.data.start : undefined,
    end: event.type === 'busy.changed' && typeof event.data?.end === 'string' ? event.data.end : undefined,
  });
  return result.ok ? 204 : 401;
}

/** The library's check (id, timestamp within 5 minutes, any one v1 signature), with its reason kept. */
function verify(secret: string, body: string, headers: Record<string, string>): { ok: true } | { ok: false; reason: string } {
  try {
    new Webhook(secret).verify(body, headers, { jsonParse: false });
    return { ok: true };
  } catch (error) {
    if (error instanceof WebhookVerificationError) return { ok: false, reason: error.message };
    throw error;
  }
}

function hhmm(iso: unknown, zone: string): string {
  const ms = Date.parse(String(iso));
  if (Number.isNaN(ms)) return '?';
  const w = wallTimeAt(ms, zone);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')} ${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
}

export function summarise(event: ReceivedEvent, zone: string): string {
  const data = event.data ?? {};
  switch (event.type) {
    case 'busy.changed': {
      const busy = Array.isArray(data.busy) ? data.busy.length : 0;
      return `Busy time changed between ${hhmm(data.start, zone)} and ${hhmm(data.end, zone)} (${zone}): ${busy} busy interval(s) there now.`;
    }
    case 'booking.changed_in_calendar':
    case 'booking.deleted_in_calendar':
      return `Booking ${String(data.bookingId ?? '?')} ${event.type === 'booking.deleted_in_calendar' ? 'was deleted' : 'was changed'} in Outlook.`;
    case 'booking.declined_in_calendar':
      return `Booking ${String(data.bookingId ?? '?')} was declined in Outlook.`;
    case 'connection.needs_reauth':
    case 'connection.disconnected':
      return `Connection ${String(data.connectionId ?? '?')}: ${event.type.slice('connection.'.length).replace('_', ' ')}.`;
    default:
      return event.type ? `Event ${event.type}.` : 'A body that is not a webhook event.';
  }
}
