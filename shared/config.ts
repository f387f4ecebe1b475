// Every setting, read and validated once. A bad or missing setting stops start-up with one line naming it.
import * as z from 'zod';
import { AZURE_CLOUDS, CLOUD_ENDPOINTS, isKeyVaultUrlOf, type AzureCloud, type CloudEndpoints } from './cloud.js';

/** True under the Azure Functions host in Azure (App Service sets WEBSITE_SITE_NAME). */
export function isRunningInAzure(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.WEBSITE_SITE_NAME?.trim()) && env.CALENDAR_BRIDGE_LOCAL !== 'true';
}

/**
 * How the app proves its identity to Entra, strongest first: a federated credential trusted from the app's
 * managed identity (no secret exists at all), a certificate in Key Vault, a client secret in Key Vault.
 */
export const ENTRA_CREDENTIAL_MODES = ['managed_identity', 'certificate', 'secret'] as const;
export type EntraCredentialMode = (typeof ENTRA_CREDENTIAL_MODES)[number];

const optionalString = z.string().trim().min(1).optional();
const httpUrl = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const schema = z.object({
  AzureWebJobsStorage: optionalString,
  AzureWebJobsStorage__accountName: optionalString,
  AzureWebJobsStorage__tableServiceUri: httpUrl.optional(),
  AzureWebJobsStorage__queueServiceUri: httpUrl.optional(),
  AzureWebJobsStorage__clientId: optionalString,
  AZURE_CLIENT_ID: optionalString,
  PUBLIC_BASE_URL: httpUrl.default('http://localhost:7071'),
  KEY_VAULT_URL: httpUrl.optional(),
  LOCAL_SECRETS_PATH: z.string().default('.data/secrets.json'),
  ENTRA_CLIENT_ID: optionalString,
  ENTRA_TENANT: z.string().trim().min(1).default('common'),
  // Whether personal Microsoft accounts (outlook.com) may connect, when ENTRA_TENANT lets them sign in.
  PERSONAL_ACCOUNTS: z.enum(['allow', 'deny']).default('allow'),
  // The Microsoft cloud (public, usgov = GCC High, dod, china): the defaults of every endpoint below follow it.
  AZURE_CLOUD: z.enum(AZURE_CLOUDS).default('public'),
  ENTRA_AUTHORITY_HOST: httpUrl.optional(),
  ENTRA_CREDENTIAL: z.enum(ENTRA_CREDENTIAL_MODES).optional(),
  ENTRA_CERTIFICATE_NAME: z.string().default('entra-client-certificate'),
  ENTRA_CLIENT_SECRET_NAME: z.string().default('entra-client-secret'),
  GRAPH_BASE_URL: httpUrl.optional(),
  GRAPH_TIMEOUT_MS: positiveInt(20_000),
  TOKEN_KEY_NAME: z.string().default('token-encryption-key'),
  ADMIN_KEY_SECRET_NAME: z.string().default('admin-api-key'),
  // The admin API: Entra tokens of this tenant carrying the app role CalendarBridge.Admin, and/or the shared key.
  ADMIN_ENTRA_TENANT_ID: z.uuid().optional(),
  ADMIN_KEY_ENABLED: z.enum(['true', 'false']).optional(),
  SECRET_CACHE_TTL_SECONDS: positiveInt(300),
  // How long a tenant consent keeps checking for its application roles to reach tokens (Entra propagates them late).
  TENANT_CONSENT_WAIT_SECONDS: z.coerce.number().int().min(0).max(3600).default(300),
  STORAGE_TIMEOUT_MS: positiveInt(5000),
  BUSY_CACHE_DAYS_AHEAD: z.coerce.number().int().min(1).max(1825).default(90),
  // Local and test runs only: namespaces tables and queues so that runs sharing one Azurite stay apart.
  TABLE_NAME_PREFIX: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,19}$/, 'letters and digits, starting with a letter').optional(),
  QUEUE_NAME_PREFIX: z.string().regex(/^[a-z0-9]{1,20}-$/, 'lowercase letters and digits, ending with "-"').optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  // Telemetry goes to Application Insights only when this is set (shared/telemetry/).
  APPLICATIONINSIGHTS_CONNECTION_STRING: optionalString,
});

/**
 * The settings with every empty (or blank) value dropped: an empty value means "unset", everywhere. Tools
 * write empty values for settings one does not use (local.settings.json, app settings left blank).
 */
