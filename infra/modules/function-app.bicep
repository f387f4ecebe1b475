// The Function App on the Flex Consumption plan (FC1): Linux, Node 22, system-assigned identity.
// App settings are every setting shared/config.ts requires in Azure, plus the app's secret NAMES
// (the values live in Key Vault and are read by the app at run time). No connection string, no key.
// On Flex Consumption the runtime comes from functionAppConfig.runtime: FUNCTIONS_WORKER_RUNTIME
// and FUNCTIONS_EXTENSION_VERSION must not be set, nor WEBSITE_RUN_FROM_PACKAGE.

param location string
param tags object
param functionAppName string
param planName string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string

@description('Key Vault URI (https://<vault>.vault.azure.net/).')
param vaultUri string

@description('Public https base URL of the app.')
param publicBaseUrl string

param entraClientId string
param entraTenant string

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@allowed([
  'debug'
  'info'
  'warn'
  'error'
])
param logLevel string

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
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

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        // Host and app storage, identity-based (system-assigned identity: no __clientId, no __credential).
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
        // Telemetry with Entra auth (the component has local auth disabled).
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: applicationInsights.properties.ConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'Authorization=AAD'
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
        // Key Vault secret NAMES, never values.
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
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
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
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = functionApp.name
output id string = functionApp.id
output defaultHostName string = functionApp.properties.defaultHostName
output principalId string = functionApp.identity.principalId
