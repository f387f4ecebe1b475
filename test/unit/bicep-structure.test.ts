// Structural checks of infra/ read from the tree-sitter parse (not from regexes over the text):
// every setting the config module needs in Azure is an app setting, identity-based storage,
// the role assignments, no secret in parameters or outputs, HTTPS/TLS, Key Vault protection.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, SETTING_NAMES } from '../../shared/config.js';
import { CLOUD_ENDPOINTS, type AzureCloud } from '../../shared/cloud.js';
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
} from '../infra/bicep.js';

const ROLE = {
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
} as const;

/** Config settings deliberately NOT set in Azure, and why. Every other setting is set or has a code default. */
const NOT_IN_AZURE: Record<string, string> = {
  AzureWebJobsStorage: 'a connection string; identity-based AzureWebJobsStorage__* is used instead',
  LOCAL_SECRETS_PATH: 'the local file secret store; Key Vault is used in Azure',
  TABLE_NAME_PREFIX: 'for local and test runs sharing one Azurite; the config refuses it in Azure',
  QUEUE_NAME_PREFIX: 'for local and test runs sharing one Azurite; the config refuses it in Azure',
};

/** App settings that the Functions host (not shared/config.ts) reads. */
const HOST_SETTINGS = [
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  'AzureWebJobsStorage__blobServiceUri',
  'AzureWebJobsStorage__credential',
  'AzureFunctionsJobHost__logging__logLevel__default',
];

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
    const standIn = /URL|Uri/.test(s.name) ? 'https://resolved-at-deployment.example' : /(_ID|clientId)$/.test(s.name) ? '00000000-0000-4000-8000-0000000000de' : 'resolved-at-deployment';
    env[s.name] = v === undefined ? standIn : String(v);
  }
  // The vault's URI is a resource property: a vault of the cloud the settings name.
  const cloud = CLOUD_ENDPOINTS[(env.AZURE_CLOUD ?? 'public') as AzureCloud];
  if (env.KEY_VAULT_URL && cloud) env.KEY_VAULT_URL = `https://kv-at-deployment.${cloud.keyVaultSuffix}`;
  return env;
}

