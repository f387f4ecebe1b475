// The [start, end) window of a busy or availability query: ISO 8601 instants with an offset, end after
// start, at most 62 days (Graph's own limit for free/busy, and the window the busy cache keeps).
import * as z from 'zod';
import { hasOffset, parseDateTime } from '../time/zoned-time.js';

export const MAX_WINDOW_DAYS = 62;

export const isoInstant = z
  .string()
  .max(40)
  .refine((v) => hasOffset(v) && parseDateTime(v, 'UTC') !== undefined, { message: 'an ISO 8601 date-time with an offset, e.g. 2030-03-04T09:00:00Z' })
  .describe('ISO 8601 date-time with an offset (Z or ±hh:mm)');

/** Adds the window checks to an object schema with start and end. */
export function checkWindow(value: { start: string; end: string }, ctx: z.RefinementCtx): void {
  const start = parseDateTime(value.start, 'UTC')!;
  const end = parseDateTime(value.end, 'UTC')!;
  if (end <= start) ctx.addIssue({ code: 'custom', path: ['end'], message: 'end must be after start' });
  else if (end - start > MAX_WINDOW_DAYS * 86_400_000) {
    ctx.addIssue({ code: 'custom', path: ['end'], message: `the window may span at most ${MAX_WINDOW_DAYS} days` });
  }
}

export interface TimeWindow {
  start: Date;
  end: Date;
}

export function windowOf(value: { start: string; end: string }): TimeWindow {
  return { start: new Date(parseDateTime(value.start, 'UTC')!), end: new Date(parseDateTime(value.end, 'UTC')!) };
}
