import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { azureCredential, loadAzureCredential } from '../../shared/auth/azure-credential.js';
import { EntraCredentialError, isEntraCredentialFailure } from '../../shared/auth/entra-credential-health.js';
import { parseCertificate } from '../../shared/auth/entra-credentials.js';
import { loadMsal } from '../../shared/auth/msal-sdk.js';

// MSAL as the app loads it (on first use): its errors come from the module the app imported.
const { ServerError } = await loadMsal();

describe('the Azure credential of the app', () => {
  it('is ManagedIdentityCredential in Azure (deterministic: no credential chain)', async () => {
    const credential = await loadAzureCredential({ inAzure: true, managedIdentityClientId: '99999999-8888-4777-8666-555555555555' });
    expect(credential).toBeInstanceOf(ManagedIdentityCredential);
    expect(credential).not.toBeInstanceOf(DefaultAzureCredential);
    expect(await loadAzureCredential({ inAzure: true })).toBeInstanceOf(ManagedIdentityCredential);
  });

  it('is DefaultAzureCredential only for local runs', async () => {
    expect(await loadAzureCredential({ inAzure: false })).toBeInstanceOf(DefaultAzureCredential);
  });

  it('is one instance per identity, so clients share its token cache', async () => {
    const id = '11111111-2222-4333-8444-555555555555';
    expect(azureCredential({ inAzure: true, managedIdentityClientId: id })).toBe(azureCredential({ inAzure: true, managedIdentityClientId: id }));
    expect(azureCredential({ inAzure: true, managedIdentityClientId: id })).not.toBe(azureCredential({ inAzure: true }));
    expect(await loadAzureCredential({ inAzure: true, managedIdentityClientId: id })).toBe(await loadAzureCredential({ inAzure: true, managedIdentityClientId: id }));
    expect(await loadAzureCredential({ inAzure: true, managedIdentityClientId: id })).not.toBe(await loadAzureCredential({ inAzure: true }));
  });

  it('what SDK clients are given is not @azure/identity until a token is asked for (the import waits for it)', () => {
    const handle = azureCredential({ inAzure: false, managedIdentityClientId: '22222222-3333-4444-8555-666666666666' });
    expect(handle).not.toBeInstanceOf(DefaultAzureCredential);
    expect(typeof handle.getToken).toBe('function');
  });
});

describe('the Entra certificate from Key Vault', () => {
  it('refuses a certificate secret that is not PEM (Key Vault\'s default PKCS#12) with a reason the health check shows', () => {
    let error: unknown;
    try {
      parseCertificate(Buffer.from('not a pfx, but base64 like one').toString('base64'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EntraCredentialError);
    expect((error as EntraCredentialError).reason).toBe('certificate_not_pem');
    expect((error as EntraCredentialError).status).toBe(503);
  });
});

describe("what counts as a failure of the app's own Entra credential", () => {
  const entra = (code: string, message: string) => new ServerError(code, message);

  it('invalid_client (expired or wrong secret, certificate, federated credential) and an unknown app id', () => {
    expect(isEntraCredentialFailure(entra('invalid_client', 'AADSTS7000222: The provided client secret keys for app are expired.'))).toBe(true);
    expect(isEntraCredentialFailure(entra('invalid_client', 'AADSTS70021: No matching federated identity record found for presented assertion.'))).toBe(true);
    expect(isEntraCredentialFailure(entra('unauthorized_client', "AADSTS700016: Application with identifier 'x' was not found in the directory."))).toBe(true);
  });

  it("not a user's dead grant, and not a customer tenant that never consented to app-only access", () => {
    expect(isEntraCredentialFailure(entra('invalid_grant', 'AADSTS50173: The provided grant has expired due to it being revoked.'))).toBe(false);
    const notInTenant = entra('unauthorized_client', "AADSTS700016: Application with identifier 'x' was not found in the directory 'fabrikam'.");
    expect(isEntraCredentialFailure(notInTenant, { customerTenant: true })).toBe(false);
    expect(isEntraCredentialFailure(entra('invalid_client', 'AADSTS7000215: Invalid client secret provided.'), { customerTenant: true })).toBe(true);
  });
});
