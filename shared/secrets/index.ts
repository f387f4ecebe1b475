// Public surface of the secrets layer.
export type { SecretStore, SecretValue, SecretCallOptions } from './secret-store.js';
export { SecretNotFoundError, isSecretNotFound } from './secret-store.js';
export { CachingSecretStore } from './caching-secret-store.js';
export { KeyVaultSecretStore, type KeyVaultSecretStoreOptions } from './key-vault-secret-store.js';
export { LocalSecretStore, IN_MEMORY } from './local-secret-store.js';
export { EnvelopeCipher, DecryptionError, envelopeKeyRef, type EnvelopeKeyRef } from './envelope.js';
export { createSecretStore } from './create-secret-store.js';
export { generateTokenKey, generateAdminKey } from './well-known-secrets.js';
