// The Entra client secret MSAL authenticates with: from the secret store (Key Vault in Azure). With no real
// Entra app configured, the Microsoft 365 simulator's fixed, well-known secret (not a secret: it only
// works against the loopback simulator, which config refuses in Azure).
import { SIMULATED_CLIENT_SECRET } from '../config.js';
import type { Services } from '../services.js';

export async function entraClientSecret(services: Pick<Services, 'config' | 'secrets'>): Promise<string> {
  const { entra } = services.config;
  if (entra.simulated) return SIMULATED_CLIENT_SECRET;
  return (await services.secrets.get(entra.clientSecretName)).value;
}

/** Delegated permissions every connection holds; MSAL adds openid, profile and offline_access itself. */
export const GRAPH_SCOPES = ['User.Read', 'Calendars.ReadWrite'] as const;

/** The scopes of the authorize request, offline_access named explicitly (refresh tokens depend on it). */
export const CONNECT_SCOPES = ['offline_access', ...GRAPH_SCOPES];
