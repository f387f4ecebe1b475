// POST /api/connections/{id}/mail: a message from the connected mailbox through Graph sendMail (kept in
// Sent Items), optionally carrying a booking's iCalendar invitation. Exactly once per client-supplied
// messageId: the mailMessages row is created before Graph is called, so a repeat (or a concurrent twin)
// finds it and sends nothing. Every check happens before the row is written, so a refusal sends nothing.
import * as z from 'zod';
import { ConsentMissingError, NeedsReauthError, withConnectionGraph } from '../auth/connection-tokens.js';
import { GRAPH_SCOPES } from '../auth/entra-credentials.js';
import { assertWritesAllowed } from '../admin/pause.js';
import { asApiProblem, requireConnection } from '../bookings/connection-access.js';
import { externalId } from '../bookings/booking-request.js';
import { isGraphAnswer } from '../graph/graph-problems.js';
import { AppError } from '../errors/app-error.js';
import { describeError } from '../logging.js';
import type { Services } from '../services.js';
import { sha256Base64Url } from '../sha256.js';
import { ConflictError } from '../store/errors.js';
import type { ClientEntity } from '../store/repositories/clients.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import type { MailMessageEntity } from '../store/repositories/mail-messages.js';
import { consentMissingProblem, mailNotEnabled, requireConsent } from './mail-consent.js';
import { MAIL_SEND_SCOPE } from './mail-scopes.js';
import { bookingInvitation, type IcsAttachment } from './booking-invitation.js';

/** Largest html or text body, and largest body + attachments, in bytes (Graph's sendMail takes 4 MB of JSON). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Largest request: the body limit plus room for JSON escapes and the other fields. */
export const MAX_MAIL_REQUEST_BYTES = 2 * MAX_MESSAGE_BYTES;
/** A 'sending' row older than this lost its sender: the outcome is unknown. */
const SENDING_LEASE_MS = 2 * 60_000;

const address = z.email().max(254);

export const sendMailSchema = z
  .strictObject({
    messageId: externalId,
    to: z.array(address).min(1).max(100),
    cc: z.array(address).max(100).default([]),
    subject: z.string().trim().min(1).max(998),
    html: z.string().min(1).optional(),
    text: z.string().min(1).optional(),
    replyTo: address.optional(),
    attachIcsForBookingId: externalId.optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.html === undefined) === (v.text === undefined))
      ctx.addIssue({ code: 'custom', path: [v.html === undefined ? 'html' : 'text'], message: 'give exactly one of html and text' });
  });

export type SendMailInput = z.infer<typeof sendMailSchema>;

/** The answer (202 when sent now, 200 for a repeated messageId). */
export const sentMailViewSchema = z.object({
  messageId: z.string(),
  status: z.literal('sent'),
  from: z.string(),
  recipients: z.number().int(),
  sentAt: z.string(),
  bookingId: z.string().optional(),
});

export interface SentMailView {
  messageId: string;
  status: 'sent';
  from: string;
  recipients: number;
  sentAt: string;
  bookingId?: string;
}

export interface SendMailResult {
  /** False when this messageId was sent before and nothing was sent now. */
  sentNow: boolean;
  view: SentMailView;
}

export async function sendConnectionMail(services: Services, client: ClientEntity, connectionId: string, input: SendMailInput): Promise<SendMailResult> {
  if (!client.mailEnabled) throw mailNotEnabled();
  const connection = await requireConnection(services, client.rowKey, connectionId, 'id');
  await requireConsent(services, connection, [MAIL_SEND_SCOPE]);

  const bodyField = input.html !== undefined ? 'html' : 'text';
  const bodyBytes = Buffer.byteLength(input.html ?? input.text ?? '', 'utf8');
  if (bodyBytes > MAX_MESSAGE_BYTES) throw tooLarge('mail_body_too_large', bodyField, `${bodyField} must be at most ${MAX_MESSAGE_BYTES} bytes.`);
  const attachment = input.attachIcsForBookingId
    ? await bookingInvitation(services, client.rowKey, connection, input.attachIcsForBookingId, [...input.to, ...input.cc])
    : undefined;
  if (attachment && bodyBytes + attachment.bytes.length > MAX_MESSAGE_BYTES)
    throw tooLarge('attachment_too_large', 'attachIcsForBookingId', `The body and the invitation together must be at most ${MAX_MESSAGE_BYTES} bytes.`);

  await assertWritesAllowed(services, client);
  const claimed = await claimMessageId(services, client.rowKey, connection, input);
  if ('replay' in claimed) return { sentNow: false, view: claimed.replay };

  try {
    await withConnectionGraph(
      connection,
      (graph) => graph.api('/me/sendMail').post({ message: graphMessage(input, attachment), saveToSentItems: true }),
      services,
      [...GRAPH_SCOPES, MAIL_SEND_SCOPE],
    );
  } catch (error) {
    throw await failed(services, connection, claimed.row, error);
  }
  const sent: MailMessageEntity = { ...claimed.row, status: 'sent', sentAt: new Date(), updatedAt: new Date() };
  await services.store.mailMessages.upsert(sent).catch((error: unknown) => console.warn(`mail ${sent.rowKey}: recording 'sent' failed: ${describeError(error)}`));
  return { sentNow: true, view: viewOf(sent) };
}

