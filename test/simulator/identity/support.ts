// Test helpers: an in-process simulator with the identity platform and the default seed, the app's own
// MSAL factory pointed at it, and the browser steps of the authorize endpoint driven over real HTTP.
import { CryptoProvider, ResponseMode, type ConfidentialClientApplication } from '@azure/msal-node';
import { createMsalClient } from '../../../shared/auth/msal-client.js';
import { loadConfig, type Config } from '../../../shared/config.js';
import { controlDirectoryModule } from '../../../dev/simulator/control-directory.js';
import { identityModule } from '../../../dev/simulator/identity/index.js';
import { SIMULATED_CLIENT_ID, SIMULATED_CLIENT_SECRET } from '../../../dev/simulator/seed.js';
import { simulatorTransports } from '../../../dev/simulated-microsoft.js';
import { startSimulator, type RunningSimulator } from '../../../dev/simulator/server.js';

export const REDIRECT_URI = 'http://localhost:7071/api/auth/callback';
export const SCOPES = ['User.Read', 'Calendars.ReadWrite'];

export function startIdentitySimulator(): Promise<RunningSimulator> {
  return startSimulator({ modules: [identityModule, controlDirectoryModule] });
}

export function simConfig(tenant = 'contoso.test'): Config {
  return loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', ENTRA_CLIENT_ID: SIMULATED_CLIENT_ID, ENTRA_TENANT: tenant });
}

export function msalClient(sim: RunningSimulator, options: { tenant?: string; secret?: string } = {}): Promise<ConfidentialClientApplication> {
  return createMsalClient({ config: simConfig(options.tenant), transports: simulatorTransports(sim.url) }, { credential: { clientSecret: options.secret ?? SIMULATED_CLIENT_SECRET } });
}

export async function control(sim: RunningSimulator, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${sim.url}/_sim${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export interface AuthStart {
  url: string;
  verifier: string;
  state: string;
  nonce: string;
}

/** The app's first step: an authorize URL with PKCE (S256), state and nonce. */
export async function startAuth(msal: ConfidentialClientApplication, extra: { loginHint?: string; prompt?: string; scopes?: string[]; responseMode?: 'query' | 'form_post' } = {}): Promise<AuthStart> {
  const crypto = new CryptoProvider();
  const { verifier, challenge } = await crypto.generatePkceCodes();
  const state = crypto.createNewGuid();
  const nonce = crypto.createNewGuid();
  const url = await msal.getAuthCodeUrl({
    scopes: extra.scopes ?? SCOPES,
    redirectUri: REDIRECT_URI,
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
    state,
    nonce,
    loginHint: extra.loginHint,
    prompt: extra.prompt,
    responseMode: extra.responseMode === 'form_post' ? ResponseMode.FORM_POST : undefined,
  });
  return { url, verifier, state, nonce };
}

/** A tiny browser: follows nothing, keeps the simulator's session cookie. */
export class Browser {
  private cookie = '';
  async get(url: string): Promise<Response> {
    return this.keep(await fetch(url, { redirect: 'manual', headers: this.cookie ? { Cookie: this.cookie } : {} }));
  }
  async post(url: string, fields: Record<string, string>): Promise<Response> {
    return this.keep(
      await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(this.cookie ? { Cookie: this.cookie } : {}) },
        body: new URLSearchParams(fields).toString(),
      }),
    );
  }
  private keep(response: Response): Response {
    const set = response.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0]!;
    return response;
  }
}

/** The form on a page: its action (absolute) and hidden fields. */
export function formOf(html: string, base: string): { action: string; fields: Record<string, string> } {
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`no form on the page: ${html.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = unescape(m[2]!);
  return { action: new URL(unescape(action), base).toString(), fields };
}

function unescape(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Signs in as `userId` on the sign-in page, then answers the consent page with `decision`. */
export async function signInWithForms(browser: Browser, authorizeUrl: string, userId: string, decision: 'accept' | 'cancel' = 'accept'): Promise<Response> {
  const page = await browser.get(authorizeUrl);
  if (page.status !== 200) throw new Error(`sign-in page answered ${page.status}`);
  const signIn = formOf(await page.text(), authorizeUrl);
  const afterSignIn = await browser.post(signIn.action, { ...signIn.fields, user: userId });
  if (afterSignIn.status !== 200) return afterSignIn;
  const consent = formOf(await afterSignIn.text(), authorizeUrl);
  return browser.post(consent.action, { ...consent.fields, decision });
}

/** The query of the redirect back to the app. */
export function redirectParams(response: Response): URLSearchParams {
  const location = response.headers.get('location');
  if (response.status !== 302 || !location) throw new Error(`expected a redirect, got ${response.status}`);
  if (!location.startsWith(REDIRECT_URI)) throw new Error(`redirected elsewhere: ${location}`);
  return new URL(location).searchParams;
}

/** Auto-consent sign-in (control switch + login_hint), returning the code and what the app kept. */
export async function autoSignIn(sim: RunningSimulator, msal: ConfidentialClientApplication, upn: string, scopes?: string[]): Promise<AuthStart & { code: string }> {
  await control(sim, 'PUT', '/identity/auto-consent', { enabled: true });
  const start = await startAuth(msal, { loginHint: upn, scopes });
  const params = redirectParams(await fetch(start.url, { redirect: 'manual' }));
  const code = params.get('code');
  if (!code) throw new Error(`no code: ${params.toString()}`);
  return { ...start, code };
}

/** Signs in and redeems the code with MSAL; returns the MSAL result. */
export async function connect(sim: RunningSimulator, msal: ConfidentialClientApplication, upn: string) {
  const signIn = await autoSignIn(sim, msal, upn);
  return msal.acquireTokenByCode({ code: signIn.code, scopes: SCOPES, redirectUri: REDIRECT_URI, codeVerifier: signIn.verifier, nonce: signIn.nonce, state: signIn.state }, { code: signIn.code, state: signIn.state, nonce: signIn.nonce });
}

/** The refresh tokens in an MSAL cache (MSAL does not expose them otherwise). */
export function refreshTokensIn(msal: ConfidentialClientApplication): string[] {
  const cache = JSON.parse(msal.getTokenCache().serialize()) as { RefreshToken: Record<string, { secret: string }> };
  return Object.values(cache.RefreshToken).map((t) => t.secret);
}
