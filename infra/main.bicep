// Calendar Bridge: the whole app in one resource group.
//   Function App on Flex Consumption (FC1, Node 22, system-assigned identity)
//   Storage (tables, queues, the deployment container; identity-based access only)
//   Key Vault (RBAC, soft delete, purge protection); the app only READS secrets
//   Log Analytics + Application Insights (Entra-authenticated ingestion)
//   Role assignments for the app's identity
//
// No secret is a parameter or an output. Secrets are created in Key Vault by an operator
// (docs/deploy.md) and read by the app at run time by name.
//
// Deploy:  az deployment group create -g <rg> -f infra/main.bicep -p infra/main.parameters.json -p entraClientId=<app id>
// This file has NOT been compiled by the Bicep CLI here (it cannot be installed on the development
// machines); test/infra checks its syntax with tree-sitter and its structure. Run `az bicep build`
// or `az deployment group what-if` before the first real deployment.

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

@description('Object id of a user or group that manages secrets (Key Vault Secrets Officer). Empty: grant it yourself.')
param operatorPrincipalId string = ''

@description('Kind of principal operatorPrincipalId is.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string = 'User'

@description('Tags put on every resource.')
param tags object = {}

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var envSlug = toLower(environmentName)
var allTags = union({ app: 'calendar-bridge', environment: environmentName }, tags)

var functionAppName = 'func-${envSlug}-${resourceToken}'
var planName = 'plan-${envSlug}-${resourceToken}'
var storageAccountName = take('st${resourceToken}', 24)
var keyVaultName = take('kv-${resourceToken}', 24)
var logAnalyticsName = 'log-${envSlug}-${resourceToken}'
var applicationInsightsName = 'appi-${envSlug}-${resourceToken}'
var deploymentContainerName = 'app-package'

// The classic default host name of a site; pass publicBaseUrl when a custom domain (or a unique
// default host name) is used.
var defaultHostName = '${functionAppName}.azurewebsites.net'
var effectivePublicBaseUrl = empty(publicBaseUrl) ? 'https://${defaultHostName}' : publicBaseUrl

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: allTags
    logAnalyticsName: logAnalyticsName
    applicationInsightsName: applicationInsightsName
    retentionInDays: logRetentionInDays
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: allTags
    storageAccountName: storageAccountName
    deploymentContainerName: deploymentContainerName
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: allTags
    keyVaultName: keyVaultName
    softDeleteRetentionInDays: softDeleteRetentionInDays
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  params: {
    location: location
    tags: allTags
    functionAppName: functionAppName
    planName: planName
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    vaultUri: keyVault.outputs.vaultUri
    publicBaseUrl: effectivePublicBaseUrl
    entraClientId: entraClientId
    entraTenant: entraTenant
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    logLevel: logLevel
  }
}

module roles 'modules/role-assignments.bicep' = {
  name: 'role-assignments'
  params: {
    principalId: functionApp.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    operatorPrincipalId: operatorPrincipalId
    operatorPrincipalType: operatorPrincipalType
  }
}

// Names and URLs only: nothing here is a secret.
output resourceGroupName string = resourceGroup().name
output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.defaultHostName
output publicBaseUrl string = effectivePublicBaseUrl
output authRedirectUri string = '${effectivePublicBaseUrl}/api/auth/callback'
output healthUrl string = '${effectivePublicBaseUrl}/api/health'
output keyVaultName string = keyVault.outputs.name
output vaultUri string = keyVault.outputs.vaultUri
output storageAccountName string = storage.outputs.name
output applicationInsightsName string = monitoring.outputs.applicationInsightsName
output principalId string = functionApp.outputs.principalId
