// The development secret store: versions, a 0600 file, and well-known secrets created on first use.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IN_MEMORY, LocalSecretStore } from '../../shared/secrets/local-secret-store.js';
import { SecretNotFoundError } from '../../shared/secrets/secret-store.js';
import { generateTokenKey, wellKnownGenerators } from '../../shared/secrets/well-known-secrets.js';

const dirs: string[] = [];
async function tempFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'local-secrets-'));
  dirs.push(dir);
  return join(dir, 'nested', 'secrets.json');
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('LocalSecretStore', () => {
  it('keeps every version in a file only its owner can read, across instances', async () => {
    const path = await tempFile();
    const a = new LocalSecretStore(path);
    const v1 = await a.set('webhook-secret', 'one');
    const v2 = await a.set('webhook-secret', 'two');
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    const b = new LocalSecretStore(path);
    expect(await b.get('webhook-secret')).toEqual({ value: 'two', version: v2 });
    expect(await b.get('webhook-secret', v1)).toEqual({ value: 'one', version: v1 });
    expect(await b.listVersions('webhook-secret')).toEqual([v1, v2]);
  });

  it('narrows a pre-existing file to 0600 on write', async () => {
    const path = await tempFile();
    await new LocalSecretStore(path).set('x', '1');
    await writeFile(path, await readFile(path, 'utf8'), { mode: 0o644 });
    await new LocalSecretStore(path).set('x', '2');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('creates well-known secrets on first read, once, and nothing else', async () => {
    const store = new LocalSecretStore(IN_MEMORY, {
      generators: wellKnownGenerators({ tokenKeyName: 'token-key', adminKeySecretName: 'admin-key' }),
    });
    const [first, second] = await Promise.all([store.get('token-key'), store.get('token-key')]);
    expect(first).toEqual(second);
    expect(Buffer.from(first.value, 'base64')).toHaveLength(32);
    expect((await store.get('admin-key')).value).toMatch(/^cb_admin_[A-Za-z0-9_-]{32}$/);
    await expect(store.get('other-secret')).rejects.toBeInstanceOf(SecretNotFoundError);
    // A version that does not exist is not invented either.
    await expect(store.get('token-key', 'ffffffffffffffffffffffffffffffff')).rejects.toBeInstanceOf(SecretNotFoundError);
  });

  it('keeps :memory: stores apart and writes no file', async () => {
    const a = new LocalSecretStore(IN_MEMORY);
    const b = new LocalSecretStore(IN_MEMORY);
    await a.set('only-in-a', generateTokenKey());
    await expect(b.get('only-in-a')).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(stat(IN_MEMORY)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses names Key Vault would refuse', async () => {
    const store = new LocalSecretStore(IN_MEMORY);
    await expect(store.set('../escape', 'x')).rejects.toBeInstanceOf(TypeError);
    await expect(store.get('a.b')).rejects.toBeInstanceOf(TypeError);
  });
});
