// The process-wide services function handlers use, built on first use from the configuration.
// Tests call resetConfig() and resetServices() after changing process.env.
import { getConfig, type Config } from './config.js';
import { connectionReactions, type ConnectionReactions } from './connection-reactions.js';
import { createStore, type Store } from './store/store.js';
import type { CachingSecretStore } from './secrets/caching-secret-store.js';
import { createSecretStore } from './secrets/create-secret-store.js';
import { EnvelopeCipher } from './secrets/envelope.js';

export interface Services {
  config: Config;
  store: Store;
  secrets: CachingSecretStore;
  /** Encrypts token caches and PKCE verifiers under config.tokenKeyName. */
  envelope: EnvelopeCipher;
  /** What disconnecting and needs_reauth set off (subscriptions removed, webhooks sent). */
  connectionReactions: ConnectionReactions;
}

let services: Services | undefined;

export function getServices(): Services {
  if (!services) {
    const config = getConfig();
    const secrets = createSecretStore(config);
    services = { config, store: createStore(config.storage), secrets, envelope: new EnvelopeCipher(secrets, config.tokenKeyName), connectionReactions };
  }
  return services;
}

export function resetServices(): void {
  services = undefined;
}
