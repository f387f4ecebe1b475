// Calendar Bridge: the whole app in one resource group.
//   User-assigned managed identity: the app's only identity (Storage, Key Vault, telemetry, and the
//     federated credential its Entra app registration trusts: no client secret)
//   Function App on Flex Consumption (FC1, Node 22), always-ready instances for the HTTP functions
//   Storage (tables, queues, the deployment container; identity-based access only)
//   Key Vault (RBAC, soft delete, purge protection); the app only READS secrets
//   Log Analytics + Application Insights, diagnostic settings, alert rules
//   Least-privilege role assignments for the identity
//
// No secret is a parameter or an output. Compiled and linted by the Bicep CLI in the tests
// (test/infra/bicep-compiler.test.ts, rules in infra/bicepconfig.json).
//
// Deploy:  az deployment group create -g <rg> -f infra/main.bicep -p infra/main.parameters.json -p entraClientId=<app id>
// (docs/deploy.md: what-if first, then the app registration's federated credential from the outputs.)

import { resourceTags, tokenExchangeAudience } from 'modules/types.bicep'

targetScope = 'resourceGroup'

@description('Short name of the environment (dev, test, prod...). Part of every resource name.')
@minLength(1)
@maxLength(20)
param environmentName string

@description('Azure region. Must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
param location string = resourceGroup().location

@description('Application (client) id of the Entra app registration (a GUID). Not a secret.')
@minLength(36)
@maxLength(36)
param entraClientId string

@description('Authority tenant: a tenant id or domain, organizations, consumers or common.')
@minLength(1)
param entraTenant string = 'common'

// Graph, the identity authority, the Outlook resource and the Storage/Key Vault suffixes follow it
// (https://learn.microsoft.com/graph/deployments). GCC High and DoD are both AzureUSGovernment to Azure
// Resource Manager: choose dod explicitly for DoD tenants.
@description('The Microsoft cloud the app runs in (AZURE_CLOUD): public, usgov (GCC High), dod or china (21Vianet). Defaults to the cloud of this deployment.')
@allowed([
  'public'
  'usgov'
  'dod'
  'china'
])
param microsoftCloud string = environment().name == 'AzureChinaCloud' ? 'china' : environment().name == 'AzureUSGovernment' ? 'usgov' : 'public'

@description('How the app proves its identity to Entra: managed_identity (federated credential trusted from the app identity, no secret), certificate (in Key Vault) or secret (in Key Vault, last resort).')
@allowed([
  'managed_identity'
  'certificate'
  'secret'
])
param entraAuthMode string = 'managed_identity'

@description('Public https base URL of the app (OAuth redirect and Graph notification URLs are built from it). Empty: https://<function app default host name>.')
param publicBaseUrl string = ''

@description('Memory per instance of the Flex Consumption plan, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound on the number of instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Always-ready instances for the HTTP functions (the "http" group), so Graph notifications never wait for a cold start. 0 turns it off.')
@minValue(0)
@maxValue(20)
param alwaysReadyHttpInstances int = 1

@description('Days Log Analytics keeps logs.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Days a deleted Key Vault (or secret) stays recoverable.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

@description('LOG_LEVEL of the app.')
@allowed([
  'debug'
  'info'
  'warn'
  'error'
])
param logLevel string = 'info'

@description('Object id of a user or group that manages secrets and certificates in the vault. Empty: grant it yourself.')
param operatorPrincipalId string = ''

@description('Kind of principal operatorPrincipalId is.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string = 'User'

@description('E-mail address the alert rules notify. Empty: the alerts fire in Azure Monitor without notifying anyone.')
param alertEmail string = ''

@description('Connections turning needs_reauth within an hour before the alert fires (each one also reaches the booking system as a webhook).')
@minValue(0)
param needsReauthAlertThreshold int = 3

@description('Tags put on every resource.')
param tags resourceTags = {}


@description('Stable per resource group and environment: makes the globally unique names.')
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
@description('The environment name as it appears in resource names.')
var envSlug = toLower(environmentName)
@description('Tags on every resource: the caller\'s plus the app and environment.')
var allTags = union({ app: 'calendar-bridge', environment: environmentName }, tags)

@description('Name of the function app (also its default host name).')
var functionAppName = 'func-${envSlug}-${resourceToken}'
@description('Name of the Flex Consumption plan.')
var planName = 'plan-${envSlug}-${resourceToken}'
@description('Name of the storage account (3-24 lowercase letters and digits).')
var storageAccountName = take('st${resourceToken}', 24)
@description('Name of the Key Vault (3-24 characters).')
var keyVaultName = take('kv-${resourceToken}', 24)
@description('Name of the Log Analytics workspace.')
var logAnalyticsName = 'log-${envSlug}-${resourceToken}'
@description('Name of the Application Insights component.')
var applicationInsightsName = 'appi-${envSlug}-${resourceToken}'
@description('Blob container Flex Consumption deploys the app package from.')
var deploymentContainerName = 'app-package'

// The classic default host name of a site; pass publicBaseUrl when a custom domain (or a unique
// default host name) is used.
@description('The function app\'s default host name.')
var defaultHostName = '${functionAppName}.azurewebsites.net'
@description('The public base URL the app builds its redirect and notification URLs from.')
var effectivePublicBaseUrl = empty(publicBaseUrl) ? 'https://${defaultHostName}' : publicBaseUrl

// A user-assigned identity survives redeploying or recreating the function app, so its role
// assignments and the app registration's federated credential stay valid:
// https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/overview#managed-identity-types
resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'id-${envSlug}-${resourceToken}'
  location: location
  tags: allTags
}

module monitoring 'modules/monitoring.bicep' = {
  params: {
    location: location
    tags: allTags
    logAnalyticsName: logAnalyticsName
    applicationInsightsName: applicationInsightsName
    retentionInDays: logRetentionInDays
    alertEmail: alertEmail
    needsReauthAlertThreshold: needsReauthAlertThreshold
  }
}

module storage 'modules/storage.bicep' = {
  params: {
    location: location
    tags: allTags
    storageAccountName: storageAccountName
    deploymentContainerName: deploymentContainerName
    logAnalyticsName: logAnalyticsName
  }
  dependsOn: [
    monitoring
  ]
}

module keyVault 'modules/keyvault.bicep' = {
  params: {
    location: location
    tags: allTags
    keyVaultName: keyVaultName
    softDeleteRetentionInDays: softDeleteRetentionInDays
    logAnalyticsName: logAnalyticsName
  }
  dependsOn: [
    monitoring
  ]
}

// Roles before the app: the host reads its storage with the identity from its first start.
module roles 'modules/role-assignments.bicep' = {
  params: {
    identityName: appIdentity.name
    storageAccountName: storageAccountName
    keyVaultName: keyVaultName
    applicationInsightsName: applicationInsightsName
    operatorPrincipalId: operatorPrincipalId
    operatorPrincipalType: operatorPrincipalType
  }
  dependsOn: [
    storage
    keyVault
    monitoring
  ]
}

module functionApp 'modules/function-app.bicep' = {
  params: {
    location: location
    tags: allTags
    functionAppName: functionAppName
    planName: planName
    identityName: appIdentity.name
    storageAccountName: storageAccountName
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: applicationInsightsName
    logAnalyticsName: logAnalyticsName
    vaultUri: keyVault.outputs.vaultUri
    publicBaseUrl: effectivePublicBaseUrl
    entraClientId: entraClientId
    entraTenant: entraTenant
    microsoftCloud: microsoftCloud
    entraAuthMode: entraAuthMode
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    logLevel: logLevel
  }
  dependsOn: [
    storage
    roles
  ]
}

// Names, ids and URLs only: nothing here is a secret.
@description('The resource group deployed to.')
output resourceGroupName string = resourceGroup().name
@description('Name of the function app (for az functionapp commands).')
output functionAppName string = functionApp.outputs.name
@description('Default host name of the function app.')
output functionAppHostName string = functionApp.outputs.defaultHostName
@description('Public base URL the app was given (PUBLIC_BASE_URL).')
output publicBaseUrl string = effectivePublicBaseUrl
@description('Web redirect URI of the app registration (user connections).')
output authRedirectUri string = '${effectivePublicBaseUrl}/api/auth/callback'
@description('Web redirect URI of the app registration (tenant-wide admin consent for rooms).')
output tenantConsentRedirectUri string = '${effectivePublicBaseUrl}/api/auth/tenant-callback'
@description('Where Microsoft Graph delivers change notifications.')
output graphNotificationUrl string = '${effectivePublicBaseUrl}/api/graph/notifications'
@description('Where Microsoft Graph delivers lifecycle notifications.')
output graphLifecycleNotificationUrl string = '${effectivePublicBaseUrl}/api/graph/lifecycle'
@description('The health endpoint.')
output healthUrl string = '${effectivePublicBaseUrl}/api/health'
@description('Name of the Key Vault (secrets and certificates are created here by the operator).')
output keyVaultName string = keyVault.outputs.name
@description('URI of the Key Vault.')
output vaultUri string = keyVault.outputs.vaultUri
@description('Name of the storage account.')
output storageAccountName string = storageAccountName
@description('Name of the Application Insights component (metrics, logs and the alert rules).')
output applicationInsightsName string = applicationInsightsName
@description('How the app authenticates to Entra (ENTRA_CREDENTIAL).')
output entraAuthMode string = entraAuthMode
@description('Client id of the app\'s user-assigned identity.')
output managedIdentityClientId string = appIdentity.properties.clientId
@description('Object (principal) id of the app\'s user-assigned identity: the subject of the federated credential.')
output managedIdentityPrincipalId string = appIdentity.properties.principalId
@description('Issuer of the federated credential to add to the app registration.')
output federationIssuer string = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
@description('Audience of the federated credential (public cloud).')
output federationAudience string = tokenExchangeAudience
