import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { APP_VERSION, ConfigError, loadConfig, SETTING_NAMES } from '../../shared/config.js';
import { simulatorTransports, useSimulator } from '../../dev/simulated-microsoft.js';

const local = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', ENTRA_CLIENT_ID: '00000000-0000-4000-8000-00000000c1b0' };
const azure = {
  WEBSITE_SITE_NAME: 'cb-app',
  AzureWebJobsStorage__accountName: 'cbstore',
  KEY_VAULT_URL: 'https://cb-kv.vault.azure.net/',
  PUBLIC_BASE_URL: 'https://cb-app.azurewebsites.net',
  ENTRA_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
  ADMIN_ENTRA_TENANT_ID: '7d1c4e2a-5b6f-4c3d-9e8a-0c0a7e55c0de',
};

describe('config', () => {
  it('accepts a local setup with defaults', () => {
    const c = loadConfig(local);
    expect(c.inAzure).toBe(false);
    expect(c.entra.clientId).toBe(local.ENTRA_CLIENT_ID);
    expect(c.publicBaseUrl).toBe('http://localhost:7071');
    expect(c.storage.connectionString).toBe('UseDevelopmentStorage=true');
  });

  it('derives identity-based storage endpoints from the account name in Azure', () => {
    const c = loadConfig(azure);
    expect(c.inAzure).toBe(true);
    expect(c.storage.tableEndpoint).toBe('https://cbstore.table.core.windows.net');
    expect(c.storage.queueEndpoint).toBe('https://cbstore.queue.core.windows.net');
    expect(c.secrets.keyVaultUrl).toBe('https://cb-kv.vault.azure.net');
  });

  it.each([
    ['KEY_VAULT_URL', { KEY_VAULT_URL: undefined }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'http://cb-app.azurewebsites.net' }],
    ['ENTRA_CLIENT_ID', { ENTRA_CLIENT_ID: undefined }],
    ['ADMIN_ENTRA_TENANT_ID', { ADMIN_ENTRA_TENANT_ID: undefined }],
  ])('names %s when production rules are broken in Azure', (name, change) => {
    expect(() => loadConfig({ ...azure, ...change })).toThrow(new RegExp(`setting ${name}\\b`));
  });

  it('requires the Entra app locally too, and has no setting for the Microsoft 365 simulator (dev/ hands the services its transports)', () => {
    expect(() => loadConfig({ AzureWebJobsStorage: local.AzureWebJobsStorage })).toThrow(/^Missing setting ENTRA_CLIENT_ID: /);
    expect(SETTING_NAMES).not.toContain('M365_SIMULATOR_URL');
    expect(Object.keys(loadConfig(local))).not.toContain('simulatorUrl');
    expect(Object.keys(loadConfig(local).entra)).not.toContain('simulated');
  });

  it("refuses the simulator's transports in Azure, and lets them send nothing outside the simulator", async () => {
    const env = { ...azure };
    expect(() => useSimulator('http://127.0.0.1:7072', env)).toThrow(/local runs only/);
    expect(env.ENTRA_CLIENT_ID).toBe(azure.ENTRA_CLIENT_ID);
    const transports = simulatorTransports('http://127.0.0.1:7072');
    await expect(transports.fetch('https://example.com/v1.0/me')).rejects.toThrow(/outside the simulator/);
    await expect(transports.msalNetworkClient!.sendGetRequestAsync('https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration')).rejects.toMatchObject({ errorCode: 'network_error' });
    expect(transports.msalAuthority('contoso.test').authority).toBe('https://login.simulator.test/contoso.test');
  });

  it('authenticates to Entra with the federated managed identity in Azure and a secret locally by default', () => {
    expect(loadConfig(azure).entra.credential).toBe('managed_identity');
    expect(loadConfig(local).entra.credential).toBe('secret');
    expect(loadConfig({ ...azure, ENTRA_CREDENTIAL: 'certificate' }).entra).toMatchObject({ credential: 'certificate', certificateName: 'entra-client-certificate' });
    expect(loadConfig({ ...local, ENTRA_CREDENTIAL: '' }).entra.credential).toBe('secret');
    expect(() => loadConfig({ ...azure, ENTRA_CREDENTIAL: 'password' })).toThrow(/^Invalid setting ENTRA_CREDENTIAL: /);
  });

  it('gives the user-assigned identity client id to every Azure client (AZURE_CLIENT_ID, or the storage one)', () => {
    const id = '99999999-8888-4777-8666-555555555555';
    const c = loadConfig({ ...azure, AZURE_CLIENT_ID: id });
    expect(c.managedIdentityClientId).toBe(id);
    expect(c.storage.managedIdentityClientId).toBe(id);
    expect(c.storage.inAzure).toBe(true);
    expect(loadConfig({ ...azure, AzureWebJobsStorage__clientId: id }).managedIdentityClientId).toBe(id);
    expect(loadConfig({ ...azure, AZURE_CLIENT_ID: '' }).managedIdentityClientId).toBeUndefined();
  });

  it('protects the admin API with Entra tokens in Azure, the shared key only when opted in', () => {
    expect(loadConfig(azure).admin).toEqual({ entraTenantId: azure.ADMIN_ENTRA_TENANT_ID, keyEnabled: false });
    expect(loadConfig({ ...azure, ADMIN_KEY_ENABLED: 'true' }).admin.keyEnabled).toBe(true);
    // Key only: no tenant needed.
    expect(loadConfig({ ...azure, ADMIN_ENTRA_TENANT_ID: undefined, ADMIN_KEY_ENABLED: 'true' }).admin.entraTenantId).toBeUndefined();
    // A tenant id as ENTRA_TENANT is the registration's home tenant.
    expect(loadConfig({ ...azure, ADMIN_ENTRA_TENANT_ID: undefined, ENTRA_TENANT: azure.ADMIN_ENTRA_TENANT_ID }).admin.entraTenantId).toBe(azure.ADMIN_ENTRA_TENANT_ID);
    expect(loadConfig(local).admin).toEqual({ entraTenantId: undefined, keyEnabled: true });
  });

  it('names a malformed setting in one line', () => {
    let error: unknown;
    try {
      loadConfig({ ...local, STORAGE_TIMEOUT_MS: 'soon' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^Invalid setting STORAGE_TIMEOUT_MS: /);
    expect((error as Error).message).not.toContain('\n');
  });

  it('requires storage', () => {
    expect(() => loadConfig({ ENTRA_CLIENT_ID: local.ENTRA_CLIENT_ID })).toThrow(/Missing setting AzureWebJobsStorage/);
  });

  it('keeps APP_VERSION in step with package.json', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(APP_VERSION).toBe(pkg.version);
  });

  it('lists every setting in local.settings.sample.json and the README', () => {
    const sample = JSON.parse(readFileSync('local.settings.sample.json', 'utf8')) as { Values: Record<string, string> };
    const readme = readFileSync('README.md', 'utf8');
    for (const name of SETTING_NAMES) {
      expect(Object.keys(sample.Values), name).toContain(name);
      expect(readme, name).toContain(`\`${name}\``);
    }
  });
});
