// No secret or token in any log line of a full end-to-end run. `npm start`'s own entry point (dev/start.ts:
// the local host serving every function, and the Microsoft 365 simulator) runs in a child process at debug
// level, with every byte of its stdout and stderr captured. The run connects a calendar, books, reads busy
// time, changes the calendar "in Outlook" (notification -> delta sync -> signed webhook), reschedules and
// cancels; then every credential it used is read back from the stores and the simulator and searched for.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminKeyOf, spawnApp, type AppProcess } from '../support/app-process.js';
import { createSimUser, type AppEndpoint, createTestClient, nextHop, TEST_RETURN_ORIGIN } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';
import { api, bookingBody, sim } from '../bookings/support.js';
import { startWebhookReceiver, type WebhookReceiver } from '../sync/support.js';
import { waitFor } from '../support/wait-for.js';
import { resetConfig } from '../../shared/config.js';
import { getServices, resetServices } from '../../shared/services.js';
import { entraClientCredential } from '../../shared/auth/entra-credentials.js';
import { tokenCacheBinding } from '../../shared/auth/token-cache-plugin.js';

const tablePrefix = `log${randomBytes(4).toString('hex')}`;
const queuePrefix = `log${randomBytes(4).toString('hex')}-`;
const dataDir = mkdtempSync(join(tmpdir(), 'cb-logs-'));
const secretsPath = join(dataDir, 'secrets.json');

let child: AppProcess;
/** Every byte the app printed, stdout and stderr. */
const output = () => child.output();
let app: AppEndpoint;
let receiver: WebhookReceiver;
/** Every credential the run used, by what it is. */
const used = new Map<string, string>();

function remember(what: string, value: string | undefined | null): void {
  // Short values (a 6-character code) would match by chance; every credential here is much longer.
  if (value && value.length >= 16 && !used.has(value)) used.set(value, what);
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    SIM_PORT: '0',
    AzureWebJobsStorage: inject('azuriteConnectionString'),
    LOCAL_SECRETS_PATH: secretsPath,
    LOCAL_DATA_DIR: dataDir,
    TABLE_NAME_PREFIX: tablePrefix,
    QUEUE_NAME_PREFIX: queuePrefix,
    LOG_LEVEL: 'debug',
  };
  delete env.M365_SIMULATOR_URL; // the child starts its own simulator, so its output is captured too
  delete env.PUBLIC_BASE_URL;
  child = spawnApp(env);
  const [appUrl, simulatorUrl] = await waitFor(async () => {
      if (child.exited()) throw new Error(`the app exited:\n${output()}`);
      const a = /app\s+(http:\/\/\S+?)\/api\//.exec(output())?.[1];
      const s = /simulator\s+(http:\/\/\S+)/.exec(output())?.[1];
      return a && s ? [a, s] : undefined;
    },
    { message: 'the app to start', timeout: 60_000 },
  );
  app = { url: appUrl!, simulatorUrl: simulatorUrl!, adminKey: await adminKeyOf(appUrl!, secretsPath) };
}, 90_000);