function withoutEmptyValues(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1].trim() !== ''));
}

export type RawSettings = z.infer<typeof schema>;

export interface StorageSettings {
  /** Connection string (Azurite or an account key); identity-based endpoints otherwise. */
  connectionString?: string;
  tableEndpoint?: string;
  queueEndpoint?: string;
  managedIdentityClientId?: string;
  /** In Azure: authenticate with ManagedIdentityCredential only (DefaultAzureCredential is for local runs). */
  inAzure: boolean;
  timeoutMs: number;
  /** Local and test runs only (the Azure host's bindings use the bare names). */
  tableNamePrefix?: string;
  queueNamePrefix?: string;
}

export interface Config {
  inAzure: boolean;
  version: string;
  publicBaseUrl: string;
  /** The Microsoft cloud, and its endpoints (Graph and the authority host as set below, which they default). */
  cloud: { name: AzureCloud } & CloudEndpoints;
  storage: StorageSettings;
  secrets: { keyVaultUrl?: string; localPath: string; cacheTtlSeconds: number };
  /** Client id of the app's user-assigned managed identity (system-assigned when absent). */
  managedIdentityClientId?: string;
  entra: {
    clientId: string;
    tenant: string;
    /** Personal Microsoft accounts may connect (checked on the id token's `tid` after sign-in). */
    personalAccounts: 'allow' | 'deny';
    authorityHost: string;
    credential: EntraCredentialMode;
    certificateName: string;
    clientSecretName: string;
  };
  graphBaseUrl: string;
  /** How long one Graph call may take before the app gives up on it (bookings treat that as ambiguous). */
  graphTimeoutMs: number;
  /** How far ahead push sync keeps the busy cache (further when a live booking lies beyond it). */
  busyCacheDaysAhead: number;
  /** How long after an administrator's consent the app keeps waiting for its application roles in tokens. */
  tenantConsentWaitMs: number;
  tokenKeyName: string;
  adminKeySecretName: string;
  admin: {
    /** Tenant whose Entra access tokens (for the app's own registration, app role CalendarBridge.Admin) the admin API accepts; undefined: none. */
    entraTenantId?: string;
    /** Whether the shared admin key is accepted: always locally, only when ADMIN_KEY_ENABLED=true in Azure. */
    keyEnabled: boolean;
  };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Application Insights connection string; undefined means no telemetry is exported. */
  applicationInsightsConnectionString?: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, version = '0.0.0'): Config {
  const parsed = schema.safeParse(withoutEmptyValues(env));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid setting ${String(issue.path[0])}: ${issue.message}`);
  }
  const s = parsed.data;

  const inAzure = isRunningInAzure(env);
  const cloudEndpoints = CLOUD_ENDPOINTS[s.AZURE_CLOUD];
  const authorityHost = s.ENTRA_AUTHORITY_HOST ?? cloudEndpoints.authorityHost;
  const graphBaseUrl = s.GRAPH_BASE_URL ?? cloudEndpoints.graph;
  const accountName = s.AzureWebJobsStorage__accountName;
  const storage: StorageSettings = {
    connectionString: s.AzureWebJobsStorage,
    tableEndpoint:
      s.AzureWebJobsStorage__tableServiceUri ?? (accountName ? `https://${accountName}.table.${cloudEndpoints.storageSuffix}` : undefined),
    queueEndpoint:
      s.AzureWebJobsStorage__queueServiceUri ?? (accountName ? `https://${accountName}.queue.${cloudEndpoints.storageSuffix}` : undefined),
    managedIdentityClientId: s.AzureWebJobsStorage__clientId ?? s.AZURE_CLIENT_ID,
    inAzure,
    timeoutMs: s.STORAGE_TIMEOUT_MS,
    tableNamePrefix: s.TABLE_NAME_PREFIX,
    queueNamePrefix: s.QUEUE_NAME_PREFIX,
  };
  if (!storage.connectionString && !(storage.tableEndpoint && storage.queueEndpoint)) {
    throw new ConfigError(
      'Missing setting AzureWebJobsStorage: give a connection string, or AzureWebJobsStorage__accountName for identity-based access',
    );
  }

  if (inAzure) {
    if (!s.KEY_VAULT_URL) throw new ConfigError('Missing setting KEY_VAULT_URL: required when running in Azure');
    if (!s.KEY_VAULT_URL.startsWith('https://')) throw new ConfigError('Invalid setting KEY_VAULT_URL: must be https');
    if (!isKeyVaultUrlOf(s.KEY_VAULT_URL, cloudEndpoints)) {
      throw new ConfigError(`Invalid setting KEY_VAULT_URL: a vault of the ${s.AZURE_CLOUD} cloud ends in .${cloudEndpoints.keyVaultSuffix} (AZURE_CLOUD)`);
    }
    if (!s.PUBLIC_BASE_URL.startsWith('https://'))
      throw new ConfigError('Invalid setting PUBLIC_BASE_URL: must be an https URL when running in Azure');
    if (s.TABLE_NAME_PREFIX || s.QUEUE_NAME_PREFIX) {
      throw new ConfigError(`Invalid setting ${s.TABLE_NAME_PREFIX ? 'TABLE_NAME_PREFIX' : 'QUEUE_NAME_PREFIX'}: for local runs only`);
    }
  }
  // Locally too: `npm start` sets it to the simulated app's when it runs the Microsoft 365 simulator.
  if (!s.ENTRA_CLIENT_ID) throw new ConfigError('Missing setting ENTRA_CLIENT_ID: the application (client) id of the Entra app registration');
  const adminKeyEnabled = s.ADMIN_KEY_ENABLED ? s.ADMIN_KEY_ENABLED === 'true' : !inAzure;
  // A tenant id as ENTRA_TENANT names the registration's home tenant, whose operators are the admins.
  const adminTenant = s.ADMIN_ENTRA_TENANT_ID ?? (z.uuid().safeParse(s.ENTRA_TENANT).success ? s.ENTRA_TENANT : undefined);
  if (inAzure && !adminKeyEnabled && !adminTenant) {
    throw new ConfigError('Missing setting ADMIN_ENTRA_TENANT_ID: the admin API needs a tenant to accept Entra tokens from (or ADMIN_KEY_ENABLED=true)');
  }

  return {
    inAzure,
    version,
    publicBaseUrl: s.PUBLIC_BASE_URL,
    cloud: { name: s.AZURE_CLOUD, ...cloudEndpoints, authorityHost, graph: graphBaseUrl },
    storage,
    managedIdentityClientId: s.AZURE_CLIENT_ID ?? s.AzureWebJobsStorage__clientId,
    secrets: { keyVaultUrl: s.KEY_VAULT_URL, localPath: s.LOCAL_SECRETS_PATH, cacheTtlSeconds: s.SECRET_CACHE_TTL_SECONDS },
    entra: {
      clientId: s.ENTRA_CLIENT_ID,
      tenant: s.ENTRA_TENANT,
      personalAccounts: s.PERSONAL_ACCOUNTS,
      authorityHost,
      // In Azure the federated credential unless told otherwise; locally a secret from the local secret store.
      credential: s.ENTRA_CREDENTIAL ?? (inAzure ? 'managed_identity' : 'secret'),
      certificateName: s.ENTRA_CERTIFICATE_NAME,
      clientSecretName: s.ENTRA_CLIENT_SECRET_NAME,
    },
    graphBaseUrl,
    graphTimeoutMs: s.GRAPH_TIMEOUT_MS,
    busyCacheDaysAhead: s.BUSY_CACHE_DAYS_AHEAD,
    tenantConsentWaitMs: s.TENANT_CONSENT_WAIT_SECONDS * 1000,
    tokenKeyName: s.TOKEN_KEY_NAME,
    adminKeySecretName: s.ADMIN_KEY_SECRET_NAME,
    admin: { entraTenantId: adminTenant?.toLowerCase(), keyEnabled: adminKeyEnabled },
    logLevel: s.LOG_LEVEL,
    applicationInsightsConnectionString: s.APPLICATIONINSIGHTS_CONNECTION_STRING,
  };
}

let cached: Config | undefined;

/** The process-wide configuration, parsed on first use. */
export function getConfig(): Config {
  cached ??= loadConfig(process.env, packageVersion());
  return cached;
}

/** Forget the parsed configuration (tests change process.env between cases). */
export function resetConfig(): void {
  cached = undefined;
}

function packageVersion(): string {
  return process.env.npm_package_version ?? APP_VERSION;
}

// Kept in step with package.json by a unit test.
export const APP_VERSION = '0.1.0';

/** Names of every setting, for the README table and the Bicep structural test. */
export const SETTING_NAMES = Object.keys(schema.shape) as (keyof RawSettings)[];
