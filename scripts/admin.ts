// The operator's CLI for booking-system clients, talking to the admin API (/api/manage/...) of a running
// Calendar Bridge. Prints JSON on stdout; on failure prints the problem JSON on stderr and exits 1.
//
//   npm run admin -- clients create --name "Acme Booking" --origin https://book.acme.example [--origin ...] [--webhook-url URL]
//   npm run admin -- clients list
//   npm run admin -- clients rotate-key <clientId> [--revoke-previous]
//   npm run admin -- clients disable <clientId>
//   npm run admin -- clients disconnect-all <clientId>   (queued; events already written stay in Outlook)
//   npm run admin -- clients rotate-signing-secret <clientId> [--revoke-previous]
//   npm run admin -- clients mail <clientId> --enable|--disable [--legacy-protocols]
//   npm run admin -- dead-letters list [--client <clientId>] [--page-size N] [--continuation TOKEN]
//   npm run admin -- dead-letters replay <clientId> [<eventId>]     (no event id: all of the client's)
//   npm run admin -- system status|pause|resume [--reason TEXT] [--retry-after SECONDS]
//
// CALENDAR_BRIDGE_URL (default http://localhost:7071). The credential, first found wins:
//   CALENDAR_BRIDGE_ADMIN_TOKEN  an Entra access token for the app's own registration, carrying the app role
//                                CalendarBridge.Admin (az account get-access-token --resource api://<app id>)
//   CALENDAR_BRIDGE_ADMIN_KEY    the shared admin key
//   locally, the admin key in the local secret store that `npm start` uses: LOCAL_SECRETS_PATH, else
//   $LOCAL_DATA_DIR/secrets.json (LOCAL_DATA_DIR defaults to .data). The CLI only reads that store: it
//   never creates a key there (a key the app does not know would only earn 401s).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalSecretStore } from '../shared/secrets/local-secret-store.js';
import { SecretNotFoundError } from '../shared/secrets/secret-store.js';

const USAGE = `usage: npm run admin -- clients <create|list|rotate-key|disable|disconnect-all> [options]
  clients create --name NAME --origin ORIGIN [--origin ORIGIN...] [--webhook-url URL] [--webhook-port PORT]
  clients list
  clients rotate-key CLIENT_ID [--revoke-previous]
  clients disable CLIENT_ID
  clients disconnect-all CLIENT_ID
  clients rotate-signing-secret CLIENT_ID [--revoke-previous]
  clients mail CLIENT_ID --enable|--disable [--legacy-protocols]
  dead-letters list [--client CLIENT_ID] [--page-size N] [--continuation TOKEN]
  dead-letters replay CLIENT_ID [EVENT_ID]
  system status|pause|resume [--reason TEXT] [--retry-after SECONDS]`;

class UsageError extends Error {}
/** No credential to send: explained on stderr, exit 1. */
class CredentialError extends Error {}

/** The bearer credential sent to the admin API: an Entra token, the admin key, or the local store's key. */
async function adminCredential(env = process.env): Promise<string> {
  if (env.CALENDAR_BRIDGE_ADMIN_TOKEN) return env.CALENDAR_BRIDGE_ADMIN_TOKEN.trim();
  if (env.CALENDAR_BRIDGE_ADMIN_KEY) return env.CALENDAR_BRIDGE_ADMIN_KEY;
  const path = env.LOCAL_SECRETS_PATH || join(env.LOCAL_DATA_DIR || '.data', 'secrets.json');
  const name = env.ADMIN_KEY_SECRET_NAME || 'admin-api-key';
  const missing = new CredentialError(
    `No admin key in ${path}: start the app once (npm start, with the same LOCAL_DATA_DIR) so it creates one, ` +
      'or set CALENDAR_BRIDGE_ADMIN_KEY or CALENDAR_BRIDGE_ADMIN_TOKEN',
  );
  if (path === ':memory:' || !existsSync(path)) throw missing;
  try {
    return (await new LocalSecretStore(path).get(name)).value;
  } catch (error) {
    if (error instanceof SecretNotFoundError) throw missing;
    throw error;
  }
}

