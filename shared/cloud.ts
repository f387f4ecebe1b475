// The Microsoft cloud the app runs in, and every endpoint that follows from it. One setting (AZURE_CLOUD)
// picks it; the identity authority, Graph, the Outlook resource of XOAUTH2 tokens, and the Storage and Key
// Vault DNS suffixes all come from this table, so a deployment in a national cloud never reaches the public
// one. Each cloud instance is separate: an app registration, its users and its tokens exist in one only
// (https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud).

export const AZURE_CLOUDS = ['public', 'usgov', 'dod', 'china'] as const;
export type AzureCloud = (typeof AZURE_CLOUDS)[number];

export interface CloudEndpoints {
  /** Microsoft Entra authority host (sign-in and token endpoints). */
  authorityHost: string;
  /** Microsoft Graph's service root (and the resource of `.default` scopes). */
  graph: string;
  /** Exchange Online's resource for IMAP, POP and SMTP AUTH tokens (XOAUTH2). */
  outlookResource: string;
  /** Azure Storage DNS suffix: `<account>.table.<suffix>`. */
  storageSuffix: string;
  /** Key Vault DNS suffix: `<vault>.<suffix>`. */
  keyVaultSuffix: string;
}

// Authority hosts: https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud#microsoft-entra-authentication-endpoints
// Graph roots (L4 = GCC High, L5 = DoD): https://learn.microsoft.com/graph/deployments#microsoft-graph-and-graph-explorer-service-root-endpoints
// Exchange Online hosts: https://learn.microsoft.com/microsoft-365/enterprise/microsoft-365-u-s-government-gcc-high-endpoints,
//   https://learn.microsoft.com/microsoft-365/enterprise/microsoft-365-u-s-government-dod-endpoints,
//   https://learn.microsoft.com/microsoft-365/enterprise/urls-and-ip-address-ranges-21vianet; the public resource
//   is the one the XOAUTH2 scopes name (https://learn.microsoft.com/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth).
// Storage and Key Vault suffixes: https://learn.microsoft.com/azure/azure-government/compare-azure-government-global-azure#guidance-for-developers,
//   https://learn.microsoft.com/azure/china/resources-developer-guide#check-endpoints-in-azure
export const CLOUD_ENDPOINTS: Readonly<Record<AzureCloud, CloudEndpoints>> = {
  public: {
    authorityHost: 'https://login.microsoftonline.com',
    graph: 'https://graph.microsoft.com',
    outlookResource: 'https://outlook.office.com',
    storageSuffix: 'core.windows.net',
    keyVaultSuffix: 'vault.azure.net',
  },
  usgov: {
    authorityHost: 'https://login.microsoftonline.us',
    graph: 'https://graph.microsoft.us',
    outlookResource: 'https://outlook.office365.us',
    storageSuffix: 'core.usgovcloudapi.net',
    keyVaultSuffix: 'vault.usgovcloudapi.net',
  },
  dod: {
    authorityHost: 'https://login.microsoftonline.us',
    graph: 'https://dod-graph.microsoft.us',
    outlookResource: 'https://outlook-dod.office365.us',
    storageSuffix: 'core.usgovcloudapi.net',
    keyVaultSuffix: 'vault.usgovcloudapi.net',
  },
  china: {
    authorityHost: 'https://login.partner.microsoftonline.cn',
    graph: 'https://microsoftgraph.chinacloudapi.cn',
    outlookResource: 'https://partner.outlook.cn',
    storageSuffix: 'core.chinacloudapi.cn',
    keyVaultSuffix: 'vault.azure.cn',
  },
};

/** A Key Vault URL of the cloud (`https://<vault>.<suffix>`). */
export function isKeyVaultUrlOf(url: string, endpoints: Pick<CloudEndpoints, 'keyVaultSuffix'>): boolean {
  const host = new URL(url).hostname.toLowerCase();
  return host.endsWith(`.${endpoints.keyVaultSuffix}`);
}
