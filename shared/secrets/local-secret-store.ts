// Development secret store: a JSON file readable only by its owner (mode 0600), or memory (':memory:').
// Keeps every version, like Key Vault. Well-known secrets (the token key, the admin key) are created on first
// read so `npm start` needs no setup; that never happens in Azure, where KeyVaultSecretStore is used.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SecretGenerator } from './well-known-secrets.js';
import { assertSecretName, SecretNotFoundError, type SecretStore, type SecretValue } from './secret-store.js';

export const IN_MEMORY = ':memory:';

interface StoredVersion {
  version: string;
  value: string;
  createdOn: string;
}

interface SecretsFile {
  secrets: Record<string, StoredVersion[]>;
}

export interface LocalSecretStoreOptions {
  /** Secrets created on first read when missing. */
  generators?: Record<string, SecretGenerator>;
}

export class LocalSecretStore implements SecretStore {
  private memory: SecretsFile = { secrets: {} };
  private queue: Promise<unknown> = Promise.resolve();
  private readonly generators: Record<string, SecretGenerator>;

  constructor(
    readonly path: string,
    options: LocalSecretStoreOptions = {},
  ) {
    this.generators = options.generators ?? {};
  }

  async get(name: string, version?: string): Promise<SecretValue> {
    assertSecretName(name);
    return this.exclusive(async () => {
      const data = await this.load();
      let versions = data.secrets[name];
      const generate = this.generators[name];
      if (!versions?.length && !version && generate) {
        versions = [this.newVersion(generate())];
        data.secrets[name] = versions;
        await this.save(data);
      }
      const found = version ? versions?.find((v) => v.version === version) : versions?.at(-1);
      if (!found) throw new SecretNotFoundError(name, version);
      return { value: found.value, version: found.version };
    });
  }

  async set(name: string, value: string): Promise<string> {
    assertSecretName(name);
    return this.exclusive(async () => {
      const data = await this.load();
      const entry = this.newVersion(value);
      (data.secrets[name] ??= []).push(entry);
      await this.save(data);
      return entry.version;
    });
  }

  async listVersions(name: string): Promise<string[]> {
    assertSecretName(name);
    return this.exclusive(async () => (await this.load()).secrets[name]?.map((v) => v.version) ?? []);
  }

  async probe(): Promise<void> {
    await this.exclusive(() => this.load());
  }

  private newVersion(value: string): StoredVersion {
    // Key Vault style: 32 hex characters.
    return { version: randomBytes(16).toString('hex'), value, createdOn: new Date().toISOString() };
  }

  /** One operation at a time, so a read-then-write never interleaves with another. */
  private exclusive<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  // The file is re-read on every call (small, and the cache sits above), so an admin CLI's writes are seen.
  private async load(): Promise<SecretsFile> {
    if (this.path === IN_MEMORY) return this.memory;
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { secrets: {} };
      throw error;
    }
    const parsed = JSON.parse(text) as Partial<SecretsFile>;
    return { secrets: parsed.secrets ?? {} };
  }

  private async save(data: SecretsFile): Promise<void> {
    if (this.path === IN_MEMORY) {
      this.memory = data;
      return;
    }
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    await chmod(temp, 0o600); // in case the file pre-existed with a wider mode
    await rename(temp, this.path);
  }
}
