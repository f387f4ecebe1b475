// Types shared by the modules.

@export()
@description('Tags: names to string values.')
type resourceTags = {
  @description('Tag value.')
  *: string
}

@export()
@description('Audience of managed-identity tokens that Entra accepts as federated credentials (public cloud): https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity')
var tokenExchangeAudience = 'api://AzureADTokenExchange'
