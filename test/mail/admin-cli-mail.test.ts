// `npm run admin -- clients mail` against the admin API over real HTTP; the setting is what the client row holds.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { createTestClient } from '../support/connect-user.js';

const run = promisify(execFile);
let app: AppHost;

beforeAll(async () => {
  app = await startAppHost();
});
afterAll(async () => {
  await app?.close();
});

describe('admin CLI: clients mail', () => {
  const cli = (args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'scripts/admin.ts', ...args], {
      env: { ...process.env, CALENDAR_BRIDGE_URL: app.url, CALENDAR_BRIDGE_ADMIN_KEY: app.adminKey },
    });

  it('enables mail with legacy protocols, then disables both', async () => {
    const { client } = await createTestClient(app);
    const on = JSON.parse((await cli(['clients', 'mail', client.clientId, '--enable', '--legacy-protocols'])).stdout);
    expect(on).toEqual({ clientId: client.clientId, mailEnabled: true, legacyProtocols: true });
    expect((await app.services.store.clients.getClient(client.clientId))!.entity).toMatchObject({ mailEnabled: true, legacyProtocols: true });
    const off = JSON.parse((await cli(['clients', 'mail', client.clientId, '--disable'])).stdout);
    expect(off).toEqual({ clientId: client.clientId, mailEnabled: false, legacyProtocols: false });
  });

  it('needs exactly one of --enable and --disable (exit 2)', async () => {
    const failed = await cli(['clients', 'mail', 'someclient1', '--enable', '--disable']).then(
      () => undefined,
      (error: { code: number }) => error,
    );
    expect(failed?.code).toBe(2);
  });
});
