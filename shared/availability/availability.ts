// POST /api/availability: the free slots common to up to 50 connections of the caller (team scheduling).
// Each connection's busy time comes from its cache (one Table query each, all at once: storage serves
// partitions in parallel) or, for the ones the cache cannot answer, a live read a few at a time, which is
// enough since each live read is one $batch against its own mailbox.
import { z } from 'zod';
import { externalId } from '../bookings/booking-request.js';
import { requireConnection } from '../bookings/connection-access.js';
import type { Services } from '../services.js';
import { commonSlots } from '../time/intervals.js';
import { parseDateTime, toUtcIso } from '../time/zoned-time.js';
import { readBusyFromCache, readBusyLive, type BusyResult } from './busy.js';
import { checkWindow, isoInstant, windowOf } from './time-window.js';

export const MAX_AVAILABILITY_CONNECTIONS = 50;
/** Connections whose busy time is read live (from Graph) at once. */
export const AVAILABILITY_CONCURRENCY = 8;
export const MAX_SLOTS = 5000;

export const availabilityRequest = z
  .strictObject({
    connectionIds: z
      .array(externalId)
      .min(1)
      .max(MAX_AVAILABILITY_CONNECTIONS)
      .refine((ids) => new Set(ids).size === ids.length, { message: 'connection ids must be unique' }),
    start: isoInstant,
    end: isoInstant,
    durationMinutes: z.number().int().min(5).max(24 * 60),
    /** Step between slot starts; defaults to the duration. */
    slotMinutes: z.number().int().min(5).max(24 * 60).optional(),
  })
  .superRefine(checkWindow);

export type AvailabilityRequest = z.infer<typeof availabilityRequest>;

export const availabilityResponse = z.object({
  start: z.string(),
  end: z.string(),
  durationMinutes: z.number(),
  slotMinutes: z.number(),
  slots: z.array(z.object({ start: z.string(), end: z.string() })).describe(`free for every connection, UTC; at most ${MAX_SLOTS}`),
  truncated: z.boolean(),
  connections: z.array(z.object({ connectionId: z.string(), source: z.enum(['cache', 'live']), asOf: z.string() })),
});

export type AvailabilityResponse = z.infer<typeof availabilityResponse>;

export async function findAvailability(services: Services, clientId: string, request: AvailabilityRequest): Promise<AvailabilityResponse> {
  const window = windowOf(request);
  // Every connection is checked before any Graph call, so a bad id costs nothing.
  const connections = await Promise.all(request.connectionIds.map((id, i) => requireConnection(services, clientId, id, `connectionIds.${i}`)));
  const cached = await Promise.all(connections.map((connection) => readBusyFromCache(services, connection, window)));
  const live = cached.flatMap((c, i) => (c ? [] : [i]));
  const fetched = await mapBounded(live, AVAILABILITY_CONCURRENCY, (i) => readBusyLive(services, connections[i]!, window, `connectionIds.${i}`));
  let next = 0; // the live results come in the order of `live`, which is the connections' order
  const results: BusyResult[] = cached.map((c) => c ?? fetched[next++]!);
  const busy = results.map((r) => r.intervals.map((b) => ({ start: parseDateTime(b.start, 'UTC')!, end: parseDateTime(b.end, 'UTC')! })));
  const slotMinutes = request.slotMinutes ?? request.durationMinutes;
  const slots = commonSlots(busy, { start: window.start.getTime(), end: window.end.getTime() }, request.durationMinutes * 60_000, slotMinutes * 60_000);
  return {
    start: toUtcIso(window.start.getTime()),
    end: toUtcIso(window.end.getTime()),
    durationMinutes: request.durationMinutes,
    slotMinutes,
    slots: slots.slice(0, MAX_SLOTS).map((s) => ({ start: toUtcIso(s.start), end: toUtcIso(s.end) })),
    truncated: slots.length > MAX_SLOTS,
    connections: results.map((r, i) => ({ connectionId: connections[i]!.rowKey, source: r.source, asOf: r.asOf.toISOString() })),
  };
}

/** Maps with at most `limit` calls running; the first failure rejects (the rest finish unobserved). */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
