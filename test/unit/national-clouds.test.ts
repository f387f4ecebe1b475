// One setting, AZURE_CLOUD, picks the Microsoft cloud, and every endpoint follows it: the identity authority,
// Graph (and its `.default` scope), the Outlook resource of XOAUTH2 scopes, the Storage and Key Vault suffixes.
import { describe, expect, it } from 'vitest';
import { graphAppScope } from '../../shared/auth/app-tokens.js';
import { AZURE_CLOUDS, CLOUD_ENDPOINTS } from '../../shared/cloud.js';
import { loadConfig } from '../../shared/config.js';
import { mailConsentScopes, protocolScope } from '../../shared/mail/mail-scopes.js';
import { defaultTransports } from '../../shared/transports.js';

const azure = {
  WEBSITE_SITE_NAME: 'cb-app',
  AzureWebJobsStorage__accountName: 'cbstore',
  PUBLIC_BASE_URL: 'https://cb-app.example',
  ENTRA_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
  ADMIN_ENTRA_TENANT_ID: '7d1c4e2a-5b6f-4c3d-9e8a-0c0a7e55c0de',
};
const vaults = { public: 'https://kv.vault.azure.net', usgov: 'https://kv.vault.usgovcloudapi.net', dod: 'https://kv.vault.usgovcloudapi.net', china: 'https://kv.vault.azure.cn' };

describe('national clouds', () => {
  it.each([
    ['public', 'https://login.microsoftonline.com', 'https://graph.microsoft.com', 'https://outlook.office.com', 'core.windows.net'],
    ['usgov', 'https://login.microsoftonline.us', 'https://graph.microsoft.us', 'https://outlook.office365.us', 'core.usgovcloudapi.net'],
    ['dod', 'https://login.microsoftonline.us', 'https://dod-graph.microsoft.us', 'https://outlook-dod.office365.us', 'core.usgovcloudapi.net'],
    ['china', 'https://login.partner.microsoftonline.cn', 'https://microsoftgraph.chinacloudapi.cn', 'https://partner.outlook.cn', 'core.chinacloudapi.cn'],
  ] as const)('%s: every endpoint follows the one setting', (cloud, authority, graph, outlook, storage) => {
    const c = loadConfig({ ...azure, AZURE_CLOUD: cloud, KEY_VAULT_URL: vaults[cloud] });
    expect(c.cloud.name).toBe(cloud);
    expect(c.entra.authorityHost).toBe(authority);
    expect(defaultTransports(c).msalAuthority('contoso.example').authority).toBe(`${authority}/contoso.example`);
    expect(defaultTransports(c).entraHost).toBe(authority);
    expect(c.graphBaseUrl).toBe(graph);
    expect(graphAppScope(c)).toBe(`${graph}/.default`);
    expect(c.cloud.outlookResource).toBe(outlook);
    expect(protocolScope('pop', c.cloud.outlookResource)).toBe(`${outlook}/POP.AccessAsUser.All`);
    expect(mailConsentScopes({ mailEnabled: true, legacyProtocols: true }, c.cloud.outlookResource).outlook).toEqual([
      `${outlook}/SMTP.Send`,
      `${outlook}/IMAP.AccessAsUser.All`,
      `${outlook}/POP.AccessAsUser.All`,
    ]);
    expect(c.storage.tableEndpoint).toBe(`https://cbstore.table.${storage}`);
    expect(c.storage.queueEndpoint).toBe(`https://cbstore.queue.${storage}`);
  });

  it('defaults to the public cloud, and an explicit endpoint setting still wins over the cloud default', () => {
    const local = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', ENTRA_CLIENT_ID: azure.ENTRA_CLIENT_ID };
    expect(loadConfig(local).cloud.name).toBe('public');
    const c = loadConfig({ ...local, AZURE_CLOUD: 'usgov', GRAPH_BASE_URL: 'https://graph.proxy.example' });
    expect(c.graphBaseUrl).toBe('https://graph.proxy.example');
    expect(c.cloud.graph).toBe('https://graph.proxy.example');
    expect(c.entra.authorityHost).toBe('https://login.microsoftonline.us');
  });

  it('refuses an unknown cloud, and a Key Vault of another cloud in Azure', () => {
    expect(() => loadConfig({ ...azure, AZURE_CLOUD: 'germany', KEY_VAULT_URL: vaults.public })).toThrow(/^Invalid setting AZURE_CLOUD/);
    expect(() => loadConfig({ ...azure, AZURE_CLOUD: 'china', KEY_VAULT_URL: vaults.public })).toThrow(/^Invalid setting KEY_VAULT_URL: .*vault\.azure\.cn/);
    expect(() => loadConfig({ ...azure, KEY_VAULT_URL: 'https://kv.vault.azure.net.evil.example' })).toThrow(/KEY_VAULT_URL/);
  });

  it('no two clouds share a Graph root or an Outlook resource', () => {
    expect(new Set(AZURE_CLOUDS.map((c) => CLOUD_ENDPOINTS[c].graph)).size).toBe(AZURE_CLOUDS.length);
    expect(new Set(AZURE_CLOUDS.map((c) => CLOUD_ENDPOINTS[c].outlookResource)).size).toBe(AZURE_CLOUDS.length);
  });
});
