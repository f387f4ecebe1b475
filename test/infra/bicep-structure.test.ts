// Structural checks of infra/ read from the tree-sitter parse (not from regexes over the text):
// every setting the config module needs in Azure is an app setting, identity-based storage,
// the role assignments, no secret in parameters or outputs, HTTPS/TLS, Key Vault protection.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, SETTING_NAMES } from '../../shared/config.js';
import {
  bicepParser,
  callArgs,
  callName,
  descendants,
  elements,
  Infra,
  literal,
  path,
  prop,
  repoRoot,
  stringValue,
  type BicepFile,
  type Node,
} from './bicep.js';

const ROLE = {
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
} as const;

/** Resource types and API versions the templates may use: each is documented on learn.microsoft.com/azure/templates. */
const DOCUMENTED_TYPES = [
  'Microsoft.Web/serverfarms@2024-04-01',
  'Microsoft.Web/sites@2024-04-01',
  'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01',
  'Microsoft.Storage/storageAccounts@2023-05-01',
  'Microsoft.Storage/storageAccounts/blobServices@2023-05-01',
  'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01',
  'Microsoft.KeyVault/vaults@2023-07-01',
  'Microsoft.OperationalInsights/workspaces@2023-09-01',
  'Microsoft.Insights/components@2020-02-02',
  'Microsoft.Authorization/roleAssignments@2022-04-01',
];

/** Config settings deliberately NOT set in Azure, and why. Every other setting is set or has a code default. */
const NOT_IN_AZURE: Record<string, string> = {
  AzureWebJobsStorage: 'a connection string; identity-based AzureWebJobsStorage__* is used instead',
  AzureWebJobsStorage__clientId: 'only for a user-assigned identity; the app uses its system-assigned identity',
  LOCAL_SECRETS_PATH: 'the local file secret store; Key Vault is used in Azure',
  M365_SIMULATOR_URL: 'the simulator is for local runs only, and the config refuses it in Azure',
  TABLE_NAME_PREFIX: 'for local and test runs sharing one Azurite; the config refuses it in Azure',
  QUEUE_NAME_PREFIX: 'for local and test runs sharing one Azurite; the config refuses it in Azure',
};

