// `npm run admin -- clients mail` against the admin API over real HTTP; the setting is what the client row holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCli } from '../support/admin-cli.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { createTestClient } from '../support/connect-user.js';

let app: AppHost;

beforeAll(async () => {
  app = await startAppHost();
});
afterAll(async () => {
  await app?.close();
});

describe('admin CLI: clients mail', () => {
  const cli = (args: string[]) => runAdminCli(app, args);

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
