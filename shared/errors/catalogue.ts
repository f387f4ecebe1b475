// The catalogue of every `code` the app answers with: its HTTP status, a title (the problem body's `title`,
// the same for every occurrence, as RFC 9457 asks: https://www.rfc-editor.org/rfc/rfc9457#section-3.1.3) and
// what the caller does about it. AppError takes a code and gets its status here, so a code has one status
// wherever it is thrown; the OpenAPI document, the README's table of codes and each route declaration's share of
// them (its `problems`) are built from this list.
//
// `seenBy` says who meets a code: `api` (the booking-system and admin API, listed by its operations),
// `browser` (the connect and consent pages, shown as "Reference: code"), `graph` (Microsoft Graph's
// notification POSTs), `console` (the local console only) or `storage` (a race in Table storage that the
// handler did not absorb: any operation that writes may answer it, and no operation lists it). Unmarked
// codes are `api` only.
export const PROBLEM_CODES = {
  invalid_field: { status: 400, title: 'Invalid field', meaning: 'A field (named in `field`) is missing or invalid; fix it and send again.' },
  invalid_json: { status: 400, title: 'Invalid JSON', meaning: 'The body is not valid UTF-8 JSON.' },
  picker_expired: { status: 400, title: 'Calendar picker expired', meaning: 'The calendar picker page was left open too long; start the connect link again.', seenBy: ['browser'] },
  state_missing: { status: 400, title: 'Sign-in response without state', meaning: 'The sign-in or consent response carries no `state`.', seenBy: ['browser'] },
  state_unknown: { status: 400, title: 'Sign-in response unknown', meaning: 'The sign-in or consent response is unknown or was used already.', seenBy: ['browser'] },
  state_expired: { status: 400, title: 'Sign-in expired', meaning: 'The sign-in or consent took too long; start the connect link again.', seenBy: ['browser'] },
  browser_mismatch: {
    status: 400,
    title: 'Another browser',
    meaning: 'The sign-in or consent came back to another browser than the one that opened the link; nothing was connected.',
    seenBy: ['browser'],
  },
  return_url_not_allowed: { status: 400, title: 'Return URL not allowed', meaning: "`returnUrl` is not on one of the client's allowed origins." },
  webhook_url_not_allowed: { status: 400, title: 'Webhook URL not allowed', meaning: 'In Azure: the webhook URL is not https on port 443 (or the allowed `webhookPort`), or its address is not public.' },
  unauthorized: { status: 401, title: 'Unauthorized', meaning: 'The API key (or admin key) is missing or wrong. Sent with `WWW-Authenticate: Bearer`.' },
  client_disabled: { status: 403, title: 'Booking system disabled', meaning: 'The operator disabled this booking system.' },
  admin_role_required: { status: 403, title: 'Admin role required', meaning: 'The Entra access token is valid but lacks the app role `CalendarBridge.Admin` (admin API).' },
  mail_not_enabled: { status: 403, title: 'Mail not enabled', meaning: 'Mail is not turned on for this booking system (`clients mail --enable`).' },
  legacy_protocols_not_enabled: { status: 403, title: 'SMTP/IMAP/POP not enabled', meaning: 'XOAUTH2 for SMTP/IMAP/POP is not turned on for this booking system (`--legacy-protocols`).' },
  mailbox_access_denied: { status: 403, title: 'Mailbox access denied', meaning: 'The user cannot send from, or read, the mailbox named.' },
  not_found: { status: 404, title: 'Not found', meaning: 'No such client or dead letter (admin API), or a record removed while the request ran.' },
  connection_not_found: { status: 404, title: 'Connection not found', meaning: "No such connection for this booking system (another client's id is also 404)." },
  booking_not_found: { status: 404, title: 'Booking not found', meaning: 'No booking with this `bookingId` for this booking system.' },
  occurrence_not_found: {
    status: 404,
    title: 'Occurrence not found',
    meaning: 'The booking is a series with no occurrence on this original date (in its `timeZone`), or the occurrence was moved in Outlook to another day before this service saw it.',
  },
  space_not_found: { status: 404, title: 'Space not found', meaning: 'No such space for this booking system.' },
  link_not_found: { status: 404, title: 'Connect link not found', meaning: 'The connect link is not valid (shown on the connect error page).', seenBy: ['browser'] },
  booking_id_conflict: { status: 409, title: 'Booking id conflict', meaning: 'The `bookingId` was used before with other details.' },
  booking_in_progress: { status: 409, title: 'Booking in progress', meaning: 'A create with this `bookingId` has not finished; retry its create first.' },
  booking_move_in_progress: {
    status: 409,
    title: 'Booking move in progress',
    meaning: 'A move of future bookings into this connection is still running (`moveId`); wait for `connection.bookings_moved`, then ask again.',
  },
  booking_not_ready: { status: 409, title: 'Booking not ready', meaning: 'The booking has no event yet (its create has not finished).' },
  booking_cancelled: { status: 409, title: 'Booking cancelled', meaning: 'The booking was cancelled (by DELETE, or its event was deleted in Outlook).' },
  occurrence_cancelled: { status: 409, title: 'Occurrence cancelled', meaning: 'This occurrence of the series was cancelled (by DELETE, or in Outlook); it cannot be moved.' },
  booking_not_on_connection: { status: 409, title: 'Booking not on this connection', meaning: 'The booking named belongs to another connection.' },
  event_changed_in_calendar: { status: 409, title: 'Event changed in calendar', meaning: 'The user changed the event in Outlook since it was written; `current` holds it now. Send `force: true` to overwrite.' },
  event_deleted_in_calendar: { status: 409, title: 'Event deleted in calendar', meaning: 'The user deleted the event in Outlook; cancel the booking or create a new one.' },
  connection_needs_reauth: {
    status: 409,
    title: 'Connection needs re-authentication',
    meaning: 'The connection lost access: send the user to `connectUrl` (a fresh connect link, valid until `connectUrlExpiresAt`).',
  },
  connection_not_active: { status: 409, title: 'Connection not active', meaning: 'The connection is `disconnected` (`connectionStatus`); make a new connect link.' },
  consent_missing: { status: 409, title: 'Consent missing', meaning: 'The connection was made without the scopes in `missingScopes`; send the user to `connectUrl`.' },
  tenant_consent_required: { status: 409, title: 'Tenant consent required', meaning: "The room's tenant has not consented yet (`tenantId`): use a tenant connect link first." },
  message_id_conflict: { status: 409, title: 'Message id conflict', meaning: 'The `messageId` was used before with another message.' },
  message_in_progress: { status: 409, title: 'Message in progress', meaning: 'A send with this `messageId` has not finished; retry later.' },
  message_outcome_unknown: { status: 409, title: 'Message outcome unknown', meaning: 'A send with this `messageId` may or may not have gone out; check Sent Items before sending again.' },
  already_exists: { status: 409, title: 'Already exists', meaning: 'The record exists already (a race with another request); read it and retry.', seenBy: ['storage'] },
  space_exists: { status: 409, title: 'Space exists', meaning: 'The `spaceId` is mapped to another room already.' },
  replay_in_progress: { status: 409, title: 'Replay in progress', meaning: 'The dead letter is being replayed already.' },
  no_client: { status: 409, title: 'No demo booking system', meaning: 'The console has no demo booking system yet (local console only).', seenBy: ['console'] },
  not_connected: { status: 409, title: 'Not connected', meaning: 'The console has no connection yet (local console only).', seenBy: ['console'] },
  link_used: { status: 410, title: 'Connect link used', meaning: 'The connect link was used already; ask for a new one.', seenBy: ['browser'] },
  link_expired: { status: 410, title: 'Connect link expired', meaning: 'The connect link has expired; ask for a new one.', seenBy: ['browser'] },
  link_revoked: { status: 410, title: 'Connect link revoked', meaning: 'The booking system that made the connect link was disabled (shown on the connect error page).', seenBy: ['browser'] },
  concurrent_update: { status: 412, title: 'Concurrent update', meaning: 'The record changed meanwhile; retry.', seenBy: ['storage'] },
  body_too_large: { status: 413, title: 'Body too large', meaning: 'The body (or a part named in `field`) is too large.', seenBy: ['api', 'browser'] },
  too_many_notifications: { status: 413, title: 'Too many notifications', meaning: 'A Graph notification POST with more items than the app takes (Microsoft Graph only).', seenBy: ['graph'] },
  mail_body_too_large: { status: 413, title: 'Mail body too large', meaning: 'The message body (named in `field`) is too large.' },
  attachment_too_large: { status: 413, title: 'Attachment too large', meaning: 'The body and the invitation together are too large.' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type', meaning: 'The body is not of the media type the endpoint takes (`application/json` for the API).', seenBy: ['api', 'browser'] },
  graph_rejected: { status: 422, title: 'Rejected by Microsoft Graph', meaning: 'Microsoft Graph rejected what was sent (`graphCode`).' },
  online_meeting_unavailable: {
    status: 422,
    title: 'No online meeting provider',
    meaning: "The booking calendar allows no online meeting provider (its `allowedOnlineMeetingProviders` is `unknown` only); book without `isOnlineMeeting`, or ask the person's administrator to allow Teams.",
  },
  mailbox_not_supported: {
    status: 409,
    title: 'Mailbox not supported',
    meaning: "The person's mailbox is not in Exchange Online (an on-premises or hybrid mailbox), which Microsoft Graph cannot reach; nothing was connected, and a connection whose mailbox moved there cannot be used.",
    seenBy: ['api', 'browser'],
  },
  not_a_room: { status: 422, title: 'Not a room', meaning: 'The mailbox is not a room.' },
  work_account_required: {
    status: 422,
    title: 'Work account required',
    meaning: 'The feature needs a work or school account (a Microsoft 365 organization): a personal Microsoft account (outlook.com) has no rooms, tenant-wide consent or shared mailboxes.',
  },
  room_not_found: { status: 422, title: 'Room not found', meaning: 'No room mailbox with this address in the tenant.' },
  internal_error: { status: 500, title: 'Internal error', meaning: 'An unexpected error; it is logged.', seenBy: ['api', 'browser'] },
  graph_error: { status: 502, title: 'Microsoft Graph failed', meaning: 'Microsoft Graph failed (5xx); retry. A create that met it may have reached Outlook: retry with the same body.' },
  graph_refused: { status: 502, title: 'Refused by Microsoft Graph', meaning: 'Microsoft Graph refused access to the calendar or mailbox.' },
  graph_throttled: { status: 503, title: 'Throttled by Microsoft Graph', meaning: 'Microsoft Graph throttles this mailbox; retry after `Retry-After`.' },
  entra_credential_failing: {
    status: 503,
    title: 'Entra credential failing',
    meaning: "Entra refuses the app's own credential; the operator must fix it (the connection stays active). Retry later.",
  },
  integration_paused: { status: 503, title: 'Integration paused', meaning: 'The operator paused the integration; retry after `Retry-After`. Connect links opened meanwhile show a page saying so and stay unused.', seenBy: ['api', 'browser'] },
  dependency_unavailable: { status: 503, title: 'Dependency unavailable', meaning: 'Storage or Key Vault did not answer in time; retry after `Retry-After`.', seenBy: ['api', 'browser'] },
  identity_platform_unavailable: { status: 503, title: 'Identity platform unavailable', meaning: "The admin tenant's signing keys could not be fetched to check an Entra token; retry after `Retry-After`." },
  graph_timeout: { status: 504, title: 'Microsoft Graph timeout', meaning: 'Microsoft Graph did not answer in time; retry with the same body (a create is reconciled).' },
} as const satisfies Record<string, ProblemType>;

export type Audience = 'api' | 'browser' | 'graph' | 'console' | 'storage';

export interface ProblemType {
  status: number;
  title: string;
  meaning: string;
  /** Who meets the code; `['api']` when left out. */
  seenBy?: readonly Audience[];
}

export type ProblemCode = keyof typeof PROBLEM_CODES;

export function problemType(code: ProblemCode): ProblemType {
  return PROBLEM_CODES[code];
}

export const audiencesOf = (code: ProblemCode): readonly Audience[] => problemType(code).seenBy ?? ['api'];

export const problemStatus = (code: ProblemCode): number => PROBLEM_CODES[code].status;

