// The credential every Azure SDK client of the app uses (Table and Queue Storage, Key Vault). In Azure it is
// ManagedIdentityCredential for the app's user-assigned identity (its client id) and nothing else, so a
// missing role fails plainly instead of falling through a chain of other credentials. DefaultAzureCredential
// is only for local runs against real Azure resources (a developer's `az login`):
// https://learn.microsoft.com/azure/developer/javascript/sdk/authentication/best-practices#use-deterministic-credentials-in-production-environments
// @azure/identity (with MSAL under it) is a few hundred module files; with a connection string (Azurite,
// tests) it is never needed, and in Azure its import costs the first token request rather than every cold start.
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';

export interface AzureCredentialOptions {
  /** True under the Azure Functions host in Azure. */
  inAzure: boolean;
  /** Client id of the user-assigned managed identity; the system-assigned identity when absent. */
  managedIdentityClientId?: string;
}

const loaded = new Map<string, Promise<TokenCredential>>();
const handles = new Map<string, TokenCredential>();

function keyOf(options: AzureCredentialOptions): string {
  return `${options.inAzure ? 'azure' : 'local'}:${options.managedIdentityClientId ?? ''}`;
}

/** The concrete @azure/identity credential for an identity, imported and built once per process. */
export function loadAzureCredential(options: AzureCredentialOptions): Promise<TokenCredential> {
  const key = keyOf(options);
  let credential = loaded.get(key);
  if (!credential) {
    credential = import('@azure/identity').then(({ DefaultAzureCredential, ManagedIdentityCredential }) =>
      options.inAzure
        ? new ManagedIdentityCredential(options.managedIdentityClientId ? { clientId: options.managedIdentityClientId } : {})
        : new DefaultAzureCredential({ managedIdentityClientId: options.managedIdentityClientId }),
    );
    loaded.set(key, credential);
  }
  return credential;
}

/**
 * What SDK clients are given: one handle per identity for the process (so every client shares the token
 * cache of the one credential behind it), loading that credential on its first token request.
 */
export function azureCredential(options: AzureCredentialOptions): TokenCredential {
  const key = keyOf(options);
  let handle = handles.get(key);
  if (!handle) {
    const identity = { inAzure: options.inAzure, managedIdentityClientId: options.managedIdentityClientId };
    handle = {
      async getToken(scopes: string | string[], getTokenOptions?: GetTokenOptions): Promise<AccessToken | null> {
        return (await loadAzureCredential(identity)).getToken(scopes, getTokenOptions);
      },
    };
    handles.set(key, handle);
  }
  return handle;
}

/** The app's managed identity itself (also what the Entra federated credential is fed from), one per identity. */
export function managedIdentityCredential(clientId: string | undefined): TokenCredential {
  return azureCredential({ inAzure: true, managedIdentityClientId: clientId });
}
