// How a move of future bookings shows on the connection (`move` on GET /api/connections/{id}).
import * as z from 'zod';

export const bookingMoveSchema = z
  .object({
    id: z.string(),
    state: z.enum(['running', 'done']),
    kind: z.enum(['calendar', 'account']).describe('calendar: the booking calendar was switched; account: adopted from another connection of the same user'),
    fromConnectionId: z.string(),
    fromCalendarId: z.string().optional(),
    toCalendarId: z.string(),
    since: z.string().describe('bookings ending after this instant (UTC) are moved'),
    total: z.number().int().optional().describe('future bookings found; absent until the first page ran'),
    moved: z.number().int(),
    failed: z.number().int(),
    leftInOldCalendar: z.number().int().describe('moved, but the old event could not be removed (the old connection had lost access)'),
    failedBookingIds: z.array(z.string()).describe('at most 100'),
    startedAt: z.string(),
    finishedAt: z.string().optional(),
  })
  .describe('The latest move of future bookings into this connection');

export type BookingMoveView = z.infer<typeof bookingMoveSchema>;

/** What the API shows of a move: its progress, not the worker's cursor and lease. */
export function bookingMoveView(move: BookingMoveView): BookingMoveView {
  return bookingMoveSchema.parse(move);
}