/** App settings that the Functions host (not shared/config.ts) reads. */
const HOST_SETTINGS = ['APPLICATIONINSIGHTS_CONNECTION_STRING', 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', 'AzureWebJobsStorage__blobServiceUri'];

const SECRET_NAME = /secret|password|passwd|credential|token|connection_?string|sas|(key|keys)$/i;

let infra: Infra;
let parameterFile: { parameters: Record<string, { value?: unknown; reference?: unknown }> };

beforeAll(async () => {
  parameterFile = JSON.parse(readFileSync(join(repoRoot, 'infra/main.parameters.json'), 'utf8')) as typeof parameterFile;
  const values = Object.fromEntries(Object.entries(parameterFile.parameters).map(([k, v]) => [k, v.value]));
  infra = new Infra(await bicepParser(), 'infra/main.bicep', values);
});

function only<T>(items: T[], what: string): T {
  expect(items, what).toHaveLength(1);
  return items[0]!;
}

/** The environment the app gets in Azure, as far as it can be known before deployment. */
function azureEnvironment(): Record<string, string> {
  const env: Record<string, string> = { WEBSITE_SITE_NAME: 'func-test' };
  for (const s of infra.appSettings()) {
    const v = infra.evaluate(s.value, s.file);
    // A value only known at deployment (a resource property) stands in as a plausible one.
    env[s.name] = v === undefined ? (/URL|Uri/.test(s.name) ? 'https://resolved-at-deployment.example' : 'resolved-at-deployment') : String(v);
  }
  return env;
}

describe('app settings (shared/config.ts in Azure)', () => {
  it('sets every setting the config module requires in Azure: loadConfig accepts the Bicep environment', () => {
    const env = azureEnvironment();
    const config = loadConfig(env);
    expect(config.inAzure).toBe(true);
    expect(config.entra.simulated).toBe(false);
    expect(config.storage.connectionString).toBeUndefined();
    expect(config.publicBaseUrl).toMatch(/^https:\/\//);
  });

  it.each(['AzureWebJobsStorage__accountName', 'KEY_VAULT_URL', 'PUBLIC_BASE_URL', 'ENTRA_CLIENT_ID'])(
    'the check can fail: without %s the config refuses to start in Azure',
    (name) => {
      const env = azureEnvironment();
      expect(env[name], `${name} is an app setting`).toBeDefined();
      delete env[name];
      // The storage endpoints alone also satisfy the config; take them away with the account name.
      if (name === 'AzureWebJobsStorage__accountName') {
        delete env.AzureWebJobsStorage__tableServiceUri;
        delete env.AzureWebJobsStorage__queueServiceUri;
      }
      expect(() => loadConfig(env)).toThrow(/setting/);
    },
  );

  it('sets the identity-based storage endpoints, the tenant and the Key Vault secret names', () => {
    const names = infra.appSettings().map((s) => s.name);
    for (const n of [
      'AzureWebJobsStorage__accountName',
      'AzureWebJobsStorage__tableServiceUri',
      'AzureWebJobsStorage__queueServiceUri',
      'ENTRA_TENANT',
      'ENTRA_CLIENT_SECRET_NAME',
      'TOKEN_KEY_NAME',
      'ADMIN_KEY_SECRET_NAME',
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
    ]) {
      expect(names, n).toContain(n);
    }
    expect(new Set(names).size, 'no setting is set twice').toBe(names.length);
  });

  it('never sets the simulator URL, a storage connection string, or settings Flex Consumption forbids', () => {
    const names = infra.appSettings().map((s) => s.name);
    expect(names.length).toBeGreaterThan(5);
    for (const n of [...Object.keys(NOT_IN_AZURE), 'FUNCTIONS_WORKER_RUNTIME', 'FUNCTIONS_EXTENSION_VERSION', 'WEBSITE_RUN_FROM_PACKAGE']) {
      expect(names, n).not.toContain(n);
    }
  });

  it('uses only settings the config module or the Functions host knows (no typo)', () => {
    const known = new Set<string>([...SETTING_NAMES, ...HOST_SETTINGS]);
    for (const s of infra.appSettings()) expect(known.has(s.name), s.name).toBe(true);
  });

  it('keeps out of Azure only real config settings', () => {
    for (const name of Object.keys(NOT_IN_AZURE)) expect(SETTING_NAMES, name).toContain(name);
  });

  it('wires KEY_VAULT_URL to the vault URI and the storage settings to the storage account', () => {
    const byName = new Map(infra.appSettings().map((s) => [s.name, s]));
    const kv = byName.get('KEY_VAULT_URL')!;
    expect(infra.trace(kv.value, kv.file).text).toMatch(/\.properties\.vaultUri$/);
    for (const [name, suffix] of [
      ['AzureWebJobsStorage__tableServiceUri', '.properties.primaryEndpoints.table'],
      ['AzureWebJobsStorage__queueServiceUri', '.properties.primaryEndpoints.queue'],
      ['AzureWebJobsStorage__accountName', '.name'],
    ] as const) {
      const s = byName.get(name)!;
      const { text, file } = infra.trace(s.value, s.file);
      expect(text.endsWith(suffix), `${name} = ${text}`).toBe(true);
      const symbol = text.split('.')[0]!;
      expect(file.resources.find((r) => r.symbol === symbol)?.type, name).toBe('Microsoft.Storage/storageAccounts');
    }
    const ai = byName.get('APPLICATIONINSIGHTS_CONNECTION_STRING')!;
    expect(infra.trace(ai.value, ai.file).text).toMatch(/\.properties\.ConnectionString$/);
  });

  it('gives secrets only as Key Vault secret names, never as values', () => {
    const byName = new Map(infra.appSettings().map((s) => [s.name, s]));
    for (const [name, secret] of [
      ['ENTRA_CLIENT_SECRET_NAME', 'entra-client-secret'],
      ['TOKEN_KEY_NAME', 'token-encryption-key'],
      ['ADMIN_KEY_SECRET_NAME', 'admin-api-key'],
    ] as const) {
      expect(literal(byName.get(name)?.value), name).toBe(secret);
    }
    for (const s of infra.appSettings()) {
      expect(descendants(s.value, (d) => /^list/i.test(callName(d) ?? '')), s.name).toEqual([]);
      expect(s.value.text, s.name).not.toMatch(/AccountKey=|SharedAccessSignature=|sig=/);
    }
  });

  it('defaults PUBLIC_BASE_URL to https://<the app host name>', () => {
    const s = infra.appSettings().find((x) => x.name === 'PUBLIC_BASE_URL')!;
    const value = String(infra.evaluate(s.value, s.file));
    expect(value).toMatch(/^https:\/\/func-[^/]+\.azurewebsites\.net$/);
    const redirect = infra.main.outputs.find((o) => o.name === 'authRedirectUri')!;
    expect(infra.evaluate(redirect.value, infra.main)).toBe(`${value}/api/auth/callback`);
  });
});

describe('function app', () => {
  const site = () => only(infra.resources('Microsoft.Web/sites'), 'one function app');

  it('is a Linux function app on a Flex Consumption (FC1) plan', () => {
    const plan = only(infra.resources('Microsoft.Web/serverfarms'), 'one plan');
    expect(literal(path(plan.body, 'sku.name'))).toBe('FC1');
    expect(literal(path(plan.body, 'sku.tier'))).toBe('FlexConsumption');
    expect(literal(path(plan.body, 'properties.reserved'))).toBe(true);
    expect(literal(prop(site().body, 'kind'))).toBe('functionapp,linux');
    expect(path(site().body, 'properties.serverFarmId')?.text).toBe(`${plan.symbol}.id`);
  });

  it('runs Node 22 with a system-assigned identity', () => {
    expect(literal(path(site().body, 'identity.type'))).toBe('SystemAssigned');
    const runtime = path(site().body, 'properties.functionAppConfig.runtime');
    expect(literal(prop(runtime, 'name'))).toBe('node');
    expect(literal(prop(runtime, 'version'))).toBe('22');
  });

  it('is HTTPS only with TLS 1.2 minimum and FTP disabled', () => {
    expect(literal(path(site().body, 'properties.httpsOnly'))).toBe(true);
    expect(literal(path(site().body, 'properties.siteConfig.minTlsVersion'))).toBe('1.2');
    expect(literal(path(site().body, 'properties.siteConfig.ftpsState'))).toBe('Disabled');
  });

  it('disables basic publishing credentials for FTP and SCM', () => {
    const policies = infra.resources('Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    expect(policies.map((p) => literal(prop(p.body, 'name'))).sort()).toEqual(['ftp', 'scm']);
    for (const p of policies) {
      expect(literal(path(p.body, 'properties.allow'))).toBe(false);
      expect(prop(p.body, 'parent')?.text).toBe(site().symbol);
    }
  });

  it('deploys from a blob container of the app storage account, with its own identity', () => {
    const deployment = path(site().body, 'properties.functionAppConfig.deployment.storage');
    expect(literal(prop(deployment, 'type'))).toBe('blobContainer');
    expect(literal(path(deployment, 'authentication.type'))).toBe('SystemAssignedIdentity');
    expect(prop(deployment, 'value')?.text).toMatch(/primaryEndpoints\.blob/);
    const scale = path(site().body, 'properties.functionAppConfig.scaleAndConcurrency');
    expect(prop(scale, 'instanceMemoryMB')).toBeDefined();
    expect(prop(scale, 'maximumInstanceCount')).toBeDefined();
    const container = only(infra.resources('Microsoft.Storage/storageAccounts/blobServices/containers'), 'one container');
    expect(literal(path(container.body, 'properties.publicAccess'))).toBe('None');
  });
});

describe('storage and Key Vault', () => {
  const account = () => only(infra.resources('Microsoft.Storage/storageAccounts').filter((r) => !r.existing), 'one storage account');
  const vault = () => only(infra.resources('Microsoft.KeyVault/vaults').filter((r) => !r.existing), 'one vault');

  it('storage: StorageV2, Standard_LRS, no shared key, no public blobs, TLS 1.2', () => {
    const b = account().body;
    expect(literal(prop(b, 'kind'))).toBe('StorageV2');
    expect(literal(path(b, 'sku.name'))).toBe('Standard_LRS');
    expect(literal(path(b, 'properties.allowSharedKeyAccess'))).toBe(false);
    expect(literal(path(b, 'properties.allowBlobPublicAccess'))).toBe(false);
    expect(literal(path(b, 'properties.minimumTlsVersion'))).toBe('TLS1_2');
    expect(literal(path(b, 'properties.supportsHttpsTrafficOnly'))).toBe(true);
  });

  it('Key Vault: RBAC authorization, soft delete and purge protection', () => {
    const b = vault().body;
    expect(literal(path(b, 'properties.enableRbacAuthorization'))).toBe(true);
    expect(literal(path(b, 'properties.enableSoftDelete'))).toBe(true);
    expect(literal(path(b, 'properties.enablePurgeProtection'))).toBe(true);
    expect(path(b, 'properties.accessPolicies')).toBeUndefined();
  });

  it('creates no secret: operators add them, the app reads them', () => {
    expect(infra.resources().filter((r) => /\/secrets$/i.test(r.type))).toEqual([]);
  });
});

/** The role definition ids a role assignment can grant (through variables and a for loop). */
function roleIdsOf(n: Node | undefined, file: BicepFile, loop?: { variable: string; collection: Node }): string[] {
  if (!n) return [];
  if (n.type === 'string') return [stringValue(n) ?? ''];
  if (n.type === 'array') return elements(n).flatMap((e) => roleIdsOf(e, file, loop));
  if (n.type === 'identifier') {
    if (loop && n.text === loop.variable) return roleIdsOf(loop.collection, file);
    const v = file.vars.get(n.text);
    if (v) return roleIdsOf(v.value, file, loop);
  }
  if (n.type === 'call_expression' && /ResourceId$/.test(callName(n) ?? '')) return roleIdsOf(callArgs(n).at(-1), file, loop);
  return [];
}

describe('role assignments of the app identity', () => {
  const assignments = () =>
    infra.resources('Microsoft.Authorization/roleAssignments').map((r) => {
      const roleIds = roleIdsOf(path(r.body, 'properties.roleDefinitionId'), r.file, r.loop);
      const scope = prop(r.body, 'scope')?.text ?? '';
      const scopeType = r.file.resources.find((x) => x.symbol === scope)?.type;
      return { ...r, roleIds, scopeType };
    });

  it.each([
    ['Storage Table Data Contributor', ROLE.storageTableDataContributor, 'Microsoft.Storage/storageAccounts'],
    ['Storage Queue Data Contributor', ROLE.storageQueueDataContributor, 'Microsoft.Storage/storageAccounts'],
    ['Storage Blob Data Owner', ROLE.storageBlobDataOwner, 'Microsoft.Storage/storageAccounts'],
    ['Key Vault Secrets User', ROLE.keyVaultSecretsUser, 'Microsoft.KeyVault/vaults'],
  ])('grants %s on the right scope to the app identity', (_role, roleId, scopeType) => {
    const a = only(
      assignments().filter((x) => x.roleIds.includes(roleId)),
      `one assignment of ${roleId}`,
    );
    expect(a.scopeType).toBe(scopeType);
    expect(literal(path(a.body, 'properties.principalType'))).toBe('ServicePrincipal');
    const principal = path(a.body, 'properties.principalId')!;
    expect(principal.text).toBe('principalId');
    // guid(scope, principal, role): idempotent and unique per scope/principal/role.
    const name = prop(a.body, 'name')!;
    expect(callName(name)).toBe('guid');
    const [scopeArg, principalArg, roleArg] = callArgs(name);
    expect(scopeArg?.text).toBe(`${prop(a.body, 'scope')?.text}.id`);
    expect(principalArg?.text).toBe('principalId');
    expect(roleIdsOf(roleArg, a.file, a.loop)).toContain(roleId);
    // principalId is the function app's identity, passed in by main.bicep.
    const call = infra.callerOf(a.file)!;
    expect(infra.trace(prop(prop(call.module.body, 'params'), 'principalId')!, call.caller).text).toMatch(/\.identity\.principalId$/);
  });

  it('grants nothing that can write secrets to the app (Secrets User only)', () => {
    const officerOrAdmin = ['b86a8fe4-44ce-4948-aee5-eccb2c155cd7', '00482a5a-887f-4fb3-b363-3b7fe8e74483'];
    for (const a of assignments()) {
      if (a.roleIds.some((id) => officerOrAdmin.includes(id))) {
        expect(path(a.body, 'properties.principalId')?.text, a.symbol).not.toBe('principalId');
      }
    }
  });
});

describe('no secret in parameters or outputs', () => {
  it('no parameter is @secure or named like a secret (the templates need none)', () => {
    const params = infra.params();
    expect(params.length).toBeGreaterThan(10);
    for (const p of params) {
      expect(p.decorators.has('secure'), `${p.file.path} ${p.name}`).toBe(false);
      expect(p.name, p.file.path).not.toMatch(SECRET_NAME);
    }
  });

  it('the parameter file names only parameters of main.bicep, none secret, no Key Vault reference', () => {
    const names = Object.keys(parameterFile.parameters);
    expect(names).toContain('environmentName');
    for (const name of names) {
      expect(infra.main.params.has(name), name).toBe(true);
      expect(name).not.toMatch(SECRET_NAME);
      expect(parameterFile.parameters[name]?.reference, name).toBeUndefined();
    }
  });

  it('no output is named like a secret, key, password or connection string, or reads one', () => {
    const outputs = infra.outputs();
    expect(outputs.length).toBeGreaterThan(5);
    for (const o of outputs) {
      const where = `${o.file.path} output ${o.name}`;
      expect(o.name, where).not.toMatch(SECRET_NAME);
      expect(o.decorators.has('secure'), where).toBe(false);
      expect(descendants(o.value, (d) => /^list/i.test(callName(d) ?? '')), where).toEqual([]);
      const props = descendants(o.value, (d) => d.type === 'property_identifier').map((d) => d.text);
      for (const p of props) expect(p, where).not.toMatch(/connectionstring|instrumentationkey|secret|password|^keys?$|primaryKey/i);
      // Not an output of a module that itself exposes something secret.
      const traced = infra.trace(o.value, o.file).text;
      expect(traced, where).not.toMatch(/ConnectionString|InstrumentationKey|listKeys|listSecrets|\/secrets/i);
    }
  });
});

describe('parameters and resource types', () => {
  it('main.bicep takes the environment, location, Entra app and public base URL', () => {
    for (const name of ['environmentName', 'location', 'entraClientId', 'entraTenant', 'publicBaseUrl']) {
      expect(infra.main.params.has(name), name).toBe(true);
    }
    expect(infra.main.params.get('entraClientId')?.defaultValue, 'entraClientId must be given').toBeUndefined();
    expect(literal(infra.main.params.get('publicBaseUrl')?.defaultValue)).toBe('');
  });

  it('bounds the sizing parameters with @allowed or @minValue/@maxValue', () => {
    for (const name of ['instanceMemoryMB', 'maximumInstanceCount', 'logRetentionInDays', 'softDeleteRetentionInDays']) {
      const p = infra.main.params.get(name);
      expect(p, name).toBeDefined();
      const d = p!.decorators;
      expect(d.has('allowed') || (d.has('minValue') && d.has('maxValue')), name).toBe(true);
    }
    const allowed = elements(infra.main.params.get('instanceMemoryMB')!.decorators.get('allowed')![0]).map(literal);
    expect(allowed).toContain(literal(infra.main.params.get('instanceMemoryMB')!.defaultValue));
  });

  it('passes every required module parameter from main.bicep, and only known ones', () => {
    let calls = 0;
    for (const file of infra.files.values()) {
      const call = infra.callerOf(file);
      if (!call) continue;
      calls += 1;
      const given = prop(call.module.body, 'params')!;
      for (const p of file.params.values()) {
        if (!p.defaultValue) expect(prop(given, p.name), `${file.path} param ${p.name}`).toBeDefined();
      }
      const caller = call.caller;
      const symbols = new Set([...caller.params.keys(), ...caller.vars.keys(), ...caller.modules.map((m) => m.symbol), ...caller.resources.map((r) => r.symbol)]);
      for (const entry of given.namedChildren.filter((c) => c.type === 'object_property')) {
        const [key, value] = entry.namedChildren;
        expect(file.params.has(key!.text), `${caller.path} passes unknown ${key!.text} to ${file.path}`).toBe(true);
        const heads = descendants(value!, (d) => d.type === 'identifier' && d.parent?.type !== 'call_expression');
        for (const h of heads) expect(symbols.has(h.text), `${caller.path}: ${h.text}`).toBe(true);
      }
    }
    expect(calls).toBeGreaterThanOrEqual(4);
  });

  it('uses only documented resource types and API versions, all listed in docs/deploy.md', () => {
    const used = new Set(infra.resources().map((r) => `${r.type}@${r.apiVersion}`));
    expect(used.size).toBeGreaterThanOrEqual(8);
    const docs = readFileSync(join(repoRoot, 'docs/deploy.md'), 'utf8');
    for (const t of used) {
      expect(DOCUMENTED_TYPES, t).toContain(t);
      expect(docs.includes(t), `docs/deploy.md names ${t}`).toBe(true);
    }
  });
});
