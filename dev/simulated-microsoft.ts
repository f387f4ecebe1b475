// The transports of a local run against the Microsoft 365 simulator: Graph's origin and Entra's are routed
// to the simulator's loopback URL, and nothing else leaves loopback. This module exists only in dev/: the
// Azure bundle (functions/index.ts) never includes it, so a simulated transport cannot be used in Azure.
//
// MSAL insists on https authorities, so MSAL sees the simulator under a fake https host that its network
// client routes to the loopback URL; the endpoints are given up front (no discovery request), and the one a
// browser opens (authorize) is the simulator's own loopback URL.
import { AuthError, type INetworkModule, type NetworkRequestOptions, type NetworkResponse } from '@azure/msal-node';
import { isRunningInAzure, resetConfig, type Config } from '../shared/config.js';
import { GRAPH_ORIGIN } from '../shared/graph/client.js';
import { configureServices } from '../shared/services.js';
import type { Transports } from '../shared/transports.js';
import { simulatedAppSecrets } from './simulated-app-secret.js';
import { SIMULATED_CLIENT_ID } from './simulator/seed.js';

/** The authority host MSAL sees when the simulator stands in for Entra. Never resolved by DNS. */
export const SIMULATED_AUTHORITY_HOST = 'https://login.simulator.test';

/** True when no real Entra app is configured (or the simulated app's id is): the simulator stands in. */
export function isSimulatedRun(env: NodeJS.ProcessEnv = process.env): boolean {
  const clientId = env.ENTRA_CLIENT_ID?.trim();
  return !clientId || clientId === SIMULATED_CLIENT_ID;
}

/**
 * From now on the process's services reach Microsoft 365 at the simulator: the app runs as the simulated
 * app registration, with its transports routed to `simulatorUrl` and the simulated app's client secret.
 */
export function useSimulator(
  simulatorUrl: string,
  env: NodeJS.ProcessEnv = process.env,
  options: { wrapTransports?: (transports: Transports) => Transports } = {},
): void {
  // The Azure bundle holds none of dev/; this refuses even a hand-started local host there.
  if (isRunningInAzure(env)) throw new Error('The Microsoft 365 simulator is for local runs only, never in Azure');
  env.ENTRA_CLIENT_ID = SIMULATED_CLIENT_ID;
  resetConfig();
  const wrap = options.wrapTransports ?? ((t: Transports) => t);
  configureServices({ transports: (config) => wrap(simulatorTransports(simulatorUrl, simulatedHosts(config))), secrets: simulatedAppSecrets });
}

/** Where the app believes Graph and Entra are, when the simulator answers for them. */
export interface SimulatedHosts {
  graphOrigin: string;
  authorityHost: string;
}

/**
 * The public cloud's Graph, and a fake authority host that no DNS resolves. Under a national cloud setting
 * (AZURE_CLOUD) the simulator answers under that cloud's own Graph and authority hosts, so a local run
 * addresses every request as it would in that cloud.
 */
export function simulatedHosts(config: Pick<Config, 'cloud' | 'graphBaseUrl' | 'entra'>): SimulatedHosts {
  if (config.cloud.name === 'public') return { graphOrigin: GRAPH_ORIGIN, authorityHost: SIMULATED_AUTHORITY_HOST };
  return { graphOrigin: config.graphBaseUrl, authorityHost: config.entra.authorityHost };
}

export function simulatorTransports(simulatorUrl: string, hosts: SimulatedHosts = { graphOrigin: GRAPH_ORIGIN, authorityHost: SIMULATED_AUTHORITY_HOST }): Transports {
  const loopback = simulatorUrl.replace(/\/+$/, '');
  const host = hosts.authorityHost;
  return {
    fetch: loopbackFetch(hosts.graphOrigin, loopback),
    msalNetworkClient: loopbackNetworkClient(host, loopback),
    msalAuthority: (tenant) => ({
      authority: `${host}/${tenant}`,
      knownAuthorities: [new URL(host).host],
      authorityMetadata: JSON.stringify({
        authorization_endpoint: `${loopback}/${tenant}/oauth2/v2.0/authorize`,
        token_endpoint: `${host}/${tenant}/oauth2/v2.0/token`,
        end_session_endpoint: `${loopback}/${tenant}/oauth2/v2.0/logout`,
        jwks_uri: `${host}/${tenant}/discovery/v2.0/keys`,
        issuer: `${host}/{tenantid}/v2.0`,
      }),
    }),
    entraHost: loopback,
  };
}

/** Maps a URL on `from` to `to`; a URL already on `to` stays; anything else is refused. */
function loopbackRoute(from: string, to: string): (url: string) => string {
  const public_ = from.replace(/\/+$/, '');
  return (url) => {
    if (url.toLowerCase().startsWith(`${public_.toLowerCase()}/`)) return to + url.slice(public_.length);
    if (url.startsWith(`${to}/`)) return url;
    throw new Error(`Refusing to send a request outside the simulator: ${new URL(url).origin}`);
  };
}

/** fetch with Graph's origin swapped for the simulator's loopback URL. */
export function loopbackFetch(publicOrigin: string, loopbackOrigin: string): typeof fetch {
  const route = loopbackRoute(publicOrigin, loopbackOrigin.replace(/\/+$/, ''));
  return async (input, init) => {
    if (typeof input === 'string' || input instanceof URL) return fetch(route(String(input)), init);
    const target = route(input.url);
    return fetch(target === input.url ? input : new Request(target, input), init);
  };
}

/**
 * An MSAL network client that sends requests for `publicOrigin` to `loopbackOrigin` instead, telling the
 * server the public name (X-Forwarded-Host/Proto) like a reverse proxy. Any other destination is refused.
 */
export function loopbackNetworkClient(publicOrigin: string, loopbackOrigin: string): INetworkModule {
  const from = publicOrigin.replace(/\/+$/, '');
  const toRoute = loopbackRoute(from, loopbackOrigin.replace(/\/+$/, ''));
  const route = (url: string): string => {
    try {
      return toRoute(url);
    } catch (error) {
      throw new AuthError('network_error', (error as Error).message);
    }
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
