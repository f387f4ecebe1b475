// Key Vault for the app's secrets: the Entra client secret, the token-encryption key (versioned),
// the admin API key and webhook signing secrets. Access is by Azure RBAC only (no access policies).
// The template creates no secret: operators add them (docs/deploy.md), the app only reads them.

param location string
param tags object

@minLength(3)
@maxLength(24)
param keyVaultName string

@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
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

output name string = vault.name
output id string = vault.id
output vaultUri string = vault.properties.vaultUri
