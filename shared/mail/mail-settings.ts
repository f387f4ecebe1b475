// The operator's switch for mail per booking system (PUT /api/manage/clients/{clientId}/mail). Turning it
// on does not change existing connections: they answer consent_missing with a link until their users consent.
import * as z from 'zod';
import { AppError } from '../errors/app-error.js';
import type { Services } from '../services.js';
import { mutateClient } from '../clients/manage-clients.js';

export const mailSettingsSchema = z
  .strictObject({ mailEnabled: z.boolean(), legacyProtocols: z.boolean().optional() })
  .refine((v) => v.mailEnabled || !v.legacyProtocols, { path: ['legacyProtocols'], message: 'needs mailEnabled' });

export interface MailSettingsView {
  clientId: string;
  mailEnabled: boolean;
  legacyProtocols: boolean;
}

export async function setMailSettings(clientId: string, input: z.infer<typeof mailSettingsSchema>, services: Pick<Services, 'store'>): Promise<MailSettingsView> {
  if (!/^[a-z0-9]{8,40}$/.test(clientId)) throw new AppError('not_found', 'No such client.');
  const saved = await mutateClient(clientId, services, (c) => ({
    ...c,
    mailEnabled: input.mailEnabled,
    legacyProtocols: input.mailEnabled && (input.legacyProtocols ?? false),
    updatedAt: new Date(),
  }));
  return { clientId: saved.rowKey, mailEnabled: Boolean(saved.mailEnabled), legacyProtocols: Boolean(saved.legacyProtocols) };
}
