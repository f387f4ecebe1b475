// Where secrets live: Azure Key Vault in Azure, a local file in development. Versions are immutable;
// set() makes a new version, which is how keys rotate.

export interface SecretValue {
  value: string;
  version: string;
}

export interface SecretCallOptions {
  abortSignal?: AbortSignal;
}

export interface SecretStore {
  /** The latest version, or the given one. SecretNotFoundError when absent. */
  get(name: string, version?: string, options?: SecretCallOptions): Promise<SecretValue>;
  /** Stores a new version and returns its id. */
  set(name: string, value: string, options?: SecretCallOptions): Promise<string>;
  /** Versions of a secret, oldest first (never the values). */
  listVersions(name: string, options?: SecretCallOptions): Promise<string[]>;
  /** A cheap round trip that proves the store answers (for /api/health); bypasses any cache. */
  probe(options?: SecretCallOptions): Promise<void>;
}

/** Names allowed by Key Vault (and so by every store): letters, digits and dashes, 1 to 127. */
export const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;

export function assertSecretName(name: string): void {
  if (!SECRET_NAME.test(name)) throw new TypeError('secret names are 1-127 letters, digits or dashes');
}

export class SecretNotFoundError extends Error {
  override name = 'SecretNotFoundError';
  readonly code = 'secret_not_found';
  constructor(secretName: string, version?: string, options: { cause?: unknown } = {}) {
    super(`secret "${secretName}"${version ? ` version ${version}` : ''} not found`, options);
  }
}

export const isSecretNotFound = (error: unknown): error is SecretNotFoundError =>
  (error as Error | undefined)?.name === 'SecretNotFoundError';
