// Secrets the app needs that the local store may create on first use. Key Vault never auto-creates:
// in Azure an operator (or the deployment) sets them, so a missing one is a visible misconfiguration.
import { randomBytes } from 'node:crypto';

export type SecretGenerator = () => string;

/** A 256-bit key-encryption key, base64. */
export const generateTokenKey: SecretGenerator = () => randomBytes(32).toString('base64');

/** The operator's admin API key. */
export const generateAdminKey: SecretGenerator = () => `cb_admin_${randomBytes(24).toString('base64url')}`;

export function wellKnownGenerators(names: { tokenKeyName: string; adminKeySecretName: string }): Record<string, SecretGenerator> {
  return { [names.tokenKeyName]: generateTokenKey, [names.adminKeySecretName]: generateAdminKey };
}
