// The simulated app registration's client secret, supplied to a local run against the simulator by its secret
// store: answered while the store holds no such secret, and never written to it (a later run with a real Entra
// app does not find it there).
import type { Config } from '../shared/config.js';
import { CachingSecretStore } from '../shared/secrets/caching-secret-store.js';
import { createSecretStore } from '../shared/secrets/create-secret-store.js';
import { isSecretNotFound, type SecretCallOptions, type SecretStore, type SecretValue } from '../shared/secrets/secret-store.js';
import { SIMULATED_CLIENT_SECRET } from './simulator/seed.js';

/** The configured secret store, which answers the simulated app's client secret while it holds none (never stored). */
export function simulatedAppSecrets(config: Config): CachingSecretStore {
  return new CachingSecretStore(new WithSimulatedAppSecret(createSecretStore(config).inner, config.entra.clientSecretName), config.secrets.cacheTtlSeconds);
}

class WithSimulatedAppSecret implements SecretStore {
  constructor(
    private readonly inner: SecretStore,
    private readonly secretName: string,
  ) {}

  async get(name: string, version?: string, options?: SecretCallOptions): Promise<SecretValue> {
    try {
      return await this.inner.get(name, version, options);
    } catch (error) {
      if (name !== this.secretName || version || !isSecretNotFound(error)) throw error;
      return { value: SIMULATED_CLIENT_SECRET, version: 'simulated' };
    }
  }

  set(name: string, value: string, options?: SecretCallOptions): Promise<string> {
    return this.inner.set(name, value, options);
  }

  listVersions(name: string, options?: SecretCallOptions): Promise<string[]> {
    return this.inner.listVersions(name, options);
  }

  probe(options?: SecretCallOptions): Promise<void> {
    return this.inner.probe(options);
  }
}

