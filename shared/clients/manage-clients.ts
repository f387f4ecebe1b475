// Operator actions on booking-system clients: create (the API key and webhook signing secret are returned
// this once), list, rotate the API key (the previous key keeps working until the next rotation, or is
// revoked at once), disable. Only hashes of API keys are stored; signing secrets live in the secret store.
import * as z from 'zod';
import { startDisconnectClientScan } from '../upkeep/upkeep.js';
import { generateApiKey, newClientId } from '../auth/api-keys.js';
import { AppError } from '../errors/app-error.js';
import { CLIENT_PARTITION, type ClientEntity } from '../store/repositories/clients.js';
import { NotFoundError } from '../store/errors.js';
import type { Services } from '../services.js';
import { canonicalOrigin } from '../connect/return-url.js';
import { newSigningSecret } from '../webhooks/signature.js';
import { webhookUrlProblem } from '../webhooks/post-webhook.js';

const origin = z.string().max(300).refine((v) => canonicalOrigin(v) !== undefined, 'must be an http(s) origin like https://booking.example.com');
const webhookUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine((v) => !/[\s\\]/.test(v) && !new URL(v).username && !new URL(v).password, 'must be an http(s) URL without user information');

export const createClientSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    allowedReturnOrigins: z.array(origin).min(1).max(20),
    webhookUrl: webhookUrl.optional(),
    webhookPort: z.number().int().min(1).max(65535).optional().describe('in Azure: a port besides 443 the webhook URL may use'),
  })
  .strict();

export const rotateKeySchema = z.object({ revokePrevious: z.boolean().optional() }).strict();

export interface ClientView {
  clientId: string;
  name: string;
  status: 'active' | 'disabled';
  allowedReturnOrigins: string[];
  webhookUrl?: string;
  webhookPort?: number;
  activeApiKeys: number;
  createdAt: string;
  updatedAt?: string;
}

export function clientView(c: ClientEntity): ClientView {
  return {
    clientId: c.rowKey,
    name: c.name,
    status: c.disabled ? 'disabled' : 'active',
    allowedReturnOrigins: c.allowedReturnOrigins,
    webhookUrl: c.webhookUrl,
    webhookPort: c.webhookPort,
    activeApiKeys: c.apiKeyHashes.length,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt?.toISOString(),
  };
}

export function signingSecretName(clientId: string): string {
  return `client-${clientId}-webhook-signing`;
}

export async function createClient(
  input: z.infer<typeof createClientSchema>,
  services: Pick<Services, 'store' | 'secrets' | 'config'>,
): Promise<ClientView & { apiKey: string; signingSecret: string }> {
  // In Azure a webhook URL must not point inside; locally the console's loopback receiver is the webhook.
  const refused = input.webhookUrl && services.config.inAzure ? webhookUrlProblem(input.webhookUrl, true, input.webhookPort) : undefined;
  if (refused) throw new AppError('webhook_url_not_allowed', refused, { field: 'webhookUrl' });
  const clientId = newClientId();
  const { key, hash } = generateApiKey(clientId);
  const signingSecret = newSigningSecret();
  const secretName = signingSecretName(clientId);
  await services.secrets.set(secretName, signingSecret);
  const entity: ClientEntity = {
    partitionKey: CLIENT_PARTITION,
    rowKey: clientId,
    name: input.name,
    apiKeyHashes: [hash],
    allowedReturnOrigins: [...new Set(input.allowedReturnOrigins.map((o) => canonicalOrigin(o)!))],
    webhookUrl: input.webhookUrl,
    webhookPort: input.webhookPort,
    signingSecretName: secretName,
    createdAt: new Date(),
  };
  await services.store.clients.create(entity);
  return { ...clientView(entity), apiKey: key, signingSecret };
}

export async function listClients(services: Pick<Services, 'store'>): Promise<ClientView[]> {
  const out: ClientView[] = [];
  for await (const { entity } of services.store.clients.queryAll(`PartitionKey eq '${CLIENT_PARTITION}'`)) out.push(clientView(entity));
  return out;
}

const CLIENT_ID = /^[a-z0-9]{8,40}$/;

function requireClientId(clientId: string): string {
  if (!CLIENT_ID.test(clientId)) throw new AppError('not_found', 'No such client.');
  return clientId;
}

/** A new API key; the newest previous key stays valid (two during a rotation) unless revokePrevious. */
export async function rotateApiKey(
  clientId: string,
  input: z.infer<typeof rotateKeySchema>,
  services: Pick<Services, 'store'>,
): Promise<ClientView & { apiKey: string }> {
  const { key, hash } = generateApiKey(requireClientId(clientId));
  const saved = await mutateClient(clientId, services, (c) => ({
    ...c,
    apiKeyHashes: input.revokePrevious ? [hash] : [...c.apiKeyHashes.slice(-1), hash],
    updatedAt: new Date(),
  }));
  return { ...clientView(saved), apiKey: key };
}

export async function disableClient(clientId: string, services: Pick<Services, 'store'>): Promise<ClientView> {
  return clientView(await mutateClient(requireClientId(clientId), services, (c) => ({ ...c, disabled: true, updatedAt: new Date() })));
}

/**
 * Disconnect every connection of a client, resumably: the work is queued page by page on the upkeep queue
 * and runs even while the integration is paused. Events already written stay in Outlook. Disable the client
 * too when it must not connect anyone again.
 */
export async function disconnectAllConnections(clientId: string, services: Pick<Services, 'store' | 'config'>): Promise<{ clientId: string; queuedAt: string }> {
  if (!(await services.store.clients.getClient(requireClientId(clientId)))) throw new AppError('not_found', 'No such client.');
  return { clientId, queuedAt: await startDisconnectClientScan(services, clientId) };
}

export const disconnectAllSchema = z.object({ clientId: z.string(), queuedAt: z.string() });

export async function mutateClient(clientId: string, services: Pick<Services, 'store'>, change: (c: ClientEntity) => ClientEntity): Promise<ClientEntity> {
  try {
    return (await services.store.clients.mutate(CLIENT_PARTITION, clientId, change)).entity;
  } catch (error) {
    if (error instanceof NotFoundError) throw new AppError('not_found', 'No such client.');
    throw error;
  }
}

/** ClientView as the API describes it. */
export const clientViewSchema = z
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
