// Azure Key Vault through the official SDK. Never creates secrets on its own. Calls are bounded like storage
// calls: few retries, and an abort after `timeoutMs`. The SDK is imported on the first call, not at start-up
// (the Functions host waits for the entry point's import before it serves anything).
import type { TokenCredential } from '@azure/identity';
import type { SecretClient, SecretClientOptions } from '@azure/keyvault-secrets';
import { assertSecretName, SecretNotFoundError, type SecretCallOptions, type SecretStore, type SecretValue } from './secret-store.js';
import { withSpan } from '../telemetry/tracing.js';

const SECRET_NAME_ATTRIBUTE = 'calendar_bridge.secret.name';

export interface KeyVaultSecretStoreOptions {
  /** The app's Azure credential (shared/auth/azure-credential.ts), or a test's. */
  credential: TokenCredential;
  timeoutMs?: number;
  /** Extra SDK options (tests pass the emulator's CA and disableChallengeResourceVerification). */
  clientOptions?: SecretClientOptions;
  /** Secret read by probe(); its absence is reported, as the app cannot work without it. */
  probeSecretName?: string;
}

export class KeyVaultSecretStore implements SecretStore {
  private sdkClient?: Promise<SecretClient>;
  private readonly timeoutMs: number;
  private readonly probeSecretName?: string;

  constructor(
    private readonly vaultUrl: string,
    private readonly options: KeyVaultSecretStoreOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.probeSecretName = options.probeSecretName;
  }

  /** The SDK's client, built once on first use. */
  private client(): Promise<SecretClient> {
    return (this.sdkClient ??= import('@azure/keyvault-secrets').then(
      ({ SecretClient }) =>
        new SecretClient(this.vaultUrl, this.options.credential, {
          retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000 },
          ...this.options.clientOptions,
        }),
    ));
  }

  // Spans name the secret (a name is not a secret); the value never goes near telemetry.
  async get(name: string, version?: string, options: SecretCallOptions = {}): Promise<SecretValue> {
    assertSecretName(name);
    return withSpan('Key Vault get secret', { [SECRET_NAME_ATTRIBUTE]: name }, async () => {
      try {
        const secret = await (await this.client()).getSecret(name, { version, abortSignal: this.signal(options) });
        if (secret.value === undefined || !secret.properties.version) throw new SecretNotFoundError(name, version);
        return { value: secret.value, version: secret.properties.version };
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) throw new SecretNotFoundError(name, version, { cause: error });
        throw error;
      }
    });
  }

  async set(name: string, value: string, options: SecretCallOptions = {}): Promise<string> {
    assertSecretName(name);
    return withSpan('Key Vault set secret', { [SECRET_NAME_ATTRIBUTE]: name }, async () => {
      const secret = await (await this.client()).setSecret(name, value, { abortSignal: this.signal(options) });
      return secret.properties.version!;
    });
  }

  async listVersions(name: string, options: SecretCallOptions = {}): Promise<string[]> {
    assertSecretName(name);
    const versions: { version: string; createdOn: number }[] = [];
    const client = await this.client();
    for await (const properties of client.listPropertiesOfSecretVersions(name, { abortSignal: this.signal(options) })) {
      if (properties.version) versions.push({ version: properties.version, createdOn: properties.createdOn?.getTime() ?? 0 });
    }
    return versions.sort((a, b) => a.createdOn - b.createdOn).map((v) => v.version);
  }

  /** Reads the probe secret (or, without one, the first page of secret names). */
  async probe(options: SecretCallOptions = {}): Promise<void> {
    if (this.probeSecretName) {
      await this.get(this.probeSecretName, undefined, options);
      return;
    }
    await (await this.client()).listPropertiesOfSecrets({ abortSignal: this.signal(options) }).byPage({ maxPageSize: 1 }).next();
  }

  private signal(options: SecretCallOptions): AbortSignal {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    return options.abortSignal ? AbortSignal.any([timeout, options.abortSignal]) : timeout;
  }
}
