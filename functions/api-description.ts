// The API description: per operation (named by its function definition, which gives route and method) the
// schemas it parses with, what it answers and the problem codes it can carry. GET /api/openapi.json, the
// README's tables and the generated TypeScript client are all built from this (npm run docs).
import { z } from 'zod';
import { availabilityRequest, availabilityResponse } from '../shared/availability/availability.js';
import { busyQuery, busyResponse } from '../shared/availability/busy.js';
import { createBookingRequest, updateBookingRequest } from '../shared/bookings/booking-request.js';
import { bookingView } from '../shared/bookings/booking-view.js';
import { cancelBookingRequest } from '../shared/bookings/cancel-booking.js';
import { pauseSchema } from '../shared/admin/pause.js';
import { createClientSchema, rotateKeySchema } from '../shared/clients/manage-clients.js';
import { calendarChoiceSchema } from '../shared/connect/calendars.js';
import { connectLinkBody } from '../shared/connect/connect-link-request.js';
import { listConnectionsQuery } from '../shared/connect/connection-view.js';
import type { ProblemCode } from '../shared/http/problem-codes.js';
import { mailSettingsSchema } from '../shared/mail/mail-settings.js';
import { sendMailSchema, sentMailViewSchema } from '../shared/mail/send-mail.js';
import { xoauth2GrantSchema, xoauth2Schema } from '../shared/mail/xoauth2.js';
import { buildOpenApiDocument, type ApiOperation } from '../shared/openapi/document.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { createSpaceRequest, spaceView } from '../shared/spaces/manage-spaces.js';
import { listDeadLettersQuery } from '../shared/webhooks/dead-letters.js';
import { rotateSigningSecretSchema } from '../shared/webhooks/signing-secrets.js';

const connectLink = z.object({ linkId: z.string(), url: z.string(), expiresAt: z.string() });
const connection = z.object({ id: z.string(), externalUserId: z.string(), status: z.enum(['active', 'needs_reauth', 'disconnected']) }).loose();
const calendar = z.object({ id: z.string(), name: z.string(), canEdit: z.boolean(), isDefault: z.boolean() }).loose();
const client = z
  .object({
    clientId: z.string(),
    name: z.string(),
    status: z.enum(['active', 'disabled']),
    allowedReturnOrigins: z.array(z.string()),
    webhookUrl: z.string().optional(),
    activeApiKeys: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string().optional(),
  })
  .loose();
const systemState = z.object({ paused: z.boolean(), reason: z.string().optional(), retryAfterSeconds: z.number().int(), changedAt: z.string().optional() });
const deadLetter = z
  .object({ clientId: z.string(), eventId: z.string(), eventType: z.string(), attempts: z.number().int(), firstAttemptAt: z.string(), deadLetteredAt: z.string() })
  .loose();

/** A connection the call uses: it must be the caller's, active and still hold a token. */
const CONNECTION: ProblemCode[] = ['connection_not_found', 'connection_not_active', 'connection_needs_reauth'];
/** Microsoft Graph failures after the client's own retries, and the app's own Entra credential refused. */
const GRAPH: ProblemCode[] = ['graph_throttled', 'graph_error', 'graph_refused', 'graph_rejected', 'graph_timeout', 'entra_credential_failing'];
/** A write the operator's pause holds back. */
const WRITE: ProblemCode[] = ['integration_paused'];

const BOOKING_EXAMPLE = {
  bookingId: 'appt-1042',
  connectionId: 'c0a1b2c3-d4e5-4f60-8718-293a4b5c6d7e',
  subject: 'Haircut with Sam',
  start: '2030-05-06T09:00:00',
  end: '2030-05-06T09:45:00',
  timeZone: 'Europe/London',
  reminderMinutes: 30,
};

