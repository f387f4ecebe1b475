// local.settings.sample.json is what `func start` loads as the environment (its Values). An empty value
// there, as anywhere, means "unset": the sample must load as it is, and every empty setting takes its default.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTING_NAMES } from '../../shared/config.js';

const sample = JSON.parse(readFileSync('local.settings.sample.json', 'utf8')) as { Values: Record<string, string> };
const local = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', ENTRA_CLIENT_ID: '11111111-2222-4333-8444-555555555555' };

describe('local.settings.sample.json', () => {
  it('loads as the environment', () => {
    const config = loadConfig(sample.Values);
    expect(config.storage.connectionString).toBe('UseDevelopmentStorage=true');
    expect(config.storage.tableEndpoint).toBeUndefined();
    expect(config.storage.managedIdentityClientId).toBeUndefined();
    // Under `func start` the app reaches the real Microsoft 365: the sample names where the app's client id goes.
    expect(config.entra.clientId).toBe(sample.Values.ENTRA_CLIENT_ID);
    expect(config.secrets.keyVaultUrl).toBeUndefined();
  });

  it('names every setting the app reads, and nothing the app does not', () => {
    const names = Object.keys(sample.Values).filter((name) => name !== 'FUNCTIONS_WORKER_RUNTIME');
    expect(names.sort()).toEqual([...SETTING_NAMES].sort());
  });

  it.each(SETTING_NAMES.filter((name) => !(name in local)))('treats an empty %s as unset', (name) => {
    expect(loadConfig({ ...local, [name]: '' })).toEqual(loadConfig(local));
    expect(loadConfig({ ...local, [name]: '  ' })).toEqual(loadConfig(local));
  });
});
