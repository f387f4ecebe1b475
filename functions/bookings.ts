// The bookings API (API key): POST /api/bookings, GET/PATCH/DELETE /api/bookings/{bookingId}.
// Always scoped to the calling client; the work is in shared/bookings.
import * as z from 'zod';
import { createBookingRequest, externalId, updateBookingRequest } from '../shared/bookings/booking-request.js';
import { bookingView, toBookingView } from '../shared/bookings/booking-view.js';
import { cancelBooking, cancelBookingRequest } from '../shared/bookings/cancel-booking.js';
import { CONNECTION_PROBLEMS } from '../shared/bookings/connection-access.js';
import { createBooking } from '../shared/bookings/create-booking.js';
import { getBooking } from '../shared/bookings/get-booking.js';
import { cancelOccurrence, occurrenceParams, updateOccurrence, updateOccurrenceRequest } from '../shared/bookings/occurrences.js';
import { updateBooking } from '../shared/bookings/update-booking.js';
import { PAUSE_PROBLEMS } from '../shared/admin/pause.js';
import { GRAPH_PROBLEMS } from '../shared/graph/graph-problems.js';
import { apiRoute } from '../shared/http/api-route.js';
import { withTelemetryIds } from '../shared/telemetry/tracing.js';

const route = 'bookings/{bookingId}';
const params = z.object({ bookingId: externalId });
const tag = 'Bookings';

export const createBookingFunction = apiRoute({
  name: 'createBooking',
  route: 'bookings',
  method: 'POST',
  auth: 'apiKey',
  body: createBookingRequest,
  answers: { 200: bookingView, 201: bookingView },
  problems: ['booking_id_conflict', 'booking_in_progress', 'booking_cancelled', 'space_not_found', 'tenant_consent_required', 'online_meeting_unavailable', ...CONNECTION_PROBLEMS, ...GRAPH_PROBLEMS, ...PAUSE_PROBLEMS],
  doc: {
    tag,
    summary: 'Create a booking: one Outlook event, exactly once per bookingId',
    example: {
      bookingId: 'appt-1042',
      connectionId: 'c0a1b2c3-d4e5-4f60-8718-293a4b5c6d7e',
      subject: 'Haircut with Sam',
      start: '2030-05-06T09:00:00',
      end: '2030-05-06T09:45:00',
      timeZone: 'Europe/London',
      reminderMinutes: 30,
    },
  },
  handle: async ({ services, client, body }) => {
    const ids = { connectionId: body.connectionId, bookingId: body.bookingId };
    const { created, booking } = await withTelemetryIds(ids, () => createBooking(services, client, body));
    const headers = { Location: `/api/bookings/${encodeURIComponent(booking.rowKey)}` };
    return { status: created ? 201 : 200, body: toBookingView(booking), headers };
  },
});

export const getBookingFunction = apiRoute({
  name: 'getBooking',
  route,
  method: 'GET',
  auth: 'apiKey',
  params,
  answers: { 200: bookingView },
  problems: ['invalid_field', 'booking_not_found', ...CONNECTION_PROBLEMS, ...GRAPH_PROBLEMS],
  doc: { tag, summary: 'Read a booking and its event as Outlook has it' },
  handle: async ({ services, client, params }) => ({ status: 200, body: await getBooking(services, client.rowKey, params.bookingId) }),
});

export const updateBookingFunction = apiRoute({
  name: 'updateBooking',
  route,
  method: 'PATCH',
  auth: 'apiKey',
  params,
  body: updateBookingRequest,
  answers: { 200: bookingView },
  problems: ['invalid_field', 'booking_not_found', 'booking_cancelled', 'booking_in_progress', 'event_changed_in_calendar', 'event_deleted_in_calendar', 'space_not_found', 'online_meeting_unavailable', ...CONNECTION_PROBLEMS, ...GRAPH_PROBLEMS, ...PAUSE_PROBLEMS],
  doc: { tag, summary: 'Reschedule or change a booking (409 when changed in Outlook, unless force)', example: { start: '2030-05-07T10:00:00', end: '2030-05-07T10:45:00' } },
  handle: async ({ services, client, params, body }) => ({ status: 200, body: await updateBooking(services, client, params.bookingId, body) }),
});

export const cancelBookingFunction = apiRoute({
  name: 'cancelBooking',
  route,
  method: 'DELETE',
  auth: 'apiKey',
  params,
  // Optional: { "message": "..." } for the attendees' cancellation notice.
  body: cancelBookingRequest.optional(),
  answers: { 200: bookingView },
  problems: ['invalid_field', 'booking_not_found', 'booking_in_progress', 'space_not_found', ...CONNECTION_PROBLEMS, ...GRAPH_PROBLEMS, ...PAUSE_PROBLEMS],
  doc: { tag, summary: 'Cancel a booking (idempotent)', example: { message: 'Sorry, Sam is ill.' } },
  handle: async ({ services, client, params, body }) => ({ status: 200, body: await cancelBooking(services, client, params.bookingId, body?.message) }),
});

const occurrenceRoute = 'bookings/{bookingId}/occurrences/{occurrenceDate}';
const occurrenceProblems = ['invalid_field', 'booking_not_found', 'booking_cancelled', 'booking_in_progress', 'occurrence_not_found', ...CONNECTION_PROBLEMS, ...GRAPH_PROBLEMS, ...PAUSE_PROBLEMS] as const;

export const updateOccurrenceFunction = apiRoute({
  name: 'updateOccurrence',
  route: occurrenceRoute,
  method: 'PATCH',
  auth: 'apiKey',
  params: occurrenceParams,
  body: updateOccurrenceRequest,
  answers: { 200: bookingView },
  problems: [...occurrenceProblems, 'occurrence_cancelled', 'event_changed_in_calendar'],
  doc: {
    tag,
    summary: "Move one occurrence of a series, named by its original date in the booking's zone (409 when changed in Outlook, unless force)",
    example: { start: '2030-05-14T11:00:00', end: '2030-05-14T11:45:00' },
  },
  handle: async ({ services, client, params, body }) => ({
    status: 200,
    body: await updateOccurrence(services, client, params.bookingId, params.occurrenceDate, body),
  }),
});

export const cancelOccurrenceFunction = apiRoute({
  name: 'cancelOccurrence',
  route: occurrenceRoute,
  method: 'DELETE',
  auth: 'apiKey',
  params: occurrenceParams,
  body: cancelBookingRequest.optional(),
  answers: { 200: bookingView },
  problems: [...occurrenceProblems],
  doc: { tag, summary: 'Cancel one occurrence of a series (idempotent); DELETE on the booking cancels the whole series', example: { message: 'No class this week.' } },
  handle: async ({ services, client, params, body }) => ({
    status: 200,
    body: await cancelOccurrence(services, client, params.bookingId, params.occurrenceDate, body?.message),
  }),
});

export const bookingFunctions = [
  createBookingFunction,
  getBookingFunction,
  updateBookingFunction,
  cancelBookingFunction,
  updateOccurrenceFunction,
  cancelOccurrenceFunction,
];