export const API_OPERATIONS: readonly ApiOperation[] = [
  {
    name: 'connectLinks',
    tag: 'Connections',
    security: 'apiKey',
    summary: 'Create a single-use connect link for a user, or (kind tenant) for tenant-wide admin consent',
    body: connectLinkBody,
    example: { externalUserId: 'staff-42', returnUrl: 'https://book.acme.example/calendar/done', loginHint: 'pat@contoso.com', pickCalendars: true },
    responses: { 201: connectLink },
    problems: ['return_url_not_allowed', 'connection_not_found'],
  },
  { name: 'listConnections', tag: 'Connections', security: 'apiKey', summary: "List a user's connections", query: listConnectionsQuery, responses: { 200: z.object({ value: z.array(connection) }) }, problems: [] },
  { name: 'getConnection', tag: 'Connections', security: 'apiKey', summary: 'Read a connection', responses: { 200: connection }, problems: ['not_found'] },
  {
    name: 'updateConnection',
    tag: 'Connections',
    security: 'apiKey',
    summary: 'Choose calendars, default reminder and counted showAs',
    body: calendarChoiceSchema,
    example: { busyShowAs: ['busy', 'oof'], defaultReminderMinutes: 15 },
    responses: { 200: connection },
    problems: ['not_found', ...CONNECTION, ...GRAPH],
  },
  { name: 'deleteConnection', tag: 'Connections', security: 'apiKey', summary: 'Disconnect (written events stay in Outlook)', responses: { 200: connection }, problems: ['not_found'] },
  { name: 'connectionCalendars', tag: 'Connections', security: 'apiKey', summary: "The user's calendars, live", responses: { 200: z.object({ value: z.array(calendar) }) }, problems: ['not_found', ...CONNECTION, ...GRAPH] },
  { name: 'connectionBusy', tag: 'Bookings', security: 'apiKey', summary: 'Merged busy intervals (UTC) over the busy calendars', query: busyQuery, responses: { 200: busyResponse }, problems: [...CONNECTION, ...GRAPH] },
  {
    name: 'createBooking',
    tag: 'Bookings',
    security: 'apiKey',
    summary: 'Create a booking: one Outlook event, exactly once per bookingId',
    body: createBookingRequest,
    example: BOOKING_EXAMPLE,
    responses: { 200: bookingView, 201: bookingView },
    problems: ['booking_id_conflict', 'booking_in_progress', 'booking_cancelled', 'space_not_found', 'tenant_consent_required', ...CONNECTION, ...GRAPH, ...WRITE],
  },
  { name: 'getBooking', tag: 'Bookings', security: 'apiKey', summary: 'Read a booking and its event as Outlook has it', responses: { 200: bookingView }, problems: ['invalid_field', 'booking_not_found', ...CONNECTION, ...GRAPH] },
  {
    name: 'updateBooking',
    tag: 'Bookings',
    security: 'apiKey',
    summary: 'Reschedule or change a booking (409 when changed in Outlook, unless force)',
    body: updateBookingRequest,
    example: { start: '2030-05-07T10:00:00', end: '2030-05-07T10:45:00' },
    responses: { 200: bookingView },
    problems: ['invalid_field', 'booking_not_found', 'booking_cancelled', 'booking_in_progress', 'event_changed_in_calendar', 'event_deleted_in_calendar', 'space_not_found', ...CONNECTION, ...GRAPH, ...WRITE],
  },
  {
    name: 'cancelBooking',
    tag: 'Bookings',
    security: 'apiKey',
    summary: 'Cancel a booking (idempotent)',
    body: cancelBookingRequest.optional(),
    example: { message: 'Sorry, Sam is ill.' },
    responses: { 200: bookingView },
    problems: ['invalid_field', 'booking_not_found', 'booking_in_progress', 'space_not_found', ...CONNECTION, ...GRAPH, ...WRITE],
  },
  {
    name: 'availability',
    tag: 'Bookings',
    security: 'apiKey',
    summary: 'Free slots common to up to 50 connections',
    body: availabilityRequest,
    example: { connectionIds: ['c0a1b2c3-d4e5-4f60-8718-293a4b5c6d7e'], start: '2030-05-06T08:00:00Z', end: '2030-05-06T17:00:00Z', durationMinutes: 60, slotMinutes: 30 },
    responses: { 200: availabilityResponse },
    problems: [...CONNECTION, ...GRAPH],
  },
  {
    name: 'connectionMail',
    tag: 'Mail',
    security: 'apiKey',
    summary: 'Send mail from the connected mailbox (Graph), optionally with a booking invitation; once per messageId',
    body: sendMailSchema,
    responses: { 200: sentMailViewSchema, 202: sentMailViewSchema },
    problems: [
      'mail_not_enabled',
      'consent_missing',
      'mailbox_access_denied',
      'message_id_conflict',
      'message_in_progress',
      'message_outcome_unknown',
      'booking_not_found',
      'booking_not_on_connection',
      'booking_not_ready',
      'booking_cancelled',
      'mail_body_too_large',
      'attachment_too_large',
      ...CONNECTION,
      ...GRAPH,
      ...WRITE,
    ],
  },
  {
    name: 'connectionXoauth2',
    tag: 'Mail',
    security: 'apiKey',
    summary: 'An Outlook access token and SASL XOAUTH2 string for SMTP or IMAP',
    body: xoauth2Schema,
    responses: { 200: xoauth2GrantSchema },
    problems: ['mail_not_enabled', 'legacy_protocols_not_enabled', 'consent_missing', 'mailbox_access_denied', ...CONNECTION, ...GRAPH],
  },
  {
    name: 'createSpace',
    tag: 'Spaces',
    security: 'apiKey',
    summary: 'Map a space to a room mailbox of a consented tenant',
    body: createSpaceRequest,
    example: { spaceId: 'room-101', roomEmail: 'room101@contoso.com' },
    responses: { 200: spaceView, 201: spaceView },
    problems: ['tenant_consent_required', 'space_exists', 'not_a_room', 'room_not_found', ...GRAPH],
  },
  { name: 'listSpaces', tag: 'Spaces', security: 'apiKey', summary: "The client's spaces", responses: { 200: z.object({ value: z.array(spaceView) }) }, problems: [] },
  { name: 'getSpace', tag: 'Spaces', security: 'apiKey', summary: 'Read a space', responses: { 200: spaceView }, problems: ['space_not_found'] },
  { name: 'deleteSpace', tag: 'Spaces', security: 'apiKey', summary: "Remove a space (its room's subscriptions go; written events stay)", responses: { 200: spaceView }, problems: ['space_not_found'] },
  { name: 'spaceBusy', tag: 'Spaces', security: 'apiKey', summary: "Merged busy intervals (UTC) of the space's room", query: busyQuery, responses: { 200: busyResponse }, problems: ['space_not_found', 'tenant_consent_required', ...GRAPH] },

  {
    name: 'manageClientsCreate',
    tag: 'Admin',
    security: 'adminKey',
    summary: 'Register a booking system; its API key and webhook signing secret are in this answer only',
    body: createClientSchema,
    example: { name: 'Acme Booking', allowedReturnOrigins: ['https://book.acme.example'], webhookUrl: 'https://book.acme.example/hooks' },
    responses: { 201: client.extend({ apiKey: z.string(), signingSecret: z.string() }) },
    problems: ['webhook_url_not_allowed'],
  },
  { name: 'manageClientsList', tag: 'Admin', security: 'adminKey', summary: 'Every booking system', responses: { 200: z.object({ value: z.array(client) }) }, problems: [] },
  {
    name: 'manageClientsRotateKey',
    tag: 'Admin',
    security: 'adminKey',
    summary: 'A new API key (shown once); the previous one keeps working until the next rotation unless revokePrevious',
    body: rotateKeySchema.optional(),
    example: { revokePrevious: true },
    responses: { 200: client.extend({ apiKey: z.string() }) },
    problems: ['not_found'],
  },
  { name: 'manageClientsDisable', tag: 'Admin', security: 'adminKey', summary: 'Disable a booking system: its requests answer 403 client_disabled', responses: { 200: client }, problems: ['not_found'] },
  {
    name: 'manageClientsRotateSigningSecret',
    tag: 'Admin',
    security: 'adminKey',
    summary: 'A new webhook signing secret (shown once); both sign until the next rotation unless revokePrevious',
    body: rotateSigningSecretSchema.optional(),
    example: { revokePrevious: true },
    responses: { 200: z.object({ clientId: z.string(), signingSecret: z.string(), activeSigningSecrets: z.number().int() }) },
    problems: ['not_found'],
  },
  {
    name: 'manageClientsMail',
    tag: 'Admin',
    security: 'adminKey',
    summary: 'Turn mail (and SMTP/IMAP XOAUTH2) on or off for a booking system',
    body: mailSettingsSchema,
    example: { mailEnabled: true, legacyProtocols: false },
    responses: { 200: z.object({ clientId: z.string(), mailEnabled: z.boolean(), legacyProtocols: z.boolean() }) },
    problems: ['not_found'],
  },
  { name: 'manageSystemStatus', tag: 'Admin', security: 'adminKey', summary: 'Whether the integration is paused', responses: { 200: systemState }, problems: [] },
  {
    name: 'manageSystemPause',
    tag: 'Admin',
    security: 'adminKey',
    summary: 'Pause all syncing and writes, for everyone',
    body: pauseSchema.optional(),
    example: { reason: 'incident 42', retryAfterSeconds: 600 },
    responses: { 200: systemState },
    problems: [],
  },
  { name: 'manageSystemResume', tag: 'Admin', security: 'adminKey', summary: 'Resume after a pause', responses: { 200: systemState }, problems: [] },
  {
    name: 'manageDeadLettersList',
    tag: 'Admin',
    security: 'adminKey',
    summary: 'Webhook deliveries that failed for 24 hours',
    query: listDeadLettersQuery,
    responses: { 200: z.object({ value: z.array(deadLetter), continuationToken: z.string().optional() }) },
    problems: [],
  },
  {
    name: 'manageDeadLetterReplay',
    tag: 'Admin',
    security: 'adminKey',
    summary: 'Deliver one dead letter again (same event id)',
    responses: { 202: z.object({ replayed: deadLetter }) },
    problems: ['not_found', 'replay_in_progress'],
  },
  {
    name: 'manageDeadLettersReplayClient',
    tag: 'Admin',
    security: 'adminKey',
    summary: "Deliver a client's dead letters again (at most 500 per call)",
    responses: { 202: z.object({ replayed: z.number().int(), remaining: z.boolean() }) },
    problems: ['not_found'],
  },
];

/** The OpenAPI document of the routes in `definitions` (which must hold every operation above). */
export function buildApiDocument(definitions: readonly HttpFunctionDefinition[], info: { version: string }): Record<string, unknown> {
  return buildOpenApiDocument(API_OPERATIONS, definitions, info);
}
