// The MSAL confidential client, built from Config and the services' transports: the authority and MSAL's
// HTTP client come from there (MSAL's own defaults in Azure; a local run hands in its own).
import type { ConfidentialClientApplication, Configuration, ICachePlugin, LogLevel } from '@azure/msal-node';
import type { Config } from '../config.js';
import type { Transports } from '../transports.js';
import type { MsalClientCredential } from './entra-credentials.js';
import { redact } from '../logging.js';
import { loadMsal, msalIfLoaded } from './msal-sdk.js';

export interface MsalClientOptions {
  /** The app's Entra credential (entraClientCredential). */
  credential: MsalClientCredential;
  /** Persists the token cache, e.g. per connection. */
  cachePlugin?: ICachePlugin;
  /** Authority tenant instead of ENTRA_TENANT: app-only tokens are always for one named tenant. */
  tenant?: string;
}

export async function createMsalClient(
  services: { config: Pick<Config, 'entra'>; transports: Transports },
  options: MsalClientOptions,
): Promise<ConfidentialClientApplication> {
  const { ConfidentialClientApplication, LogLevel } = await loadMsal();
  const { config, transports } = services;
  const tenant = options.tenant ?? config.entra.tenant;
  const msalConfig: Configuration = {
    auth: { clientId: config.entra.clientId, ...options.credential, ...transports.msalAuthority(tenant) },
    cache: options.cachePlugin ? { cachePlugin: options.cachePlugin } : undefined,
    system: {
      loggerOptions: { loggerCallback: logMsal, piiLoggingEnabled: false, logLevel: LogLevel.Warning },
      ...(transports.msalNetworkClient ? { networkClient: transports.msalNetworkClient } : {}),
    },
  };
  return new ConfidentialClientApplication(msalConfig);
}

/**
 * True when the error means the user must sign in again: MSAL's InteractionRequiredAuthError, or a
 * ServerError with invalid_grant (expired, revoked or otherwise dead refresh token), which MSAL does not
 * count as "interaction required".
 */
export function isReauthRequired(error: unknown): boolean {
  const msal = msalIfLoaded();
  if (!msal) return false;
  if (error instanceof msal.InteractionRequiredAuthError) return true;
  return error instanceof msal.ServerError && error.errorCode === 'invalid_grant';
}

function logMsal(level: LogLevel, message: string, containsPii: boolean): void {
  if (containsPii) return;
  const line = `msal: ${redact(message)}`;
  if (level === msalIfLoaded()?.LogLevel.Error) console.error(line);
  else console.warn(line);
}
