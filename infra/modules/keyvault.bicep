// Key Vault for the app's secrets: the token-encryption key (versioned), the admin API key, webhook
// signing secrets, and the Entra certificate or client secret when the app does not use its federated
// credential. Access is by Azure RBAC only (no access policies). The template creates no secret:
// operators add them (docs/deploy.md), the app only reads them. Audit logs go to Log Analytics.
import { resourceTags } from 'types.bicep'

@description('Azure region.')
param location string

@description('Tags put on every resource.')
param tags resourceTags

@description('Name of the vault.')
@minLength(3)
@maxLength(24)
param keyVaultName string

@description('Days a deleted vault or secret stays recoverable.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int

@description('Log Analytics workspace that receives the audit logs.')
param logAnalyticsName string

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-07-01' existing = {
  name: logAnalyticsName
}

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
  }
}

// Who read which secret, and when: https://learn.microsoft.com/azure/key-vault/general/logging
// The newest version (categoryGroup needs it); the linter would have the older GA 2016-09-01.
#disable-next-line use-recent-api-versions
resource vaultDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: vault
  properties: {
    workspaceId: logAnalytics.id
    logs: [
      {
        categoryGroup: 'audit'
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

@description('Name of the vault.')
output name string = vault.name
@description('URI of the vault (https://<vault>.vault.azure.net/).')
output vaultUri string = vault.properties.vaultUri