async function call(method: string, path: string, body?: unknown): Promise<unknown> {
  const base = (process.env.CALENDAR_BRIDGE_URL || 'http://localhost:7071').replace(/\/+$/, '');
  const res = await fetch(`${base}/api/manage/${path}`, {
    method,
    headers: { Authorization: `Bearer ${await adminCredential()}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { status: res.status, detail: text.slice(0, 200) };
  }
  if (!res.ok) {
    console.error(JSON.stringify(parsed, null, 2));
    process.exit(1);
  }
  return parsed;
}

async function main(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      origin: { type: 'string', multiple: true },
      'webhook-url': { type: 'string' },
      'webhook-port': { type: 'string' },
      'revoke-previous': { type: 'boolean' },
      client: { type: 'string' },
      'page-size': { type: 'string' },
      continuation: { type: 'string' },
      reason: { type: 'string' },
      'retry-after': { type: 'string' },
      enable: { type: 'boolean' },
      disable: { type: 'boolean' },
      'legacy-protocols': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [resource, command, id] = positionals;
  if (values.help) throw new UsageError(USAGE);
  if (resource === 'dead-letters') return deadLetters(command, id, positionals[3], values);
  if (resource === 'system') return system(command, values);
  if (resource !== 'clients') throw new UsageError(USAGE);
  switch (command) {
    case 'create':
      if (!values.name || !values.origin?.length) throw new UsageError('clients create needs --name and at least one --origin');
      return call('POST', 'clients', { name: values.name, allowedReturnOrigins: values.origin, webhookUrl: values['webhook-url'], webhookPort: values['webhook-port'] ? Number(values['webhook-port']) : undefined });
    case 'list':
      return call('GET', 'clients');
    case 'rotate-key':
      if (!id) throw new UsageError('clients rotate-key needs a client id');
      return call('POST', `clients/${encodeURIComponent(id)}/rotate-key`, { revokePrevious: values['revoke-previous'] ?? false });
    case 'disable':
      if (!id) throw new UsageError('clients disable needs a client id');
      return call('POST', `clients/${encodeURIComponent(id)}/disable`);
    case 'disconnect-all':
      if (!id) throw new UsageError('clients disconnect-all needs a client id');
      return call('POST', `clients/${encodeURIComponent(id)}/disconnect-all`);
    case 'rotate-signing-secret':
      if (!id) throw new UsageError('clients rotate-signing-secret needs a client id');
      return call('POST', `clients/${encodeURIComponent(id)}/rotate-signing-secret`, { revokePrevious: values['revoke-previous'] ?? false });
    case 'mail':
      if (!id || values.enable === values.disable) throw new UsageError('clients mail needs a client id and one of --enable / --disable');
      return call('PUT', `clients/${encodeURIComponent(id)}/mail`, { mailEnabled: Boolean(values.enable), legacyProtocols: values['legacy-protocols'] ?? false });
    default:
      throw new UsageError(USAGE);
  }
}

interface ExtraOptions {
  client?: string;
  'page-size'?: string;
  continuation?: string;
  reason?: string;
  'retry-after'?: string;
}

function deadLetters(command: string | undefined, clientId: string | undefined, eventId: string | undefined, values: ExtraOptions): Promise<unknown> {
  switch (command) {
    case 'list': {
      const query = new URLSearchParams();
      if (values.client) query.set('clientId', values.client);
      if (values['page-size']) query.set('pageSize', values['page-size']);
      if (values.continuation) query.set('continuationToken', values.continuation);
      return call('GET', `dead-letters${query.size ? `?${query}` : ''}`);
    }
    case 'replay':
      if (!clientId) throw new UsageError('dead-letters replay needs a client id (and optionally an event id)');
      return eventId
        ? call('POST', `dead-letters/${encodeURIComponent(clientId)}/${encodeURIComponent(eventId)}/replay`)
        : call('POST', `dead-letters/${encodeURIComponent(clientId)}/replay`);
    default:
      throw new UsageError(USAGE);
  }
}

function system(command: string | undefined, values: ExtraOptions): Promise<unknown> {
  switch (command) {
    case 'status':
      return call('GET', 'system');
    case 'pause': {
      const retryAfter = values['retry-after'];
      if (retryAfter !== undefined && !/^\d{1,5}$/.test(retryAfter)) throw new UsageError('--retry-after must be a number of seconds');
      return call('POST', 'system/pause', { reason: values.reason, retryAfterSeconds: retryAfter === undefined ? undefined : Number(retryAfter) });
    }
    case 'resume':
      return call('POST', 'system/resume');
    default:
      throw new UsageError(USAGE);
  }
}

main(process.argv.slice(2)).then(
  (result) => console.log(JSON.stringify(result, null, 2)),
  (error: unknown) => {
    console.error(JSON.stringify({ error: error instanceof UsageError || error instanceof CredentialError || error instanceof TypeError ? error.message : String(error) }));
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
