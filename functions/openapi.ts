// GET /api/openapi.json (anonymous): the OpenAPI 3.1 description of the booking-system API, built from the
// very schemas the functions below parse their input with.
import { z } from 'zod';
import { availabilityRequest, availabilityResponse } from '../shared/availability/availability.js';
import { busyQuery, busyResponse } from '../shared/availability/busy.js';
import { createBookingRequest, updateBookingRequest } from '../shared/bookings/booking-request.js';
import { bookingView } from '../shared/bookings/booking-view.js';
import { cancelBookingRequest } from '../shared/bookings/cancel-booking.js';
import { calendarChoiceSchema } from '../shared/connect/calendars.js';
import { httpHandler } from '../shared/http/handle.js';
import { buildOpenApiDocument, type ApiOperation } from '../shared/openapi/document.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { connectLinkBody } from './connectLinks.js';
import { sendMailSchema, sentMailViewSchema } from '../shared/mail/send-mail.js';
import { xoauth2GrantSchema, xoauth2Schema } from '../shared/mail/xoauth2.js';
import { listConnectionsQuery } from './connections.js';
import { createSpaceRequest, spaceView } from '../shared/spaces/manage-spaces.js';

const connectLink = z.object({ linkId: z.string(), url: z.string(), expiresAt: z.string() });
const connection = z.object({ id: z.string(), externalUserId: z.string(), status: z.string() }).loose();
const calendar = z.object({ id: z.string(), name: z.string(), canEdit: z.boolean(), isDefault: z.boolean() }).loose();

export const API_OPERATIONS: readonly ApiOperation[] = [
  { name: 'connectLinks', route: 'connect-links', method: 'POST', summary: 'Create a single-use connect link for a user, or (kind tenant) for tenant-wide admin consent', body: connectLinkBody, responses: { 201: connectLink } },
  { name: 'listConnections', route: 'connections', method: 'GET', summary: "List a user's connections", query: listConnectionsQuery, responses: { 200: z.object({ value: z.array(connection) }) } },
  { name: 'getConnection', route: 'connections/{id}', method: 'GET', summary: 'Read a connection', responses: { 200: connection } },
  { name: 'updateConnection', route: 'connections/{id}', method: 'PATCH', summary: 'Choose calendars, default reminder and counted showAs', body: calendarChoiceSchema, responses: { 200: connection } },
  { name: 'deleteConnection', route: 'connections/{id}', method: 'DELETE', summary: 'Disconnect', responses: { 200: connection } },
  { name: 'connectionCalendars', route: 'connections/{id}/calendars', method: 'GET', summary: "The user's calendars", responses: { 200: z.object({ value: z.array(calendar) }) } },
  { name: 'connectionBusy', route: 'connections/{id}/busy', method: 'GET', summary: 'Merged busy intervals (UTC) over the busy calendars', query: busyQuery, responses: { 200: busyResponse } },
  { name: 'createBooking', route: 'bookings', method: 'POST', summary: 'Create a booking: one Outlook event, exactly once per bookingId', body: createBookingRequest, responses: { 200: bookingView, 201: bookingView } },
  { name: 'getBooking', route: 'bookings/{bookingId}', method: 'GET', summary: 'Read a booking and its event as Outlook has it', responses: { 200: bookingView } },
  { name: 'updateBooking', route: 'bookings/{bookingId}', method: 'PATCH', summary: 'Reschedule or change a booking (409 when changed in Outlook, unless force)', body: updateBookingRequest, responses: { 200: bookingView } },
  { name: 'cancelBooking', route: 'bookings/{bookingId}', method: 'DELETE', summary: 'Cancel a booking (idempotent)', body: cancelBookingRequest.optional(), responses: { 200: bookingView } },
  { name: 'availability', route: 'availability', method: 'POST', summary: 'Free slots common to up to 50 connections', body: availabilityRequest, responses: { 200: availabilityResponse } },
  { name: 'connectionMail', route: 'connections/{id}/mail', method: 'POST', summary: 'Send mail from the connected mailbox (Graph), optionally with a booking invitation; once per messageId', body: sendMailSchema, responses: { 200: sentMailViewSchema, 202: sentMailViewSchema } },
  { name: 'connectionXoauth2', route: 'connections/{id}/xoauth2', method: 'POST', summary: 'An Outlook access token and SASL XOAUTH2 string for SMTP or IMAP', body: xoauth2Schema, responses: { 200: xoauth2GrantSchema } },
  { name: 'createSpace', route: 'spaces', method: 'POST', summary: 'Map a space to a room mailbox of a consented tenant', body: createSpaceRequest, responses: { 200: spaceView, 201: spaceView } },
  { name: 'listSpaces', route: 'spaces', method: 'GET', summary: "The client's spaces", responses: { 200: z.object({ value: z.array(spaceView) }) } },
  { name: 'getSpace', route: 'spaces/{spaceId}', method: 'GET', summary: 'Read a space', responses: { 200: spaceView } },
  { name: 'deleteSpace', route: 'spaces/{spaceId}', method: 'DELETE', summary: "Remove a space (its room's subscriptions go; written events stay)", responses: { 200: spaceView } },
  { name: 'spaceBusy', route: 'spaces/{spaceId}/busy', method: 'GET', summary: "Merged busy intervals (UTC) of the space's room", query: busyQuery, responses: { 200: busyResponse } },
];

export const openApiFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'openapi',
  route: 'openapi.json',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async () => {
    const { config } = getServices();
    return {
      status: 200,
      headers: { 'Cache-Control': 'public, max-age=300' },
      jsonBody: buildOpenApiDocument(API_OPERATIONS, { version: config.version, serverUrl: config.publicBaseUrl }),
    };
  }),
};
