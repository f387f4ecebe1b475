// Memory per 1,000 connections. The parent starts Azurite and the simulator and connects one calendar through
// the real connect flow (its MSAL token cache is the template). A fresh child process (--expose-gc, nothing
// else loaded) then creates BENCH_MEMORY_CONNECTIONS (1000) connections through the app's own code paths:
// repository rows with their encrypted token caches (encryptTokenCache), and one getAccessToken() each
// (row read, decrypt, MSAL cache, token). Heap and RSS are read after a full GC before and after, so the
// delta is what the app keeps in memory for those connections; the stored bytes per row are reported too.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { report } from './lib/sync-fixture.js';

const count = Number(process.env.BENCH_MEMORY_CONNECTIONS ?? 1000);

if (process.argv[2] === '--child') await child();
else await parent();

async function parent(): Promise<void> {
  const { startWorld } = await import('../test/support/world.js');
  const { startAppHost } = await import('../test/support/app-host.js');
  const { connectUser } = await import('../test/support/connect-user.js');
  const dir = mkdtempSync(join(tmpdir(), 'cb-memory-'));
  const world = await startWorld({ secretsPath: join(dir, 'secrets.json') }); // shared with the child: same token key
  const app = await startAppHost();
  try {
    const user = await connectUser(app);
    const code = await new Promise<number>((resolve) => {
      const c = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', user.client.clientId, user.connection.id], {
        env: { ...process.env, ...world.settings, LOG_LEVEL: 'error' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      c.on('exit', (status) => resolve(status ?? 1));
    });
    if (code !== 0) process.exitCode = code;
  } finally {
    await app.close();
    await world.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function child(): Promise<void> {
  const [clientId, templateId] = process.argv.slice(3) as [string, string];
  const { useSimulator } = await import('../dev/simulated-microsoft.js');
  useSimulator(process.env.M365_SIMULATOR_URL!);
  const { getServices } = await import('../shared/services.js');
  const { getAccessToken } = await import('../shared/auth/connection-tokens.js');
  const { encryptTokenCache, tokenCacheBinding } = await import('../shared/auth/token-cache-plugin.js');
  const { pool } = await import('./lib/sync-fixture.js');
  const services = getServices();
  const template = (await services.store.connections.getConnection(clientId, templateId))!.entity;
  const serialized = await services.envelope.decryptString(template.tokenCache!, tokenCacheBinding(clientId, templateId));
  // Warm every code path once, so the baseline holds the modules and clients, not the connections.
  await getAccessToken(template, {}, services);

  const gc = (globalThis as { gc?: () => void }).gc!;
  const measure = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return { heap: m.heapUsed, rss: m.rss };
  };
  const before = measure();
  let storedBytes = 0;
  const ids = Array.from({ length: count }, () => crypto.randomUUID());
  await pool(ids, 16, async (id) => {
    const sealed = await encryptTokenCache(services, clientId, id, serialized);
    const entity = { ...template, rowKey: id, externalUserId: `mem-${id}`, ...sealed, createdAt: new Date() };
    await services.store.connections.create(entity);
    storedBytes += Buffer.byteLength(JSON.stringify(entity));
    await getAccessToken(entity, {}, services);
  });
  const after = measure();
  const perThousand = (bytes: number) => Math.round(((bytes / count) * 1000) / 1024 / 1024 * 10) / 10;
  console.info(
    `memory: ${count} connections created and each served a token: heap +${perThousand(after.heap - before.heap)} MB, ` +
      `RSS +${perThousand(after.rss - before.rss)} MB per 1,000; stored ${Math.round(storedBytes / count)} bytes per connection row`,
  );
  report('memory', 'heap delta per 1,000 connections', perThousand(after.heap - before.heap), 'MB');
  report('memory', 'RSS delta per 1,000 connections', perThousand(after.rss - before.rss), 'MB');
  report('memory', 'stored connection row (with token cache)', Math.round(storedBytes / count), 'bytes');
}