describe('app settings (shared/config.ts in Azure)', () => {
  it('sets every setting the config module requires in Azure: loadConfig accepts the Bicep environment', () => {
    const env = azureEnvironment();
    const config = loadConfig(env);
    expect(config.inAzure).toBe(true);
    expect(config.entra.clientId).toBe(env.ENTRA_CLIENT_ID);
    expect(config.storage.connectionString).toBeUndefined();
    expect(config.publicBaseUrl).toMatch(/^https:\/\//);
    // No secret: the app registration trusts the managed identity, whose client id the app is given.
    expect(config.entra.credential).toBe('managed_identity');
    expect(config.managedIdentityClientId).toBeDefined();
    expect(config.storage.managedIdentityClientId).toBe(config.managedIdentityClientId);
  });

  it.each(['AzureWebJobsStorage__accountName', 'KEY_VAULT_URL', 'PUBLIC_BASE_URL', 'ENTRA_CLIENT_ID', 'ADMIN_ENTRA_TENANT_ID'])(
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
      'ENTRA_CREDENTIAL',
      'AZURE_CLIENT_ID',
      'AzureWebJobsStorage__clientId',
      'ENTRA_CERTIFICATE_NAME',
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

  it('makes LOG_LEVEL the one log level knob: the host level comes from it, host.json sets none', () => {
    const byName = new Map(infra.appSettings().map((s) => [s.name, s]));
    const hostLevel = byName.get('AzureFunctionsJobHost__logging__logLevel__default');
    expect(hostLevel, 'the host log level app setting').toBeDefined();
    expect(infra.trace(hostLevel!.value, hostLevel!.file).text).toMatch(/^hostLogLevels\[logLevel\]$/);
    const hostJson = JSON.parse(readFileSync(join(repoRoot, 'host.json'), 'utf8')) as { logging?: { logLevel?: unknown } };
    expect(hostJson.logging?.logLevel).toBeUndefined();
    // Every LOG_LEVEL value has its host level.
    const module = readFileSync(join(repoRoot, 'infra/modules/function-app.bicep'), 'utf8');
    const mapping = /var hostLogLevels = \{([^}]*)\}/.exec(module)?.[1] ?? '';
    expect([...mapping.matchAll(/(\w+):/g)].map((m) => m[1])).toEqual(['debug', 'info', 'warn', 'error']);
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
      ['ENTRA_CERTIFICATE_NAME', 'entra-client-certificate'],
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

  it('runs Node 22 with the user-assigned identity only, which the app and the host authenticate as', () => {
    expect(literal(path(site().body, 'identity.type'))).toBe('UserAssigned');
    const identities = path(site().body, 'identity.userAssignedIdentities')!;
    expect(identities.text).toMatch(/\$\{appIdentity\.id\}/);
    const byName = new Map(infra.appSettings().map((s) => [s.name, s]));
    for (const name of ['AZURE_CLIENT_ID', 'AzureWebJobsStorage__clientId']) {
      expect(byName.get(name)?.value.text, name).toBe('appIdentity.properties.clientId');
    }
    expect(literal(byName.get('AzureWebJobsStorage__credential')?.value)).toBe('managedidentity');
    expect(byName.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')?.value.text).toMatch(/ClientId=\$\{appIdentity\.properties\.clientId\};Authorization=AAD/);
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
    expect(literal(path(deployment, 'authentication.type'))).toBe('UserAssignedIdentity');
    expect(path(deployment, 'authentication.userAssignedIdentityResourceId')?.text).toBe('appIdentity.id');
    expect(prop(deployment, 'value')?.text).toMatch(/primaryEndpoints\.blob/);
    const scale = path(site().body, 'properties.functionAppConfig.scaleAndConcurrency');
    expect(prop(scale, 'instanceMemoryMB')).toBeDefined();
    expect(prop(scale, 'maximumInstanceCount')).toBeDefined();
    // Always-ready instances for the HTTP function group (Graph's 3-second acknowledgement).
    const alwaysReady = prop(scale, 'alwaysReady')!;
    expect(alwaysReady.text).toMatch(/name: 'http'/);
    expect(alwaysReady.text).toMatch(/instanceCount: alwaysReadyHttpInstances/);
    expect(literal(infra.main.params.get('alwaysReadyHttpInstances')?.defaultValue)).toBe(1);
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
  // roles.<name>: a property of an object variable.
  const member = n.type === 'member_expression' ? /^(\w+)\.(\w+)$/.exec(n.text) : null;
  const object = member ? file.vars.get(member[1]!) : undefined;
  if (member && object) return roleIdsOf(prop(object.value, member[2]!), file, loop);
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
    expect(principal.text).toBe('appIdentity.properties.principalId');
    // guid(scope, principal, role): idempotent and unique per scope/principal/role.
    const name = prop(a.body, 'name')!;
    expect(callName(name)).toBe('guid');
    const [scopeArg, principalArg, roleArg] = callArgs(name);
    expect(scopeArg?.text).toBe(`${prop(a.body, 'scope')?.text}.id`);
    expect(principalArg?.text).toBe('appIdentity.id');
    expect(roleIdsOf(roleArg, a.file, a.loop)).toContain(roleId);
    // appIdentity is the user-assigned identity main.bicep creates and gives the function app.
    const identity = a.file.resources.find((r) => r.symbol === 'appIdentity')!;
    expect(identity.type).toBe('Microsoft.ManagedIdentity/userAssignedIdentities');
    const call = infra.callerOf(a.file)!;
    expect(infra.trace(prop(prop(call.module.body, 'params'), 'identityName')!, call.caller).text).toBe('appIdentity.name');
  });

  it('grants nothing that can write secrets to the app (Secrets User only)', () => {
    const officerOrAdmin = ['b86a8fe4-44ce-4948-aee5-eccb2c155cd7', '00482a5a-887f-4fb3-b363-3b7fe8e74483'];
    for (const a of assignments()) {
      if (a.roleIds.some((id) => officerOrAdmin.includes(id))) {
        expect(path(a.body, 'properties.principalId')?.text, a.symbol).not.toBe('appIdentity.properties.principalId');
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
});

// Module parameters, resource types, property names and API versions are checked by the Bicep compiler
// (bicep-compiler.test.ts: BCP035/BCP037/BCP081 and use-recent-api-versions), not here.

describe('monitoring: diagnostic settings and alert rules', () => {
  const monitoring = () => [...infra.files.values()].find((f) => f.path.endsWith('modules/monitoring.bicep'))!;

  it('sends the function app, Key Vault and every storage service to the Log Analytics workspace', () => {
    const settings = infra.resources('Microsoft.Insights/diagnosticSettings');
    const scopes = settings.map((d) => d.file.resources.find((r) => r.symbol === prop(d.body, 'scope')?.text)?.type).sort();
    expect(scopes).toEqual([
      'Microsoft.KeyVault/vaults',
      'Microsoft.Storage/storageAccounts',
      'Microsoft.Storage/storageAccounts/blobServices',
      'Microsoft.Storage/storageAccounts/queueServices',
      'Microsoft.Storage/storageAccounts/tableServices',
      'Microsoft.Web/sites',
    ]);
    for (const d of settings) expect(path(d.body, 'properties.workspaceId')?.text, d.file.path).toBe('logAnalytics.id');
  });

  it.each([
    ['the Entra credential failing', 'calendar_bridge.entra.credential_failures'],
    ['dead letters', 'calendar_bridge.webhook.dead_letters'],
    ['connections turning needs_reauth', 'calendar_bridge.connections.needs_reauth'],
    ['notifications failing', 'calendar_bridge.notifications.failed'],
    ['subscriptions not renewed', 'calendar_bridge.subscriptions.renewal_failures'],
  ])('alerts on %s (customMetrics "%s")', (_what, metric) => {
    const rules = elements(monitoring().vars.get('alertRules')!.value);
    const queries = rules.map((r) => stringValue(prop(r, 'query')) ?? '');
    expect(queries.filter((q) => q.includes(`customMetrics | where name == "${metric}"`)), metric).toHaveLength(1);
  });

  it('scopes every rule to Application Insights, measures "hurt" and notifies the action group when one is given', () => {
    const alerts = only(infra.resources('Microsoft.Insights/scheduledQueryRules'), 'one rule resource (a loop)');
    expect(path(alerts.body, 'properties.scopes')?.text).toMatch(/applicationInsights\.id/);
    const criteria = elements(path(alerts.body, 'properties.criteria.allOf'))[0]!;
    expect(literal(prop(criteria, 'metricMeasureColumn'))).toBe('hurt');
    expect(literal(prop(criteria, 'operator'))).toBe('GreaterThan');
    for (const r of elements(monitoring().vars.get('alertRules')!.value)) expect(stringValue(prop(r, 'query')), literal(prop(r, 'name')) as string).toMatch(/hurt =/);
    expect(path(alerts.body, 'properties.actions.actionGroups')?.text).toMatch(/actionGroup\.id/);
  });
});

describe('docs/deploy.md follows the templates', () => {
  const docs = () => readFileSync(join(repoRoot, 'docs/deploy.md'), 'utf8');

  it('documents every parameter of main.bicep (except tags) in its parameter table', () => {
    for (const name of infra.main.params.keys()) if (name !== 'tags') expect(docs(), name).toMatch(new RegExp(`^\\| (\`\\w+\` / )?\`${name}\``, 'm'));
  });

  it('tells what to do with every output the app registration needs, by its output name', () => {
    const outputs = new Set(infra.main.outputs.map((o) => o.name));
    for (const name of ['authRedirectUri', 'tenantConsentRedirectUri', 'federationIssuer', 'managedIdentityPrincipalId', 'federationAudience', 'graphNotificationUrl', 'graphLifecycleNotificationUrl', 'healthUrl']) {
      expect(outputs.has(name), `main.bicep output ${name}`).toBe(true);
      expect(docs(), name).toContain(name);
    }
    expect(docs()).toMatch(/az deployment group what-if[\s\S]*az deployment group create/);
    expect(docs()).toContain('az ad app federated-credential create');
  });
});
