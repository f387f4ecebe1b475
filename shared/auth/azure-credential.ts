// The credential every Azure SDK client of the app uses (Table and Queue Storage, Key Vault). In Azure it is
// ManagedIdentityCredential for the app's user-assigned identity (its client id) and nothing else, so a
// missing role fails plainly instead of falling through a chain of other credentials. DefaultAzureCredential
// is only for local runs against real Azure resources (a developer's `az login`):
// https://learn.microsoft.com/azure/developer/javascript/sdk/authentication/best-practices#use-deterministic-credentials-in-production-environments
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';

const credentials = new Map<string, TokenCredential>();

export interface AzureCredentialOptions {
  /** True under the Azure Functions host in Azure. */
  inAzure: boolean;
  /** Client id of the user-assigned managed identity; the system-assigned identity when absent. */
  managedIdentityClientId?: string;
}

/** One credential per identity for the process, so its token cache is shared by every client. */
export function azureCredential(options: AzureCredentialOptions): TokenCredential {
  const key = `${options.inAzure ? 'azure' : 'local'}:${options.managedIdentityClientId ?? ''}`;
  let credential = credentials.get(key);
  if (!credential) {
    credential = options.inAzure
      ? new ManagedIdentityCredential(options.managedIdentityClientId ? { clientId: options.managedIdentityClientId } : {})
      : new DefaultAzureCredential({ managedIdentityClientId: options.managedIdentityClientId });
    credentials.set(key, credential);
  }
  return credential;
}

/** The app's managed identity itself (also what the Entra federated credential is fed from), one per identity. */
export function managedIdentityCredential(clientId: string | undefined): TokenCredential {
  return azureCredential({ inAzure: true, managedIdentityClientId: clientId });
}
