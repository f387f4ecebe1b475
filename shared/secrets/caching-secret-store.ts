// Key Vault allows 4,000 operations per 10 s per vault
// (https://learn.microsoft.com/azure/key-vault/general/service-limits): cache what we read.
// The latest version of a name is cached for `ttlSeconds` (so a rotation is picked up within the TTL);
// a specific version never changes, so it is cached until evicted.
import type { SecretCallOptions, SecretStore, SecretValue } from './secret-store.js';

const MAX_VERSION_ENTRIES = 256;

export class CachingSecretStore implements SecretStore {
  private readonly latest = new Map<string, { value: Promise<SecretValue>; expiresAt: number }>();
  private readonly byVersion = new Map<string, SecretValue>();

  constructor(
    readonly inner: SecretStore,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(name: string, version?: string, options: SecretCallOptions = {}): Promise<SecretValue> {
    if (version) {
      const key = `${name}/${version}`;
      const hit = this.byVersion.get(key);
      if (hit) return hit;
      const fetched = await this.inner.get(name, version, options);
      this.remember(key, fetched);
      return fetched;
    }
    const cached = this.latest.get(name);
    if (cached && cached.expiresAt > this.now()) return cached.value;
    // Share one in-flight read between concurrent callers; forget it if it fails.
    const value = this.inner.get(name, undefined, options);
    this.latest.set(name, { value, expiresAt: this.now() + this.ttlSeconds * 1000 });
    try {
      const resolved = await value;
      this.remember(`${name}/${resolved.version}`, resolved);
      return resolved;
    } catch (error) {
      if (this.latest.get(name)?.value === value) this.latest.delete(name);
      throw error;
    }
  }

  async set(name: string, value: string, options: SecretCallOptions = {}): Promise<string> {
    const version = await this.inner.set(name, value, options);
    this.latest.delete(name);
    return version;
  }

  listVersions(name: string, options: SecretCallOptions = {}): Promise<string[]> {
    return this.inner.listVersions(name, options);
  }

  probe(options: SecretCallOptions = {}): Promise<void> {
    return this.inner.probe(options);
  }

  /** Drops every cached value (tests, or after an operator rotates a key and wants it used now). */
  clear(): void {
    this.latest.clear();
    this.byVersion.clear();
  }

  private remember(key: string, value: SecretValue): void {
    if (this.byVersion.size >= MAX_VERSION_ENTRIES) this.byVersion.delete(this.byVersion.keys().next().value!);
    this.byVersion.set(key, value);
  }
}
