// GET /api/health through the exported handler, with real @azure/functions request and context objects,
// against the run's Azurite, against closed ports, and with a Key Vault that lacks the token key.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import type { TokenCredential } from '@azure/identity';
import { azuriteConnectionString, DEV_ACCOUNT_KEY } from '../../dev/azurite.js';
import { definitions } from '../../functions/definitions.js';
import { healthFunction } from '../../functions/health.js';
import { runHealthChecks, type HealthReport } from '../../shared/health/health-checks.js';
import { getConfig, resetConfig } from '../../shared/config.js';
import { getServices, resetServices, type Services } from '../../shared/services.js';
import { CachingSecretStore } from '../../shared/secrets/caching-secret-store.js';
import { KeyVaultSecretStore } from '../../shared/secrets/key-vault-secret-store.js';
import { startKeyVaultEmulator } from '../support/keyvault-emulator.js';

const savedStorage = process.env.AzureWebJobsStorage;

afterEach(() => {
  process.env.AzureWebJobsStorage = savedStorage;
  resetConfig();
  resetServices();
});

async function callHealth(): Promise<{ response: HttpResponseInit; report: HealthReport }> {
  const request = new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/health' });
  const response = await healthFunction.handler(request, new InvocationContext({ functionName: 'health' }));
  return { response: response as HttpResponseInit, report: (response as HttpResponseInit).jsonBody as HealthReport };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('GET /api/health', () => {
  it('is registered as an anonymous GET on /api/health', () => {
    expect(definitions.find((d) => d.name === 'health')).toMatchObject({ kind: 'http', route: 'health', methods: ['GET'], authLevel: 'anonymous' });
  });

  it('answers 200 with the version and every check ok, uncached, and without secrets', async () => {
    const { response, report } = await callHealth();
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store' });
    expect(report.status).toBe('ok');
    expect(report.version).toBe(getConfig().version);
    for (const name of ['tableStorage', 'queueStorage', 'secretStore'] as const) {
      expect(report.checks[name].ok).toBe(true);
      expect(report.checks[name].ms).toBeGreaterThanOrEqual(0);
      expect(report.checks[name].error).toBeUndefined();
    }
    expect(report.failing).toBeUndefined();

    const text = JSON.stringify(report);
    const tokenKey = (await getServices().secrets.get(getConfig().tokenKeyName)).value;
    for (const secret of [DEV_ACCOUNT_KEY, 'AccountKey', tokenKey, '127.0.0.1']) expect(text).not.toContain(secret);
  });

  it('answers 503 naming table and queue storage when storage does not answer, within its bound', async () => {
    const port = await closedPort();
    const endpoint = `http://127.0.0.1:${port}/devstoreaccount1`;
    process.env.AzureWebJobsStorage = azuriteConnectionString(endpoint, endpoint);
    resetConfig();
    resetServices();

    const { response, report } = await callHealth();
    expect(response.status).toBe(503);
    expect(report.status).toBe('degraded');
    expect(report.failing).toEqual(['tableStorage', 'queueStorage']);
    expect(report.checks.tableStorage).toMatchObject({ ok: false, error: expect.stringMatching(/^(unreachable|timeout)$/) });
    expect(report.checks.queueStorage).toMatchObject({ ok: false, error: expect.stringMatching(/^(unreachable|timeout)$/) });
    expect(report.checks.secretStore.ok).toBe(true);
    const text = JSON.stringify(report);
    for (const leak of [String(port), DEV_ACCOUNT_KEY, 'devstoreaccount1']) expect(text).not.toContain(leak);
  });

  it('names the secret store when Key Vault answers without the token key', async () => {
    const emulator = await startKeyVaultEmulator();
    try {
      const credential: TokenCredential = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 3600_000 }) };
      const vault = new KeyVaultSecretStore(emulator.url, {
        credential,
        probeSecretName: getConfig().tokenKeyName,
        clientOptions: { disableChallengeResourceVerification: true, tlsOptions: { ca: emulator.ca } },
      });
      const services: Services = { ...getServices(), secrets: new CachingSecretStore(vault, 300) };
      const missing = await runHealthChecks(services);
      expect(missing.failing).toEqual(['secretStore']);
      expect(missing.checks.secretStore).toMatchObject({ ok: false, error: 'secret_missing' });

      await vault.set(getConfig().tokenKeyName, Buffer.alloc(32, 7).toString('base64'));
      const present = await runHealthChecks(services);
      expect(present.status).toBe('ok');
    } finally {
      await emulator.close();
    }
  });
});
