// The admin CLI finds the admin key where `npm start` keeps it: $LOCAL_DATA_DIR/secrets.json. It never makes
// a key of its own (a key the app does not know only earns 401 "the admin key is required").
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCli } from '../support/admin-cli.js';
import { startAppHost, type AppHost } from '../support/app-host.js';

let app: AppHost;
let dataDir: string;
const previousSecretsPath = process.env.LOCAL_SECRETS_PATH;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cb-admin-cli-'));
  // As `npm start` does with LOCAL_DATA_DIR: the app's secret store is the file in the data directory.
  process.env.LOCAL_SECRETS_PATH = join(dataDir, 'secrets.json');
  app = await startAppHost();
});
afterAll(async () => {
  await app?.close();
  process.env.LOCAL_SECRETS_PATH = previousSecretsPath;
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: { code: number; stderr: string }) => error);

describe('admin CLI and LOCAL_DATA_DIR', () => {
  it('uses the admin key of $LOCAL_DATA_DIR/secrets.json', async () => {
    const result = await runAdminCli(app, ['system', 'status'], { LOCAL_DATA_DIR: dataDir });
    expect(JSON.parse(result.stdout).paused).toBe(false);
  });

  it('refuses, naming the file, when the data directory holds no key, and creates none', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'cb-admin-cli-empty-'));
    try {
      const failed = await failure(runAdminCli(app, ['system', 'status'], { LOCAL_DATA_DIR: empty }));
      expect(failed?.code).toBe(1);
      expect(JSON.parse(failed!.stderr).error).toContain(join(empty, 'secrets.json'));
      expect(existsSync(join(empty, 'secrets.json'))).toBe(false);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('prefers CALENDAR_BRIDGE_ADMIN_KEY over the local store', async () => {
    const failed = await failure(
      runAdminCli(app, ['system', 'status'], { LOCAL_DATA_DIR: dataDir, CALENDAR_BRIDGE_ADMIN_KEY: 'cb_admin_not-the-key-at-all' }),
    );
    expect(failed?.code).toBe(1);
    expect(JSON.parse(failed!.stderr).status).toBe(401);
  });
});
