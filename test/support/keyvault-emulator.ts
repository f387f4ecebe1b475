// A small HTTPS Azure Key Vault (secrets only) for tests, answering what the real @azure/keyvault-secrets
// client sends and expects: a 401 bearer challenge on the first request of each client,
// PUT /secrets/{name}, GET /secrets/{name}/ (latest; note the trailing slash), GET /secrets/{name}/{version},
// GET /secrets/{name}/versions, GET /secrets, SecretBundle bodies, and 404 SecretNotFound.
// Its certificate is self-signed and made at start; tests trust it through the client's tlsOptions.ca.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RecordedRequest {
  method: string;
  path: string;
  authorized: boolean;
}

export interface KeyVaultEmulator {
  /** https://127.0.0.1:<port> */
  url: string;
  /** PEM of the self-signed certificate, to trust in clients. */
  ca: string;
  requests: RecordedRequest[];
  /** Number of authorized reads of a secret's value (GET of latest or of a version). */
  secretReads(name: string): number;
  close(): Promise<void>;
}

interface Version {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  created: number;
}

async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'kv-emulator-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startKeyVaultEmulator(): Promise<KeyVaultEmulator> {
  const { key, cert } = await selfSignedCertificate();
  const secrets = new Map<string, Version[]>();
  const requests: RecordedRequest[] = [];
  let base = '';

  const attributes = (v: Version) => ({
    enabled: true,
    created: v.created,
    updated: v.created,
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: 90,
  });
  const bundle = (name: string, v: Version) => ({
    value: v.value,
    id: `${base}/secrets/${name}/${v.version}`,
    ...(v.contentType ? { contentType: v.contentType } : {}),
    ...(v.tags ? { tags: v.tags } : {}),
    attributes: attributes(v),
  });
  const notFound = (res: ServerResponse, name: string) =>
    send(res, 404, { error: { code: 'SecretNotFound', message: `A secret with (name/id) ${name} was not found in this key vault.` } });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const authorized = /^Bearer \S+/.test(req.headers.authorization ?? '');
    requests.push({ method: req.method ?? '', path: url.pathname, authorized });
    const body = await readBody(req);
    if (!authorized) {
      // The SDK's first request carries no token and no body; it retries with both after this challenge.
      send(res, 401, { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer token.' } }, {
        'www-authenticate': 'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001", resource="https://vault.azure.net"',
      });
      return;
    }
    if (!url.searchParams.get('api-version')) return send(res, 400, { error: { code: 'BadParameter', message: 'api-version missing' } });

    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'secrets') return send(res, 404, { error: { code: 'NotFound', message: 'unknown path' } });
    const [, name, sub] = parts;

    if (!name) {
      if (req.method !== 'GET') return send(res, 405, { error: { code: 'MethodNotAllowed', message: 'method not allowed' } });
      const value = [...secrets.entries()].map(([n, versions]) => ({ id: `${base}/secrets/${n}`, attributes: attributes(versions.at(-1)!) }));
      return send(res, 200, { value, nextLink: null });
    }
    if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) return send(res, 400, { error: { code: 'BadParameter', message: 'invalid secret name' } });

    if (req.method === 'PUT' && !sub) {
      let parsed: { value?: unknown; contentType?: string; tags?: Record<string, string> };
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        return send(res, 400, { error: { code: 'BadParameter', message: 'invalid JSON' } });
      }
      if (typeof parsed.value !== 'string') return send(res, 400, { error: { code: 'BadParameter', message: 'value is required' } });
      const version: Version = {
        version: randomBytes(16).toString('hex'),
        value: parsed.value,
        contentType: parsed.contentType,
        tags: parsed.tags,
        created: Math.floor(Date.now() / 1000),
      };
      secrets.set(name, [...(secrets.get(name) ?? []), version]);
      return send(res, 200, bundle(name, version));
    }
    if (req.method !== 'GET') return send(res, 405, { error: { code: 'MethodNotAllowed', message: 'method not allowed' } });

    const versions = secrets.get(name);
    if (sub === 'versions') {
      if (!versions) return notFound(res, name);
      const value = versions.map((v) => ({ id: `${base}/secrets/${name}/${v.version}`, attributes: attributes(v) }));
      return send(res, 200, { value, nextLink: null });
    }
    const found = sub ? versions?.find((v) => v.version === sub) : versions?.at(-1);
    if (!found) return notFound(res, name);
    return send(res, 200, bundle(name, found));
  }

  const server: Server = createServer({ key, cert }, (req, res) => {
    handle(req, res).catch(() => send(res, 500, { error: { code: 'InternalError', message: 'emulator error' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('emulator has no port');
  base = `https://127.0.0.1:${address.port}`;

  return {
    url: base,
    ca: cert,
    requests,
    secretReads: (name) =>
      requests.filter((r) => r.authorized && r.method === 'GET' && new RegExp(`^/secrets/${name}/(?!versions)`).test(r.path)).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
