// Mail in the Graph simulator: POST /me/sendMail and /users/{id}/sendMail (202, recorded with the message
// and its attachments decoded), GET /me/mailFolders/{id} (how the app checks a shared mailbox), shared
// mailboxes and their members, and the control API that shows what was sent (/_sim/graph/mail).
// Access follows Exchange: Mail.Send sends as yourself; another mailbox needs a shared-mailbox grant
// (Send As / Full Access), else 403 ErrorAccessDenied.
// https://learn.microsoft.com/en-us/graph/api/user-sendmail, https://learn.microsoft.com/en-us/graph/outlook-send-mail-from-other-user,
// https://learn.microsoft.com/en-us/graph/api/mailfolder-get
import { randomUUID } from 'node:crypto';
import type { Router, SimRequest, SimResponse } from '../router.js';
import type { SimUser } from '../state.js';
import { GraphHttpError, accessDenied, badRequest, itemNotFound } from './errors.js';
import { GRAPH_ROOT } from './odata.js';
import type { GraphRequest } from './pipeline.js';
import { userJson } from './users-calendars.js';
import type { GraphWorld } from './world.js';

export interface SentAttachment {
  name: string;
  contentType: string;
  size: number;
  /** The attachment decoded from contentBytes (UTF-8 text for text/* types, else base64). */
  content: string;
}

export interface SentMail {
  id: string;
  /** The mailbox it was sent from (UPN). */
  mailbox: string;
  /** Who sent it (UPN of the signed-in user). */
  sentBy: string;
  appId: string;
  saveToSentItems: boolean;
  sentAt: string;
  subject: string;
  body: { contentType: string; content: string };
  toRecipients: string[];
  ccRecipients: string[];
  replyTo: string[];
  attachments: SentAttachment[];
  internetMessageHeaders: { name: string; value: string }[];
}

const SEND_SCOPES = ['Mail.Send', 'Mail.Send.Shared'];
const READ_SCOPES = ['Mail.ReadBasic', 'Mail.Read', 'Mail.ReadWrite'];
const READ_SHARED_SCOPES = ['Mail.ReadBasic.Shared', 'Mail.Read.Shared', 'Mail.ReadWrite.Shared'];
const ADDRESS = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;
const WELL_KNOWN_FOLDERS = new Map([
  ['inbox', 'Inbox'],
  ['sentitems', 'Sent Items'],
  ['drafts', 'Drafts'],
]);

export class MailStore {
  readonly sent: SentMail[] = [];
  /** shared mailbox id -> ids of users granted Full Access and Send As. */
  readonly members = new Map<string, Set<string>>();

  canAccess(mailbox: SimUser, userId: string): boolean {
    return mailbox.id === userId || (this.members.get(mailbox.id)?.has(userId) ?? false);
  }

  reset(): void {
    this.sent.length = 0;
    this.members.clear();
  }
}

export function registerMailRoutes(world: GraphWorld, router: Router): MailStore {
  const mail = new MailStore();
  const { pipeline, state } = world;
  state.resetHooks.push(() => mail.reset());

  /** The caller's right to act on req.mailbox: a delegated scope, plus membership for another mailbox. */
  const requireAccess = (req: GraphRequest, own: string[], shared: string[]): void => {
    const { caller } = req;
    if (!caller.userId) {
      if (![...own, ...shared].some((p) => caller.roles.has(p.replace(/\.Shared$/, '')))) throw accessDenied();
      return;
    }
    const other = req.mailbox.id !== caller.userId;
    const scopes = other ? shared : [...own, ...shared];
    if (!scopes.some((p) => caller.scopes.has(p))) throw accessDenied();
    if (other && !mail.canAccess(req.mailbox, caller.userId)) throw accessDenied();
  };

  pipeline.route('POST', '/me/sendMail', 'any', (req) => {
    // Mail.Send covers sending as a mailbox the user holds Send As on; Mail.Send.Shared also exists.
    requireAccess(req, SEND_SCOPES, SEND_SCOPES);
    const body = req.json<{ message?: Record<string, unknown>; saveToSentItems?: unknown }>();
    const message = body?.message;
    if (!message || typeof message !== 'object') throw badRequest('Empty Payload. JSON content expected.', 'ErrorInvalidRequest');
    const to = recipients(message.toRecipients, 'toRecipients');
    const cc = recipients(message.ccRecipients, 'ccRecipients');
    if (to.length + cc.length === 0) throw badRequest('At least one recipient is not valid., A message can\'t be sent because it contains no recipients.', 'ErrorInvalidRecipients');
    const caller = req.caller.userId ? state.directory.users.get(req.caller.userId) : undefined;
    mail.sent.push({
      id: randomUUID(),
      mailbox: req.mailbox.userPrincipalName,
      sentBy: caller?.userPrincipalName ?? req.caller.appId,
      appId: req.caller.appId,
      saveToSentItems: body.saveToSentItems === undefined ? true : body.saveToSentItems === true || body.saveToSentItems === 'true',
      sentAt: state.clock.date().toISOString(),
      subject: typeof message.subject === 'string' ? message.subject : '',
      body: itemBody(message.body),
      toRecipients: to,
      ccRecipients: cc,
      replyTo: recipients(message.replyTo, 'replyTo'),
      attachments: attachments(message.attachments),
      internetMessageHeaders: Array.isArray(message.internetMessageHeaders) ? (message.internetMessageHeaders as { name: string; value: string }[]) : [],
    });
    return { status: 202 };
  });

  pipeline.route('GET', '/me/mailFolders/:folderId', 'any', (req) => {
    requireAccess(req, READ_SCOPES, READ_SHARED_SCOPES);
    const name = WELL_KNOWN_FOLDERS.get(req.params.folderId!.toLowerCase());
    if (!name) throw itemNotFound();
    return {
      status: 200,
      body: {
        '@odata.context': `${GRAPH_ROOT}/$metadata#users('${req.mailbox.id}')/mailFolders/$entity`,
        id: `${req.mailbox.id}-${req.params.folderId!.toLowerCase()}`,
        displayName: name,
        parentFolderId: `${req.mailbox.id}-root`,
        childFolderCount: 0,
        unreadItemCount: 0,
        totalItemCount: 0,
      },
    };
  });

  registerMailControl(router, world, mail);
  return mail;
}

