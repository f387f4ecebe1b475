// Webhook URLs cannot reach inside: every spelling of the metadata address, Azure's platform address, and
// the private, shared, loopback, link-local, unique-local and unspecified ranges are refused; ports other
// than 443 only when the operator allowed that one; and at delivery, a name that resolves inside is refused
// in the socket's own lookup (a real HTTP server on loopback must see no request).
import { lookup } from 'node:dns/promises';
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { forbiddenAddress, guardedLookup, webhookTargetProblem } from '../../shared/webhooks/address-guard.js';
import { postWebhook, webhookUrlProblem } from '../../shared/webhooks/post-webhook.js';

describe('forbiddenAddress', () => {
  const forbidden: [string, string][] = [
    ['169.254.169.254', 'linkLocal'],
    ['2852039166', 'linkLocal'], // decimal
    ['0251.0376.0251.0376', 'linkLocal'], // octal
    ['0xA9FEA9FE', 'linkLocal'], // hex
    ['0xa9.0xfe.0xa9.0xfe', 'linkLocal'],
    ['169.254.43518', 'linkLocal'], // two-part
    ['::ffff:169.254.169.254', 'linkLocal'], // IPv4-mapped IPv6
    ['::ffff:a9fe:a9fe', 'linkLocal'],
    ['[::ffff:a9fe:a9fe]', 'linkLocal'],
    ['168.63.129.16', 'azurePlatform'],
    ['::ffff:168.63.129.16', 'azurePlatform'],
    ['127.0.0.1', 'loopback'],
    ['127.1.2.3', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['fd00::1', 'uniqueLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['0.0.0.0', 'unspecified'],
    ['0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['64:ff9b::a9fe:a9fe', 'rfc6052'], // NAT64 of the metadata address
    ['not-an-address', 'invalid'],
  ];
  for (const [address, why] of forbidden) it(`refuses ${address} (${why})`, () => expect(forbiddenAddress(address)).toBe(why));

  for (const address of ['20.50.2.1', '8.8.8.8', '2603:1030::1', '::ffff:20.50.2.1']) it(`allows the public ${address}`, () => expect(forbiddenAddress(address)).toBeUndefined());
});

describe('webhookTargetProblem (registration in Azure)', () => {
  const problem = (url: string, port?: number) => webhookTargetProblem(new URL(url), port);
  it('refuses every spelling of the metadata address as the URL writes it', () => {
    for (const host of ['169.254.169.254', '2852039166', '0251.0376.0251.0376', '0xA9FEA9FE', '[::ffff:169.254.169.254]', '[::ffff:a9fe:a9fe]']) {
      expect(problem(`https://${host}/hook`), host).toMatch(/address is not allowed \(linkLocal\)/);
    }
  });
  it('refuses loopback names and inside addresses', () => {
    expect(problem('https://localhost/hook')).toMatch(/loopback/);
    expect(problem('https://app.localhost/hook')).toMatch(/loopback/);
    expect(problem('https://168.63.129.16/hook')).toMatch(/azurePlatform/);
    expect(problem('https://[fd12::1]/hook')).toMatch(/uniqueLocal/);
    expect(problem('https://100.64.1.1/hook')).toMatch(/carrierGradeNat/);
    expect(problem('https://0.0.0.0/hook')).toMatch(/unspecified/);
  });
  it('allows 443 only, unless the operator allowed one more port for the client', () => {
    expect(problem('https://hooks.example.com/x')).toBeUndefined();
    expect(problem('https://hooks.example.com:443/x')).toBeUndefined();
    expect(problem('https://hooks.example.com:8443/x')).toMatch(/port 443/);
    expect(problem('https://hooks.example.com:8443/x', 8443)).toBeUndefined();
    expect(problem('https://hooks.example.com:9443/x', 8443)).toMatch(/port 443 or 8443/);
  });
  it('applies in Azure only: locally the console\'s loopback receiver keeps working', () => {
    expect(webhookUrlProblem('http://127.0.0.1:7071/api/console/webhook', false)).toBeUndefined();
    expect(webhookUrlProblem('https://127.0.0.1/api/console/webhook', true)).toMatch(/loopback/);
  });
});

describe('delivery after DNS resolution', () => {
  it('refuses a name that resolves inside, in the lookup the socket uses', async () => {
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => guardedLookup('localhost', {}, (e) => resolve(e)));
    expect(error?.code).toBe('EADDRNOTALLOWED');
  });

  it('sends nothing to a loopback server reached through a host name, in Azure mode', async () => {
    // The machine's own name resolves to a loopback or private address (the precondition of this test).
    const name = hostname();
    const resolved = await lookup(name, { all: true });
    expect(resolved.every((a) => forbiddenAddress(a.address) !== undefined), `${name} -> ${JSON.stringify(resolved)}`).toBe(true);
    let received = 0;
    const server = createServer((req, res) => {
      received += 1;
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      // Allowed port and a name, so only the resolved address can stop it (https: the TLS handshake would
      // never start, the connection itself is refused).
      const guarded = await postWebhook(`https://${name}:${port}/hook`, '{}', {}, { httpsOnly: true, allowedPort: port, timeoutMs: 3000 });
      expect(guarded).toEqual({ ok: false, error: 'the request failed (EADDRNOTALLOWED)' });
      // The control: locally (no guard) the same server is reached.
      const local = await postWebhook(`http://${name}:${port}/hook`, '{}', {}, { httpsOnly: false, timeoutMs: 3000 });
      expect(local).toEqual({ ok: true, status: 204 });
      expect(received).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('registration', () => {
  it('in Azure refuses an inside webhook URL with 400 webhook_url_not_allowed naming webhookUrl, before storing anything', async () => {
    const { createClient } = await import('../../shared/clients/manage-clients.js');
    // Only the configuration is reached: a refusal happens before the store or the secret store is touched.
    const services = { config: { inAzure: true } } as unknown as Parameters<typeof createClient>[1];
    for (const webhookUrl of ['https://169.254.169.254/latest', 'https://2852039166/', 'https://[::ffff:169.254.169.254]/', 'https://hooks.example.com:8080/x']) {
      await expect(createClient({ name: 'x', allowedReturnOrigins: ['https://a.example'], webhookUrl }, services)).rejects.toMatchObject({
        status: 400,
        code: 'webhook_url_not_allowed',
        options: { field: 'webhookUrl' },
      });
    }
  });
});
