// How the app reaches Microsoft: Graph and Entra's OpenID documents over `fetch`, sign-ins and tokens through
// MSAL. In Azure these are the defaults below: the platform's fetch, MSAL's own HTTP client and discovery, the
// hosts the settings name. A local run builds the services with transports of its own (dev/), which is how a
// stand-in for Microsoft 365 is reached without the app knowing.
import type { INetworkModule, NodeAuthOptions } from '@azure/msal-node';
import type { Config } from './config.js';

/** MSAL's authority options for one tenant. */
export type MsalAuthority = Pick<NodeAuthOptions, 'authority' | 'knownAuthorities' | 'authorityMetadata'>;

export interface Transports {
  /** Every request to Microsoft Graph (GRAPH_BASE_URL) and to Entra's OpenID documents. */
  fetch: typeof fetch;
  /** MSAL's HTTP client; MSAL's own when undefined. */
  msalNetworkClient?: INetworkModule;
  /** MSAL's authority for a tenant. */
  msalAuthority(tenant: string): MsalAuthority;
  /**
   * The identity platform's host as browsers and token holders know it: where an administrator is sent to
   * consent, and whose OpenID configuration names the issuer of admin tokens.
   */
  entraHost: string;
}

export function defaultTransports(config: Pick<Config, 'entra'>): Transports {
  const host = config.entra.authorityHost;
  return {
    fetch: (input, init) => fetch(input, init),
    // MSAL discovers the authority's endpoints itself (https://learn.microsoft.com/entra/identity-platform/msal-client-application-configuration#authority).
    msalAuthority: (tenant) => ({ authority: `${host}/${tenant}` }),
    entraHost: host,
  };
}
