// The Function App on the Flex Consumption plan (FC1): Linux, Node 22, the user-assigned identity only.
// App settings are every setting shared/config.ts requires in Azure, plus the app's secret NAMES
// (the values live in Key Vault and are read by the app at run time). No connection string, no key.
// On Flex Consumption the runtime comes from functionAppConfig.runtime: FUNCTIONS_WORKER_RUNTIME
// and FUNCTIONS_EXTENSION_VERSION must not be set, nor WEBSITE_RUN_FROM_PACKAGE.
import { resourceTags } from 'types.bicep'

@description('Azure region.')
param location string

@description('Tags put on every resource.')
param tags resourceTags

@description('Name of the function app.')
param functionAppName string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Name of the app\'s user-assigned identity.')
param identityName string

@description('Name of the storage account (host state, tables, queues, deployment container).')
param storageAccountName string

@description('Blob container the app package is deployed to.')
param deploymentContainerName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Log Analytics workspace that receives the function app\'s logs.')
param logAnalyticsName string

@description('Key Vault URI (https://<vault>.vault.azure.net/).')
param vaultUri string

@description('Public https base URL of the app.')
param publicBaseUrl string

@description('Application (client) id of the Entra app registration.')
param entraClientId string

@description('Authority tenant of the Entra app registration.')
param entraTenant string

@description('The Microsoft cloud (AZURE_CLOUD): public, usgov, dod or china.')
@allowed([
  'public'
  'usgov'
  'dod'
  'china'
])
param microsoftCloud string

@description('How the app authenticates to Entra (ENTRA_CREDENTIAL).')
@allowed([
  'managed_identity'
  'certificate'
  'secret'
])
param entraAuthMode string

@description('Memory per instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('Upper bound on the number of instances.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Always-ready instances of the HTTP function group.')
@minValue(0)
param alwaysReadyHttpInstances int

@description('LOG_LEVEL of the app.')
@allowed([
  'debug'
  'info'
  'warn'
  'error'
])
param logLevel string

// LOG_LEVEL is the one knob: the Functions host filters the app's log lines at the same level (an app
// setting overrides host.json's logging.logLevel.default, which therefore sets none).
// https://learn.microsoft.com/azure/azure-functions/functions-host-json#override-hostjson-values
@description('The Functions host log level for each LOG_LEVEL value.')
var hostLogLevels = {
  debug: 'Debug'
  info: 'Information'
  warn: 'Warning'
  error: 'Error'
}

resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: identityName
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-07-01' existing = {
  name: logAnalyticsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
  name: functionAppName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${appIdentity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    // The identity Key Vault references and other platform features use.
    keyVaultReferenceIdentity: appIdentity.id
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        // Host and app storage, identity-based with the user-assigned identity:
        // https://learn.microsoft.com/azure/azure-functions/functions-reference#common-properties-for-identity-based-connections
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storageAccount.name
        }
        {
          name: 'AzureWebJobsStorage__blobServiceUri'
          value: storageAccount.properties.primaryEndpoints.blob
        }
        {
          name: 'AzureWebJobsStorage__tableServiceUri'
          value: storageAccount.properties.primaryEndpoints.table
        }
        {
          name: 'AzureWebJobsStorage__queueServiceUri'
          value: storageAccount.properties.primaryEndpoints.queue
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: appIdentity.properties.clientId
        }
        // The app's own Azure SDK calls (ManagedIdentityCredential) and its Entra federated credential.
        {
          name: 'AZURE_CLIENT_ID'
          value: appIdentity.properties.clientId
        }
        // Telemetry with Entra auth as the user-assigned identity (the component has local auth disabled):
        // https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: applicationInsights.properties.ConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${appIdentity.properties.clientId};Authorization=AAD'
        }
        // The app's own settings (shared/config.ts).
        {
          name: 'PUBLIC_BASE_URL'
          value: publicBaseUrl
        }
        {
          name: 'KEY_VAULT_URL'
          value: vaultUri
        }
        {
          name: 'ENTRA_CLIENT_ID'
          value: entraClientId
        }
        {
          name: 'ENTRA_TENANT'
          value: entraTenant
        }
        {
          name: 'AZURE_CLOUD'
          value: microsoftCloud
        }
        {
          name: 'ENTRA_CREDENTIAL'
          value: entraAuthMode
        }
        // The admin API accepts Entra tokens of this (the deployment's) tenant with the app role
        // CalendarBridge.Admin; the shared admin key only with ADMIN_KEY_ENABLED=true.
        {
          name: 'ADMIN_ENTRA_TENANT_ID'
          value: tenant().tenantId
        }
        // Key Vault secret and certificate NAMES, never values.
        {
          name: 'ENTRA_CERTIFICATE_NAME'
          value: 'entra-client-certificate'
        }
        {
          name: 'ENTRA_CLIENT_SECRET_NAME'
          value: 'entra-client-secret'
        }
        {
          name: 'TOKEN_KEY_NAME'
          value: 'token-encryption-key'
        }
        {
          name: 'ADMIN_KEY_SECRET_NAME'
          value: 'admin-api-key'
        }
        {
          name: 'LOG_LEVEL'
          value: logLevel
        }
        {
          name: 'AzureFunctionsJobHost__logging__logLevel__default'
          value: hostLogLevels[logLevel]
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: appIdentity.id
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        // All HTTP-triggered functions scale together as the group "http"; always-ready instances of that
        // group are running before a request comes, so Graph's 3-second answer to a change notification
        // never waits for a cold start:
        // https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#always-ready-instances
        // https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#per-function-scaling
        alwaysReady: alwaysReadyHttpInstances > 0
          ? [
              {
                name: 'http'
                instanceCount: alwaysReadyHttpInstances
              }
            ]
          : []
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
}

// Basic (user name + password) publishing credentials off for FTP and for the SCM site:
// deployments authenticate with Entra (az / func / GitHub Actions with OIDC).
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

// The host's and the app's logs (FunctionAppLogs) and platform metrics to Log Analytics:
// https://learn.microsoft.com/azure/azure-functions/monitor-functions#collection-and-routing
// The newest version (categoryGroup needs it); the linter would have the older GA 2016-09-01.
#disable-next-line use-recent-api-versions
resource appDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: functionApp
  properties: {
    workspaceId: logAnalytics.id
    logs: [
      {
        category: 'FunctionAppLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

@description('Name of the function app.')
output name string = functionApp.name
@description('Default host name of the function app.')
output defaultHostName string = functionApp.properties.defaultHostName
