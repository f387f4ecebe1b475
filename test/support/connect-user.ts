// Reusable for any test that needs a connected calendar: creates a booking-system client (with its API
// key) through the admin API and runs the whole connect flow against the simulator over real HTTP
// (auto-consent with a login_hint, so no pages), returning the client, its key and the connection.
import { randomBytes } from 'node:crypto';
import type { AppHost } from './app-host.js';
import type { ConnectionView } from '../../shared/connect/connection-view.js';
import type { ClientView } from '../../shared/clients/manage-clients.js';
import { simControl } from './simulator-control.js';

/** A JSON response body, read loosely: the tests' assertions say what it must hold. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const json = (res: Response): Promise<any> => res.json();

/** What connecting needs of an app: its address, the operator's key and its simulator (in-process or not). */
export type AppEndpoint = Pick<AppHost, 'url' | 'adminKey' | 'simulatorUrl'>;

export const TEST_RETURN_ORIGIN = 'https://booking.example';
export const SIM_TENANT = 'contoso.test';

export interface TestClient {
  client: ClientView;
  apiKey: string;
  signingSecret: string;
}

export async function createTestClient(app: AppEndpoint, input: { name?: string; origins?: string[]; webhookUrl?: string } = {}): Promise<TestClient> {
  const res = await fetch(`${app.url}/api/manage/clients`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${app.adminKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: input.name ?? 'Test booking system', allowedReturnOrigins: input.origins ?? [TEST_RETURN_ORIGIN], webhookUrl: input.webhookUrl }),
  });
  if (res.status !== 201) throw new Error(`creating a client failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as ClientView & { apiKey: string; signingSecret: string };
  const { apiKey, signingSecret, ...client } = body;
  return { client, apiKey, signingSecret };
}

/** A new user in the simulated tenant, so tests never share a mailbox (or its revocations). */
export async function createSimUser(simulatorUrl: string, name = `user-${randomBytes(4).toString('hex')}`): Promise<{ id: string; userPrincipalName: string }> {
  const res = await simControl(simulatorUrl, 'POST', '/users', { tenant: SIM_TENANT, userPrincipalName: `${name}@${SIM_TENANT}`, displayName: name });
  return (await res.json()) as { id: string; userPrincipalName: string };
}

/** A user connect link of the client's for `loginHint`, returning to TEST_RETURN_ORIGIN/back. */
export async function createUserLink(app: AppEndpoint, tc: TestClient, loginHint: string): Promise<{ url: string; externalUserId: string }> {
  const externalUserId = `staff-${randomBytes(3).toString('hex')}`;
  const res = await fetch(`${app.url}/api/connect-links`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${tc.apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ externalUserId, returnUrl: `${TEST_RETURN_ORIGIN}/back`, loginHint }),
  });
  if (res.status !== 201) throw new Error(`connect link: ${res.status} ${await res.text()}`);
  return { ...((await res.json()) as { url: string }), externalUserId };
}

export interface ConnectOptions {
  /** Reuse a client; a new one is created otherwise. */
  client?: TestClient;
  /** UPN of an existing simulator user; a fresh user is created otherwise. */
  userPrincipalName?: string;
  externalUserId?: string;
  returnUrl?: string;
}

export interface ConnectedUser extends TestClient {
  connection: ConnectionView;
  userPrincipalName: string;
  /** Where the flow ended: returnUrl?connectionId=...&status=connected. */
  finalUrl: URL;
}

/**
 * The cookies one browser holds, per host (name and value only: the flows under test set Path=/ cookies and
 * their expiry by Max-Age=0). Connect attempts are bound to the browser that opened the link, so every hop
 * of a flow must carry them, as a browser does.
 */
export class CookieJar {
  private readonly byHost = new Map<string, Map<string, string>>();

  header(url: string): string | undefined {
    const cookies = this.byHost.get(new URL(url).host);
    return cookies?.size ? [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') : undefined;
  }

  take(url: string, response: Response): void {
    const host = new URL(url).host;
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((p) => p.trim());
      const [name, ...rest] = pair!.split('=');
      const cookies = this.byHost.get(host) ?? new Map<string, string>();
      this.byHost.set(host, cookies);
      if (attributes.some((a) => /^max-age=0$/i.test(a))) cookies.delete(name!);
      else cookies.set(name!, rest.join('='));
    }
  }
}

/** The browser of the tests that do not say otherwise (an attacker's or a victim's browser is a new CookieJar). */
export const defaultBrowser = new CookieJar();

/** One redirect step without following it, in `browser`: the Location, resolved against the request URL. */
export async function nextHop(url: string, init: RequestInit = {}, browser: CookieJar = defaultBrowser): Promise<{ status: number; location?: string; response: Response }> {
  const headers = new Headers(init.headers);
  const cookie = browser.header(url);
  if (cookie && !headers.has('cookie')) headers.set('cookie', cookie);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  browser.take(url, response);
  const location = response.headers.get('location') ?? undefined;
  return { status: response.status, location: location ? new URL(location, url).toString() : undefined, response };
}

/**
 * Follows a connect link (or the consent link of a 409 consent_missing) hop by hop, as a browser would,
 * to the booking system's return URL; also returns the scopes each authorize request asked for.
 */
export async function followConnectLink(link: string, returnUrl?: string): Promise<{ finalUrl: URL; authorizeScopes: string[] }> {
  let url = link;
  const authorizeScopes: string[] = [];
  for (let hop = 0; hop < 6 && !url.startsWith(TEST_RETURN_ORIGIN) && !(returnUrl && url.startsWith(returnUrl)); hop += 1) {
    if (new URL(url).pathname.endsWith('/authorize')) authorizeScopes.push(new URL(url).searchParams.get('scope') ?? '');
    const step = await nextHop(url);
    if (!step.location) throw new Error(`connect flow stopped at ${new URL(url).pathname}: ${step.status} ${await step.response.text()}`);
    url = step.location;
  }
  return { finalUrl: new URL(url), authorizeScopes };
}

export async function connectUser(app: AppEndpoint, options: ConnectOptions = {}): Promise<ConnectedUser> {
  const testClient = options.client ?? (await createTestClient(app));
  const upn = options.userPrincipalName ?? (await createSimUser(app.simulatorUrl)).userPrincipalName;
  await simControl(app.simulatorUrl, 'PUT', '/identity/auto-consent', { enabled: true });
  const linkRes = await fetch(`${app.url}/api/connect-links`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${testClient.apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      externalUserId: options.externalUserId ?? `staff-${randomBytes(4).toString('hex')}`,
      returnUrl: options.returnUrl ?? `${TEST_RETURN_ORIGIN}/connected`,
      loginHint: upn,
    }),
  });
  if (linkRes.status !== 201) throw new Error(`connect link: ${linkRes.status} ${await linkRes.text()}`);
  const link = (await linkRes.json()) as { url: string };

  // connect link -> authorize (auto-consent) -> callback -> return URL
  const { finalUrl } = await followConnectLink(link.url, options.returnUrl);
  const connectionId = finalUrl.searchParams.get('connectionId');
  if (finalUrl.searchParams.get('status') !== 'connected' || !connectionId) throw new Error(`connect flow failed: ${finalUrl.search}`);
  const res = await fetch(`${app.url}/api/connections/${connectionId}`, { headers: { Authorization: `Bearer ${testClient.apiKey}` } });
  if (res.status !== 200) throw new Error(`reading the connection: ${res.status}`);
  return { ...testClient, connection: (await res.json()) as ConnectionView, userPrincipalName: upn, finalUrl };
}
