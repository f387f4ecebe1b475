// The bookings API (API key): POST /api/bookings, GET/PATCH/DELETE /api/bookings/{bookingId}.
// Always scoped to the calling client; the work is in shared/bookings.
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { createBookingRequest, externalId, updateBookingRequest } from '../shared/bookings/booking-request.js';
import { toBookingView } from '../shared/bookings/booking-view.js';
import { cancelBooking, cancelBookingRequest } from '../shared/bookings/cancel-booking.js';
import { createBooking } from '../shared/bookings/create-booking.js';
import { getBooking } from '../shared/bookings/get-booking.js';
import { updateBooking } from '../shared/bookings/update-booking.js';
import { authenticateClient } from '../shared/http/authenticate-client.js';
import { httpHandler, parseWith, readJson, readOptionalJson } from '../shared/http/handle.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { withTelemetryIds } from '../shared/telemetry/tracing.js';

const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit => ({
  status,
  headers: { 'Cache-Control': 'no-store', ...headers },
  jsonBody: body,
});

function bookingIdOf(request: HttpRequest): string {
  return parseWith(externalId, request.params.bookingId ?? '', 'bookingId');
}

export const createBookingFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'createBooking',
  route: 'bookings',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    const client = await authenticateClient(request, services);
    const body = await readJson(request, createBookingRequest);
    const ids = { connectionId: body.connectionId, bookingId: body.bookingId };
    const { created, booking } = await withTelemetryIds(ids, () => createBooking(services, client, body));
    return json(created ? 201 : 200, toBookingView(booking), { Location: `/api/bookings/${encodeURIComponent(booking.rowKey)}` });
  }),
};

export const getBookingFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'getBooking',
  route: 'bookings/{bookingId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    const client = await authenticateClient(request, services);
    return json(200, await getBooking(services, client.rowKey, bookingIdOf(request)));
  }),
};

export const updateBookingFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'updateBooking',
  route: 'bookings/{bookingId}',
  methods: ['PATCH'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    const client = await authenticateClient(request, services);
    const bookingId = bookingIdOf(request);
    const changes = await readJson(request, updateBookingRequest);
    return json(200, await updateBooking(services, client, bookingId, changes));
  }),
};

export const cancelBookingFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'cancelBooking',
  route: 'bookings/{bookingId}',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    const client = await authenticateClient(request, services);
    const bookingId = bookingIdOf(request);
    // The body is optional: { "message": "..." } for the attendees' cancellation notice.
    const { message } = (await readOptionalJson(request, cancelBookingRequest)) ?? {};
    return json(200, await cancelBooking(services, client, bookingId, message));
  }),
};

export const bookingFunctions = [createBookingFunction, getBookingFunction, updateBookingFunction, cancelBookingFunction];
