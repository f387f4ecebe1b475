import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { azureCredential } from '../../shared/auth/azure-credential.js';
import { EntraCredentialError } from '../../shared/auth/entra-credential-health.js';
import { parseCertificate } from '../../shared/auth/entra-credentials.js';

describe('the Azure credential of the app', () => {
  it('is ManagedIdentityCredential in Azure (deterministic: no credential chain)', () => {
    const credential = azureCredential({ inAzure: true, managedIdentityClientId: '99999999-8888-4777-8666-555555555555' });
    expect(credential).toBeInstanceOf(ManagedIdentityCredential);
    expect(credential).not.toBeInstanceOf(DefaultAzureCredential);
    expect(azureCredential({ inAzure: true })).toBeInstanceOf(ManagedIdentityCredential);
  });

  it('is DefaultAzureCredential only for local runs', () => {
    expect(azureCredential({ inAzure: false })).toBeInstanceOf(DefaultAzureCredential);
  });

  it('is one instance per identity, so clients share its token cache', () => {
    const id = '11111111-2222-4333-8444-555555555555';
    expect(azureCredential({ inAzure: true, managedIdentityClientId: id })).toBe(azureCredential({ inAzure: true, managedIdentityClientId: id }));
    expect(azureCredential({ inAzure: true, managedIdentityClientId: id })).not.toBe(azureCredential({ inAzure: true }));
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
