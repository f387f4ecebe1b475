// The MSAL confidential client, built from Config. Against the Microsoft 365 simulator (local runs and
// tests only; config refuses M365_SIMULATOR_URL in Azure) the authority is a fake https host that a custom
// network client routes to the simulator's loopback URL: MSAL insists on https authorities, and this way
// the production code paths stay the same and no request leaves loopback.
import {
  AuthError,
  ConfidentialClientApplication,
  InteractionRequiredAuthError,
  LogLevel,
  ServerError,
  type Configuration,
  type ICachePlugin,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import type { Config } from '../config.js';
import type { MsalClientCredential } from './entra-credentials.js';
import { redact } from '../logging.js';

/** The authority host MSAL sees when the simulator stands in for Entra. Never resolved by DNS. */
export const SIMULATED_AUTHORITY_HOST = 'https://login.simulator.test';

export interface MsalClientOptions {
  /** The app's Entra credential (entraClientCredential). */
  credential: MsalClientCredential;
  /** Persists the token cache, e.g. per connection. */
  cachePlugin?: ICachePlugin;
  /** Authority tenant instead of ENTRA_TENANT: app-only tokens are always for one named tenant. */
  tenant?: string;
}

export function createMsalClient(config: Config, options: MsalClientOptions): ConfidentialClientApplication {
  const { clientId } = config.entra;
  const tenant = options.tenant ?? config.entra.tenant;
  const msalConfig: Configuration = {
    auth: { clientId, ...options.credential, authority: `${config.entra.authorityHost}/${tenant}` },
    cache: options.cachePlugin ? { cachePlugin: options.cachePlugin } : undefined,
    system: { loggerOptions: { loggerCallback: logMsal, piiLoggingEnabled: false, logLevel: LogLevel.Warning } },
  };
  if (config.simulatorUrl) {
    const host = SIMULATED_AUTHORITY_HOST;
    msalConfig.auth.authority = `${host}/${tenant}`;
    msalConfig.auth.knownAuthorities = [new URL(host).host];
    // Endpoints given up front: no discovery request. The authorize endpoint is opened by a browser, so it
    // is the simulator's own loopback URL; everything MSAL fetches itself goes through the fake host.
    msalConfig.auth.authorityMetadata = JSON.stringify({
      authorization_endpoint: `${config.simulatorUrl}/${tenant}/oauth2/v2.0/authorize`,
      token_endpoint: `${host}/${tenant}/oauth2/v2.0/token`,
      end_session_endpoint: `${config.simulatorUrl}/${tenant}/oauth2/v2.0/logout`,
      jwks_uri: `${host}/${tenant}/discovery/v2.0/keys`,
      issuer: `${host}/{tenantid}/v2.0`,
    });
    msalConfig.system = { ...msalConfig.system, networkClient: loopbackNetworkClient(host, config.simulatorUrl) };
  }
  return new ConfidentialClientApplication(msalConfig);
}

/**
 * True when the error means the user must sign in again: MSAL's InteractionRequiredAuthError, or a
 * ServerError with invalid_grant (expired, revoked or otherwise dead refresh token), which MSAL does not
 * count as "interaction required".
 */
export function isReauthRequired(error: unknown): boolean {
  if (error instanceof InteractionRequiredAuthError) return true;
  return error instanceof ServerError && error.errorCode === 'invalid_grant';
}

/**
 * An MSAL network client that sends requests for `publicOrigin` to `loopbackOrigin` instead, telling the
 * server the public name (X-Forwarded-Host/Proto) like a reverse proxy. Any other destination is refused.
 */
export function loopbackNetworkClient(publicOrigin: string, loopbackOrigin: string): INetworkModule {
  const from = publicOrigin.replace(/\/+$/, '');
  const to = loopbackOrigin.replace(/\/+$/, '');
  const route = (url: string): string => {
    if (url.toLowerCase().startsWith(`${from.toLowerCase()}/`)) return to + url.slice(from.length);
    if (url.startsWith(`${to}/`)) return url;
    throw new AuthError('network_error', `Refusing to send a request outside the simulator: ${new URL(url).origin}`);
  };
  const send = async <T>(url: string, method: 'GET' | 'POST', options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> => {
    const target = route(url);
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers: { ...options?.headers, 'X-Forwarded-Host': new URL(from).host, 'X-Forwarded-Proto': 'https' },
        body: method === 'POST' ? (options?.body ?? '') : undefined,
        signal: timeout ? AbortSignal.timeout(timeout) : undefined,
      });
    } catch (error) {
      throw new AuthError('network_error', `Network request failed: ${error instanceof Error ? error.message : 'unknown'}`);
    }
    let body: T;
    try {
      body = (await response.json()) as T;
    } catch (error) {
      throw new AuthError('token_parsing_error', `Failed to parse response: ${error instanceof Error ? error.message : 'unknown'}`);
    }
    return { status: response.status, headers: Object.fromEntries(response.headers), body };
  };
  return {
    sendGetRequestAsync: (url, options, timeout) => send(url, 'GET', options, timeout),
    sendPostRequestAsync: (url, options) => send(url, 'POST', options),
  };
}

function logMsal(level: LogLevel, message: string, containsPii: boolean): void {
  if (containsPii) return;
  const line = `msal: ${redact(message)}`;
  if (level === LogLevel.Error) console.error(line);
  else console.warn(line);
}