/** Writes the row that makes this messageId taken; or returns the earlier result; or a 409. */
async function claimMessageId(
  services: Services,
  clientId: string,
  connection: ConnectionEntity,
  input: SendMailInput,
): Promise<{ row: MailMessageEntity } | { replay: SentMailView }> {
  const row: MailMessageEntity = {
    partitionKey: clientId,
    rowKey: input.messageId,
    connectionId: connection.rowKey,
    status: 'sending',
    fingerprint: fingerprint(connection.rowKey, input),
    from: connection.upn,
    recipients: input.to.length + input.cc.length,
    bookingId: input.attachIcsForBookingId,
    createdAt: new Date(),
  };
  try {
    await services.store.mailMessages.create(row);
    return { row };
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
  const existing = await services.store.mailMessages.getMessage(clientId, input.messageId);
  if (!existing) throw new AppError('message_in_progress', 'This messageId is being processed; retry shortly.', { headers: { 'Retry-After': '2' } });
  const earlier = existing.entity;
  if (earlier.fingerprint !== row.fingerprint)
    throw new AppError('message_id_conflict', 'messageId was already used for another message.', { field: 'messageId' });
  if (earlier.status === 'sent') return { replay: viewOf(earlier) };
  if (earlier.status === 'sending' && Date.now() - earlier.createdAt.getTime() < SENDING_LEASE_MS)
    throw new AppError('message_in_progress', 'This messageId is being sent; retry shortly.', { headers: { 'Retry-After': '2' } });
  throw new AppError('message_outcome_unknown', 'An earlier attempt with this messageId may have been sent; it is not sent again.', { field: 'messageId' });
}

/**
 * The problem for a failed send. When it is certain nothing went out (no token, or Graph answered 4xx),
 * the row is removed so the same messageId can be retried; otherwise it is kept as 'unknown'.
 */
async function failed(services: Services, connection: ConnectionEntity, row: MailMessageEntity, error: unknown): Promise<AppError> {
  const status = (error as { statusCode?: number }).statusCode ?? 0;
  const notSent = error instanceof ConsentMissingError || error instanceof NeedsReauthError || (isGraphAnswer(error) && status < 500);
  try {
    if (notSent) await services.store.mailMessages.delete(row.partitionKey, row.rowKey);
    else await services.store.mailMessages.upsert({ ...row, status: 'unknown', updatedAt: new Date() });
  } catch (storeError) {
    console.warn(`mail ${row.rowKey}: recording the failure failed: ${describeError(storeError)}`);
  }
  if (error instanceof ConsentMissingError) return consentMissingProblem(services, connection, [MAIL_SEND_SCOPE]);
  return asApiProblem(services, connection, error, 'id');
}

function graphMessage(input: SendMailInput, attachment: IcsAttachment | undefined): Record<string, unknown> {
  const recipients = (list: string[]) => list.map((address) => ({ emailAddress: { address } }));
  return {
    subject: input.subject,
    body: input.html !== undefined ? { contentType: 'HTML', content: input.html } : { contentType: 'Text', content: input.text },
    toRecipients: recipients(input.to),
    ...(input.cc.length ? { ccRecipients: recipients(input.cc) } : {}),
    ...(input.replyTo ? { replyTo: recipients([input.replyTo]) } : {}),
    ...(attachment
      ? {
          attachments: [
            { '@odata.type': '#microsoft.graph.fileAttachment', name: attachment.name, contentType: attachment.contentType, contentBytes: attachment.bytes.toString('base64') },
          ],
        }
      : {}),
    // Custom headers must start with x-; lets the recipient side correlate the message with the booking system's id.
    internetMessageHeaders: [{ name: 'x-calendar-bridge-message-id', value: input.messageId }],
  };
}

function fingerprint(connectionId: string, input: SendMailInput): string {
  const { messageId: _ignored, ...content } = input;
  return sha256Base64Url(JSON.stringify([connectionId, content]));
}

function viewOf(row: MailMessageEntity): SentMailView {
  return {
    messageId: row.rowKey,
    status: 'sent',
    from: row.from ?? '',
    recipients: row.recipients,
    sentAt: (row.sentAt ?? row.updatedAt ?? row.createdAt).toISOString(),
    ...(row.bookingId ? { bookingId: row.bookingId } : {}),
  };
}

function tooLarge(code: 'mail_body_too_large' | 'attachment_too_large', field: string, detail: string): AppError {
  return new AppError(code, detail, { field });
}
