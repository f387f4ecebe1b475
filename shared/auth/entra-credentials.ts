// The credential MSAL authenticates the app itself with, in the order of preference of ENTRA_CREDENTIAL:
//   managed_identity: a federated identity credential on the app registration that trusts the app's managed
//     identity. MSAL's client assertion is a managed-identity token for api://AzureADTokenExchange; no secret
//     exists anywhere:
//     https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity
//   certificate: a certificate in Key Vault (PEM content type); Key Vault serves its private key as the secret
//     of the same name: https://learn.microsoft.com/azure/key-vault/certificates/about-certificates#composition-of-a-certificate
//     MSAL signs the client assertion with it:
//     https://learn.microsoft.com/entra/identity-platform/certificate-credentials
//   secret: a client secret in Key Vault (the local secret store locally), the last resort.
import { X509Certificate } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import type { Services } from '../services.js';
import { managedIdentityCredential } from './azure-credential.js';
import { EntraCredentialError } from './entra-credential-health.js';

/** Audience of the managed-identity token Entra accepts as a federated credential (public cloud). */
export const TOKEN_EXCHANGE_SCOPE = 'api://AzureADTokenExchange/.default';

/** What goes into MSAL's `auth` configuration besides the client id and authority. */
export type MsalClientCredential =
  | { clientSecret: string }
  | { clientCertificate: { thumbprintSha256: string; privateKey: string; x5c: string } }
  | { clientAssertion: () => Promise<string> };

type CredentialServices = Pick<Services, 'config' | 'secrets'>;

/** The app's Entra credential as configured. Reading it may fail: that is an EntraCredentialError. */
export async function entraClientCredential(services: CredentialServices): Promise<MsalClientCredential> {
  const { entra } = services.config;
  try {
    switch (entra.credential) {
      case 'managed_identity':
        return { clientAssertion: managedIdentityAssertion(managedIdentityCredential(services.config.managedIdentityClientId)) };
      case 'certificate':
        return { clientCertificate: parseCertificate((await services.secrets.get(entra.certificateName)).value) };
      case 'secret':
        return { clientSecret: (await services.secrets.get(entra.clientSecretName)).value };
    }
  } catch (error) {
    throw error instanceof EntraCredentialError ? error : new EntraCredentialError('credential_unreadable', { cause: error });
  }
}

/** The client assertion callback: a fresh managed-identity token each time (the identity SDK caches it). */
function managedIdentityAssertion(credential: TokenCredential): () => Promise<string> {
  return async () => {
    try {
      const token = await credential.getToken(TOKEN_EXCHANGE_SCOPE);
      if (!token?.token) throw new Error('the managed identity returned no token');
      return token.token;
    } catch (error) {
      throw new EntraCredentialError('managed_identity_unavailable', { cause: error });
    }
  };
}

/** A Key Vault certificate's secret in PEM form: the private key and the certificate (chain). */
export function parseCertificate(pem: string): { thumbprintSha256: string; privateKey: string; x5c: string } {
  const privateKey = /-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA )?PRIVATE KEY-----/.exec(pem)?.[0];
  const certificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!privateKey || !certificate) throw new EntraCredentialError('certificate_not_pem');
  const thumbprintSha256 = new X509Certificate(certificate).fingerprint256.replace(/:/g, '').toLowerCase();
  return { thumbprintSha256, privateKey, x5c: certificate };
}

/** Delegated permissions every connection holds; MSAL adds openid, profile and offline_access itself. */
export const GRAPH_SCOPES = ['User.Read', 'Calendars.ReadWrite'] as const;

/**
 * Reads and writes calendars other people share with or delegate to the user; Calendars.ReadWrite reaches
 * the user's own mailbox only. Asked for (incremental consent) only when the person picks such a calendar
 * (https://learn.microsoft.com/en-us/graph/permissions-reference#calendarsreadwriteshared).
 */
export const SHARED_CALENDARS_SCOPE = 'Calendars.ReadWrite.Shared';

/** The Graph scopes a connection's tokens are asked for: the base set, plus the shared-calendar scope once consented. */
export function connectionGraphScopes(connection: { grantedScopes?: string[] } | undefined): string[] {
  const shared = connection?.grantedScopes?.some((s) => s.toLowerCase() === SHARED_CALENDARS_SCOPE.toLowerCase());
  return shared ? [...GRAPH_SCOPES, SHARED_CALENDARS_SCOPE] : [...GRAPH_SCOPES];
}

/** The scopes of the authorize request, offline_access named explicitly (refresh tokens depend on it). */
export const CONNECT_SCOPES = ['offline_access', ...GRAPH_SCOPES];
