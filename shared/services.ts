// The process-wide services function handlers use, built on first use from the configuration.
// Tests call resetConfig() and resetServices() after changing process.env.
import { getConfig, type Config } from './config.js';
import { connectionReactions, type ConnectionReactions } from './connection-reactions.js';
import { createStore, type Store } from './store/store.js';
import type { CachingSecretStore } from './secrets/caching-secret-store.js';
import { createSecretStore } from './secrets/create-secret-store.js';
import { EnvelopeCipher } from './secrets/envelope.js';
import { defaultTransports, type Transports } from './transports.js';

export interface Services {
  config: Config;
  store: Store;
  secrets: CachingSecretStore;
  /** Encrypts token caches and PKCE verifiers under config.tokenKeyName. */
  envelope: EnvelopeCipher;
  /** How Microsoft Graph and Entra are reached. */
  transports: Transports;
  /** What disconnecting and needs_reauth set off (subscriptions removed, webhooks sent). */
  connectionReactions: ConnectionReactions;
}

/** What the host running the app may hand in instead of the defaults (Azure uses the defaults). */
export interface ServiceOptions {
  transports?: (config: Config) => Transports;
  /** The secret store; Key Vault or the local file store as configured when absent. */
  secrets?: (config: Config) => CachingSecretStore;
}

let options: ServiceOptions = {};
let services: Services | undefined;

export function getServices(): Services {
  if (!services) {
    const config = getConfig();
    const secrets = options.secrets?.(config) ?? createSecretStore(config);
    services = {
      config,
      store: createStore(config.storage),
      secrets,
      envelope: new EnvelopeCipher(secrets, config.tokenKeyName),
      transports: options.transports?.(config) ?? defaultTransports(config),
      connectionReactions,
    };
  }
  return services;
}

/** Builds the services with these options from now on (the local host: transports to the simulator). */
export function configureServices(next: ServiceOptions): void {
  options = next;
  services = undefined;
}

export function resetServices(): void {
  services = undefined;
}
