// Opening a connect link: a fresh single-use state (only its hash stored), a PKCE S256 pair (the verifier
// stored encrypted, bound to the state), a nonce, and the authorize URL built by MSAL.
import { randomBytes } from 'node:crypto';
import { createMsalClient } from '../auth/msal-client.js';
import { loadMsal } from '../auth/msal-sdk.js';
import { CONNECT_SCOPES, connectionGraphScopes, entraClientCredential, GRAPH_SCOPES } from '../auth/entra-credentials.js';
import type { ConnectLinkEntity } from '../store/repositories/connect-links.js';
import { OAUTH_STATE_ROW, OAUTH_STATE_TTL_MS, stateHash, type OAuthStateEntity } from '../store/repositories/oauth-states.js';
import type { Services } from '../services.js';
import { mailConsentScopes } from '../mail/mail-scopes.js';
import { newBrowserBinding, type BrowserBinding } from './browser-binding.js';

/** Where to send the browser, and the cookie that binds the attempt to it. */
export interface StartedFlow {
  url: string;
  binding: BrowserBinding;
}

export function callbackUrl(publicBaseUrl: string): string {
  return `${publicBaseUrl}/api/auth/callback`;
}

/** Associated data of an encrypted PKCE verifier: it only decrypts in its own state row. */
export function verifierBinding(hashOfState: string): string {
  return `oauthStates/${hashOfState}/codeVerifier`;
}

/** Stores the attempt and returns the Microsoft authorize URL to send the browser to. */
export async function startConnect(link: ConnectLinkEntity, services: Services): Promise<StartedFlow> {
  const state = randomBytes(32).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const { CryptoProvider, PromptValue } = await loadMsal();
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const key = stateHash(state);
  const binding = newBrowserBinding(services.config.publicBaseUrl, key, OAUTH_STATE_TTL_MS);
  // Clients with mail enabled also ask for mail permissions (incremental consent on a re-connect).
  const client = await services.store.clients.getClient(link.clientId);
  const mail = mailConsentScopes(client?.entity ?? {}, services.config.cloud.outlookResource);
  // Shared calendars: the link asks for their scope when it was made for that consent, and a re-connect
  // keeps asking for it once the connection holds it (so the new tokens still reach those calendars).
  const previous = link.connectionId ? (await services.store.connections.getConnection(link.clientId, link.connectionId))?.entity : undefined;
  const shared = [...(link.extraScopes ?? []), ...connectionGraphScopes(previous).filter((s) => !(GRAPH_SCOPES as readonly string[]).includes(s))];
  const extra = { graph: [...new Set([...mail.graph, ...shared])], outlook: mail.outlook };
  const entity: OAuthStateEntity = {
    partitionKey: key,
    rowKey: OAUTH_STATE_ROW,
    clientId: link.clientId,
    connectLinkId: link.partitionKey,
    connectionId: link.connectionId,
    externalUserId: link.externalUserId,
    returnUrl: link.returnUrl,
    pickCalendars: link.pickCalendars,
    calendarChoice: link.calendarChoice,
    scopes: [...CONNECT_SCOPES.filter((s) => s !== 'offline_access'), ...extra.graph, ...extra.outlook],
    codeVerifier: await services.envelope.encrypt(verifier, verifierBinding(key)),
    nonce,
    bindingHash: binding.hash,
    loginHint: link.loginHint,
    allowOtherAccount: link.allowOtherAccount,
    expiresAt: new Date(Date.now() + OAUTH_STATE_TTL_MS),
  };
  await services.store.oauthStates.create(entity);
  const msal = await createMsalClient(services, { credential: await entraClientCredential(services) });
  const url = await msal.getAuthCodeUrl({
    scopes: [...CONNECT_SCOPES, ...extra.graph],
    extraScopesToConsent: extra.outlook.length ? extra.outlook : undefined,
    redirectUri: callbackUrl(services.config.publicBaseUrl),
    responseMode: 'query',
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
    state,
    nonce,
    // MSAL drops account hints under prompt=select_account (Entra refuses the pair), so the account picker
    // is asked for only when there is no hint; with one, the hinted account is proposed directly.
    prompt: link.loginHint ? undefined : PromptValue.SELECT_ACCOUNT,
    loginHint: link.loginHint,
  });
  return { url, binding };
}