/** /_sim/graph/mail and /_sim/graph/shared-mailboxes (see docs/simulator-graph.md). */
function registerMailControl(router: Router, world: GraphWorld, mail: MailStore): void {
  const { directory } = world.state;
  const on = (method: string, pattern: string, handler: (req: SimRequest) => SimResponse) =>
    router.on(method, `/_sim/graph${pattern}`, (req) => {
      try {
        return handler(req);
      } catch (error) {
        if (error instanceof GraphHttpError) return { status: error.status, body: { error: { code: error.code, message: error.message } } };
        throw error;
      }
    });
  const find = (name: string, kind?: SimUser['kind']): SimUser => {
    const user = directory.findUser(name) ?? directory.findByMail(name);
    if (!user || (kind && user.kind !== kind)) throw new GraphHttpError(404, kind === 'shared' ? 'mailbox_not_found' : 'user_not_found', `No ${kind === 'shared' ? 'shared mailbox' : 'user'} '${name}'.`);
    return user;
  };

  on('GET', '/mail', (req) => {
    const mailbox = req.query.get('mailbox')?.toLowerCase();
    const sentBy = req.query.get('sentBy')?.toLowerCase();
    return { status: 200, body: { value: mail.sent.filter((m) => (!mailbox || m.mailbox === mailbox) && (!sentBy || m.sentBy === sentBy)) } };
  });
  on('DELETE', '/mail', () => {
    mail.sent.length = 0;
    return { status: 204 };
  });
  on('POST', '/shared-mailboxes', (req) => {
    const input = (req.body.length ? JSON.parse(req.body.toString('utf8')) : {}) as { tenant?: string; address?: string; displayName?: string };
    const tenant = input.tenant ? directory.findTenant(input.tenant) : undefined;
    if (!tenant) throw new GraphHttpError(404, 'tenant_not_found', `No tenant '${input.tenant}'.`);
    if (!input.address || !ADDRESS.test(input.address)) throw new GraphHttpError(400, 'invalid_address', 'address must be an email address.');
    if (directory.findUser(input.address) ?? directory.findByMail(input.address)) throw new GraphHttpError(409, 'duplicate', `'${input.address}' already exists.`);
    const mailbox = directory.addUser({ tenantId: tenant.id, userPrincipalName: input.address, displayName: input.displayName, kind: 'shared' });
    return { status: 201, body: userJson(mailbox) };
  });
  on('GET', '/shared-mailboxes/:mailbox/members/:user', (req) => {
    const mailbox = find(req.params.mailbox!, 'shared');
    const user = find(req.params.user!);
    return { status: 200, body: { mailbox: mailbox.userPrincipalName, user: user.userPrincipalName, access: mail.canAccess(mailbox, user.id) } };
  });
  on('PUT', '/shared-mailboxes/:mailbox/members/:user', (req) => {
    const mailbox = find(req.params.mailbox!, 'shared');
    const user = find(req.params.user!);
    const members = mail.members.get(mailbox.id) ?? new Set<string>();
    members.add(user.id);
    mail.members.set(mailbox.id, members);
    return { status: 204 };
  });
  on('DELETE', '/shared-mailboxes/:mailbox/members/:user', (req) => {
    mail.members.get(find(req.params.mailbox!, 'shared').id)?.delete(find(req.params.user!).id);
    return { status: 204 };
  });
}

function recipients(value: unknown, property: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest(`Invalid value for '${property}'.`, 'RequestBodyRead');
  return value.map((r: { emailAddress?: { address?: unknown } }) => {
    const address = r?.emailAddress?.address;
    if (typeof address !== 'string' || !ADDRESS.test(address)) throw badRequest('At least one recipient is not valid.', 'ErrorInvalidRecipients');
    return address.toLowerCase();
  });
}

function itemBody(value: unknown): { contentType: string; content: string } {
  const b = value as { contentType?: unknown; content?: unknown } | undefined;
  return { contentType: String(b?.contentType ?? 'text').toLowerCase(), content: typeof b?.content === 'string' ? b.content : '' };
}

function attachments(value: unknown): SentAttachment[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest("Invalid value for 'attachments'.", 'RequestBodyRead');
  return value.map((a: Record<string, unknown>) => {
    if (a?.['@odata.type'] !== '#microsoft.graph.fileAttachment') throw badRequest('Only file attachments are simulated.', 'ErrorInvalidRequest');
    if (typeof a.contentBytes !== 'string' || typeof a.name !== 'string') throw badRequest('A file attachment needs name and contentBytes.', 'ErrorInvalidRequest');
    const bytes = Buffer.from(a.contentBytes, 'base64');
    const contentType = typeof a.contentType === 'string' ? a.contentType : 'application/octet-stream';
    return { name: a.name, contentType, size: bytes.length, content: /^text\//i.test(contentType) ? bytes.toString('utf8') : a.contentBytes };
  });
}
