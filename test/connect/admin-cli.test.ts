// Point 1: the admin CLI (`npm run admin -- clients ...`) against the admin API over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCli } from '../support/admin-cli.js';
import { startAppHost, type AppHost } from '../support/app-host.js';

let app: AppHost;

beforeAll(async () => {
  app = await startAppHost();
});
afterAll(async () => {
  await app?.close();
});

describe('admin CLI', () => {
  const cli = (args: string[]) => runAdminCli(app, args);

  it('creates, lists, rotates and disables with JSON output', async () => {
    const created = JSON.parse((await cli(['clients', 'create', '--name', 'CLI Co', '--origin', 'https://cli.example'])).stdout);
    expect(created.apiKey).toMatch(/^cb_live_/);
    const list = JSON.parse((await cli(['clients', 'list'])).stdout);
    expect(list.value.some((c: { clientId: string }) => c.clientId === created.clientId)).toBe(true);
    const rotated = JSON.parse((await cli(['clients', 'rotate-key', created.clientId])).stdout);
    expect(rotated.activeApiKeys).toBe(2);
    const disabled = JSON.parse((await cli(['clients', 'disable', created.clientId])).stdout);
    expect(disabled.status).toBe('disabled');
  });

  it('exits non-zero with the problem on stderr', async () => {
    const failed = await cli(['clients', 'disable', 'nosuchclient1']).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(JSON.parse(failed!.stderr).code).toBe('not_found');
  });
});
