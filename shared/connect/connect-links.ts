// Connect links: what a booking system hands its user to start connecting a calendar. The link id is a
// 256-bit bearer capability (only its hash is stored), valid once and for a limited time.
import { randomBytes } from 'node:crypto';
import { AppError } from '../errors/app-error.js';
import type { ClientEntity } from '../store/repositories/clients.js';
import { capabilityHash, CONNECT_LINK_ROW, type ConnectLinkEntity } from '../store/repositories/connect-links.js';
import { ConcurrencyError } from '../store/errors.js';
import type { Services } from '../services.js';
import { checkReturnUrl } from './return-url.js';
import * as z from 'zod';

export const CONNECT_LINK_TTL_MS = 24 * 60 * 60 * 1000;

/** What a link is made from: the stored link's own fields (documented there), and how long it lives. */
export type ConnectLinkInput = Pick<
  ConnectLinkEntity,
  'externalUserId' | 'returnUrl' | 'loginHint' | 'allowOtherAccount' | 'pickCalendars' | 'connectionId' | 'kind' | 'tenant' | 'extraScopes' | 'calendarChoice'
> & { ttlMs?: number };

export interface ConnectLink {
  linkId: string;
  url: string;
  expiresAt: string;
}

export function connectLinkUrl(publicBaseUrl: string, linkId: string): string {
  return `${publicBaseUrl}/api/connect/${linkId}`;
}

export async function createConnectLink(client: ClientEntity, input: ConnectLinkInput, services: Pick<Services, 'store' | 'config'>): Promise<ConnectLink> {
  const returnUrl = checkReturnUrl(input.returnUrl, client.allowedReturnOrigins).toString();
  const linkId = randomBytes(32).toString('base64url');
  const now = new Date();
  const expiresAt = new Date(now.getTime() + (input.ttlMs ?? CONNECT_LINK_TTL_MS));
  const entity: ConnectLinkEntity = {
    partitionKey: capabilityHash(linkId),
    rowKey: CONNECT_LINK_ROW,
    clientId: client.rowKey,
    externalUserId: input.externalUserId,
    returnUrl,
    loginHint: input.loginHint,
    allowOtherAccount: input.allowOtherAccount || undefined,
    pickCalendars: input.pickCalendars || undefined,
    connectionId: input.connectionId,
    extraScopes: input.extraScopes?.length ? input.extraScopes : undefined,
    calendarChoice: input.calendarChoice,
    kind: input.kind,
    tenant: input.tenant,
    expiresAt,
    createdAt: now,
  };
  await services.store.connectLinks.links.create(entity);
  return { linkId, url: connectLinkUrl(services.config.publicBaseUrl, linkId), expiresAt: expiresAt.toISOString() };
}

/** A link id that cannot start a connect flow; `code` is stable and shown on the error page. */
export class ConnectLinkError extends AppError {
  constructor(code: 'link_not_found' | 'link_expired' | 'link_used' | 'link_revoked', message: string) {
    super(code, message);
  }
}

const LINK_ID = /^[A-Za-z0-9_-]{43}$/;

/** The booking system that made a link still exists and is not disabled: its outstanding links complete. */
export async function isClientActive(services: Pick<Services, 'store'>, clientId: string): Promise<boolean> {
  const client = await services.store.clients.getClient(clientId);
  return client !== null && !client.entity.disabled;
}

export function linkRevoked(): ConnectLinkError {
  return new ConnectLinkError('link_revoked', 'This connect link is no longer valid. Ask the application for a new one.');
}

/** Consumes a link: marks it used (conditional on its ETag, so two opens cannot both succeed) and returns it. */
export async function useConnectLink(linkId: string, services: Pick<Services, 'store'>): Promise<ConnectLinkEntity> {
  const found = LINK_ID.test(linkId) ? await services.store.connectLinks.getLink(linkId) : null;
  if (!found) throw new ConnectLinkError('link_not_found', 'This connect link is not valid.');
  const link = found.entity;
  if (link.usedAt) throw new ConnectLinkError('link_used', 'This connect link has already been used. Ask for a new one.');
  if (link.expiresAt.getTime() <= Date.now()) throw new ConnectLinkError('link_expired', 'This connect link has expired. Ask for a new one.');
  if (!(await isClientActive(services, link.clientId))) throw linkRevoked();
  try {
    await services.store.connectLinks.links.update({ ...link, usedAt: new Date() }, found.etag);
  } catch (error) {
    if (error instanceof ConcurrencyError) throw new ConnectLinkError('link_used', 'This connect link has already been used. Ask for a new one.');
    throw error;
  }
  return link;
}

/** What POST /api/connect-links answers. */
export const connectLinkSchema = z.object({ linkId: z.string(), url: z.string(), expiresAt: z.string() });