afterAll(async () => {
  await child?.stop();
  await receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('no secret or token in any log line', () => {
  it('a connect + booking + busy + notification + webhook run logs none of the credentials it used', async () => {
    // Connect, keeping every hop (the authorization code and state pass through the browser).
    const client = await createTestClient(app, { webhookUrl: receiver.url });
    remember('API key', client.apiKey);
    remember('signing secret', client.signingSecret);
    const upn = (await createSimUser(app.simulatorUrl)).userPrincipalName;
    await simControl(app.simulatorUrl, 'PUT', '/identity/auto-consent', { enabled: true });
    const link = await api(app, client.apiKey, 'POST', 'connect-links', { externalUserId: 'log-user', returnUrl: `${TEST_RETURN_ORIGIN}/back`, loginHint: upn });
    expect(link.status).toBe(201);
    let url = link.body.url as string;
    while (!url.startsWith(TEST_RETURN_ORIGIN)) {
      const hop = await nextHop(url);
      const parsed = new URL(hop.location!);
      remember('authorization code', parsed.searchParams.get('code'));
      remember('OAuth state', parsed.searchParams.get('state'));
      remember('PKCE challenge', parsed.searchParams.get('code_challenge'));
      url = hop.location!;
    }
    const connectionId = new URL(url).searchParams.get('connectionId')!;
    expect(connectionId).toBeTruthy();
    const user = { userPrincipalName: upn, connection: { id: connectionId } };

    // Book, read busy time, change the calendar in Outlook and wait for the signed webhook.
    const booking = await api(app, client.apiKey, 'POST', 'bookings', bookingBody(user as never));
    expect(booking.status).toBe(201);
    expect((await api(app, client.apiKey, 'GET', `connections/${connectionId}/busy?start=2030-05-06T00:00:00Z&end=2030-05-07T00:00:00Z`)).status).toBe(200);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    // Push sync's first full sync fills the cache silently: change Outlook after it.
    await waitFor(async () => /"kind":"synced","mode":"full"/.test(output()), { message: 'the first full sync', timeout: 30_000 });
    await sim(app, 'POST', `/users/${encodeURIComponent(upn)}/events`, {
      subject: 'Dentist',
      // Inside the busy cache's window (it looks weeks ahead, not years).
      start: { dateTime: `${tomorrow}T13:00:00`, timeZone: 'UTC' },
      end: { dateTime: `${tomorrow}T14:00:00`, timeZone: 'UTC' },
    });
    await waitFor(async () => receiver.events.some((e) => e.type === 'busy.changed'), { message: 'the busy.changed webhook', timeout: 30_000 }).catch((e: Error) => {
      throw new Error(`${e.message}; webhooks: ${JSON.stringify(receiver.events.map((x) => x.type))}; output:\n${output().slice(-4000)}`);
    });
    expect((await api(app, client.apiKey, 'PATCH', `bookings/${booking.body.bookingId}`, { subject: 'Moved' })).status).toBe(200);
    expect((await api(app, client.apiKey, 'DELETE', `bookings/${booking.body.bookingId}`)).status).toBe(200);
    // A wrong key and a refused notification are logged paths too.
    expect((await api(app, `${client.apiKey}x`, 'GET', `connections/${connectionId}`)).status).toBe(401);

    // Everything the run used, from the simulator and the stores.
    const subs = (await sim(app, 'GET', '/subscriptions')).value as { clientState: string; resource: string }[];
    for (const s of subs) remember('clientState', s.clientState);
    const secretsFile = JSON.parse(readFileSync(secretsPath, 'utf8')) as { secrets: Record<string, { value: string }[]> };
    for (const [name, versions] of Object.entries(secretsFile.secrets)) for (const v of versions) remember(`secret ${name}`, v.value);

    process.env.LOCAL_SECRETS_PATH = secretsPath;
    process.env.TABLE_NAME_PREFIX = tablePrefix;
    resetConfig();
    resetServices();
    try {
      const services = getServices();
      const credential = await entraClientCredential(services);
      if ('clientSecret' in credential) remember('Entra client secret', credential.clientSecret);
      const connection = await services.store.connections.getConnection(client.client.clientId, connectionId);
      const cache = JSON.parse(await services.envelope.decryptString(connection!.entity.tokenCache!, tokenCacheBinding(client.client.clientId, connectionId))) as Record<string, Record<string, { secret?: string }>>;
      for (const kind of ['AccessToken', 'RefreshToken', 'IdToken']) {
        const secrets = Object.values(cache[kind] ?? {}).map((t) => t.secret);
        expect(secrets.length, kind).toBeGreaterThan(0);
        for (const s of secrets) remember(kind, s);
      }
      remember('encrypted token cache', connection!.entity.tokenCache);
    } finally {
      delete process.env.TABLE_NAME_PREFIX;
      process.env.LOCAL_SECRETS_PATH = ':memory:';
      resetConfig();
      resetServices();
    }

    const kinds = new Set(used.values());
    for (const kind of ['API key', 'signing secret', 'authorization code', 'OAuth state', 'clientState', 'secret admin-api-key', 'Entra client secret', 'AccessToken', 'RefreshToken', 'IdToken']) {
      expect(kinds, kind).toContain(kind);
    }
    // The capture is real: the run's own activity is in it.
    expect(output()).toMatch(/debug/);
    expect(output()).toContain(connectionId);
    const lines = output().split('\n');
    expect(lines.length).toBeGreaterThan(20);
    const leaks = [...used].flatMap(([value, what]) => lines.filter((line) => line.includes(value)).map((line) => `${what}: ${line.slice(0, 200)}`));
    expect(leaks).toEqual([]);
  }, 90_000);
});
