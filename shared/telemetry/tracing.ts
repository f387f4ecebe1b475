// Spans around the app's calls to Graph, Table Storage and Key Vault, through the OpenTelemetry API. The API
// is a no-op until an SDK is registered (shared/telemetry/start.ts does, only when Application Insights is
// configured), so locally nothing is recorded or exported and the cost is a function call.
// Spans carry the connection and booking ids of the work in hand (set once with withTelemetryIds and read
// from the context), never a token, secret or key: attribute values are ids, names and status codes only.
import { context, createContextKey, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

export const TRACER_NAME = 'calendar-bridge';
export const CONNECTION_ID_ATTRIBUTE = 'calendar_bridge.connection.id';
export const BOOKING_ID_ATTRIBUTE = 'calendar_bridge.booking.id';

export interface TelemetryIds {
  connectionId?: string;
  bookingId?: string;
}

const IDS = createContextKey('calendar_bridge.ids');

/** Runs `fn` with these ids (added to those already set) on every span started inside it. */
export function withTelemetryIds<T>(ids: TelemetryIds, fn: () => T): T {
  const current = (context.active().getValue(IDS) as TelemetryIds | undefined) ?? {};
  const merged = { ...current, ...Object.fromEntries(Object.entries(ids).filter(([, v]) => v !== undefined)) };
  return context.with(context.active().setValue(IDS, merged), fn);
}

function idAttributes(): Attributes {
  const ids = context.active().getValue(IDS) as TelemetryIds | undefined;
  const attributes: Attributes = {};
  if (ids?.connectionId) attributes[CONNECTION_ID_ATTRIBUTE] = ids.connectionId;
  if (ids?.bookingId) attributes[BOOKING_ID_ATTRIBUTE] = ids.bookingId;
  return attributes;
}

/**
 * Runs `fn` inside a client span named `name`, with the ids of the context and `attributes`. A thrown
 * error marks the span failed with the error's name only (messages can quote what a service sent back).
 */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  const tracer = trace.getTracer(TRACER_NAME);
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes: { ...idAttributes(), ...attributes } }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      const status = (error as { statusCode?: unknown }).statusCode;
      if (typeof status === 'number') span.setAttribute('http.response.status_code', status);
      span.setAttribute('error.type', error instanceof Error ? error.name : 'Error');
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}
