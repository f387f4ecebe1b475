// The secrets a client's deliveries are signed with. The secret lives in the secret store under the
// client's signingSecretName; a rotation stores a new version and pins the versions in use on the client
// row, so every instance signs with both (old and new) at once, whatever its secret cache holds, until
// the next rotation or until the previous one is revoked.
import * as z from 'zod';
import { AppError } from '../errors/app-error.js';
import type { Services } from '../services.js';
import { CLIENT_PARTITION, type ClientEntity } from '../store/repositories/clients.js';
import { NotFoundError } from '../store/errors.js';
import { signingSecretName } from '../clients/manage-clients.js';
import { newSigningSecret } from './signature.js';

export const rotateSigningSecretSchema = z.object({ revokePrevious: z.boolean().optional() }).strict();


/** The signing secrets to sign with, newest first; empty when the client has none. */
export async function activeSigningSecrets(client: ClientEntity, services: Pick<Services, 'secrets'>): Promise<string[]> {
  const name = client.signingSecretName;
  if (!name) return [];
  const versions = client.signingSecretVersions ?? [];
  if (versions.length === 0) return [(await services.secrets.get(name)).value];
  return Promise.all(versions.map(async (version) => (await services.secrets.get(name, version)).value));
}

export interface RotatedSigningSecret {
  clientId: string;
  /** Shown this once. */
  signingSecret: string;
  /** How many secrets deliveries are now signed with (2 while the previous one is still honoured). */
  activeSigningSecrets: number;
}

/** A new signing secret; the previous one keeps signing too until the next rotation, unless revokePrevious. */
export async function rotateSigningSecret(
  clientId: string,
  input: z.infer<typeof rotateSigningSecretSchema>,
  services: Pick<Services, 'store' | 'secrets'>,
): Promise<RotatedSigningSecret> {
  const found = /^[a-z0-9]{8,40}$/.test(clientId) ? await services.store.clients.getClient(clientId) : null;
  if (!found) throw new AppError('not_found', 'No such client.');
  const name = found.entity.signingSecretName ?? signingSecretName(clientId);
  // The version signing today: pinned on the row, or the newest in the store (read uncached).
  const previous = found.entity.signingSecretVersions?.[0] ?? (found.entity.signingSecretName ? (await services.secrets.listVersions(name)).at(-1) : undefined);
  const signingSecret = newSigningSecret();
  const version = await services.secrets.set(name, signingSecret);
  const versions = input.revokePrevious || !previous || previous === version ? [version] : [version, previous];
  try {
    await services.store.clients.mutate(CLIENT_PARTITION, clientId, (c) => ({
      ...c,
      signingSecretName: name,
      signingSecretVersions: versions,
      updatedAt: new Date(),
    }));
  } catch (error) {
    if (error instanceof NotFoundError) throw new AppError('not_found', 'No such client.');
    throw error;
  }
  return { clientId, signingSecret, activeSigningSecrets: versions.length };
}
