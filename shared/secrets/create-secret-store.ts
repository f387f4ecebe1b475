// The app's secret store from configuration: Key Vault when KEY_VAULT_URL is set (always, in Azure),
// the local file store otherwise; both behind the TTL cache.
import type { Config } from '../config.js';
import { azureCredential } from '../auth/azure-credential.js';
import { CachingSecretStore } from './caching-secret-store.js';
import { KeyVaultSecretStore } from './key-vault-secret-store.js';
import { LocalSecretStore } from './local-secret-store.js';
import { wellKnownGenerators } from './well-known-secrets.js';

export function createSecretStore(config: Config): CachingSecretStore {
  const inner = config.secrets.keyVaultUrl
    ? new KeyVaultSecretStore(config.secrets.keyVaultUrl, {
        credential: azureCredential({ inAzure: config.inAzure, managedIdentityClientId: config.managedIdentityClientId }),
        timeoutMs: config.storage.timeoutMs,
        probeSecretName: config.tokenKeyName,
      })
    : new LocalSecretStore(config.secrets.localPath, { generators: wellKnownGenerators(config) });
  return new CachingSecretStore(inner, config.secrets.cacheTtlSeconds);
}
