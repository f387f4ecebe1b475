// The README's "Receiving webhooks" snippet, run exactly as printed (extracted from README.md) as a real
// receiver process, against a real delivery from the local host; and the same snippet refusing forgeries.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../dev/host/ports.js';
import { emitWebhookEvent } from '../../shared/webhooks/emit.js';
import { WEBHOOK_EVENTS } from '../../shared/webhooks/event-catalogue.js';
import { newSigningSecret, signatureHeaders } from '../../shared/webhooks/signature.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { createTestClient, type TestClient } from '../support/connect-user.js';
import { untilPasses } from '../support/wait-for.js';

function readmeReceiverSnippet(): string {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Receiving webhooks'));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README.md has no js block under "Receiving webhooks"');
  return match[1]!;
}

let app: AppHost;
let client: TestClient;
let receiverUrl: string;
let child: ChildProcess;
let output = '';
// Inside the repository, so the snippet's `import 'standardwebhooks'` resolves as in a receiver's project.
mkdirSync('test-results', { recursive: true });
const dir = mkdtempSync(join('test-results', 'readme-receiver-'));

beforeAll(async () => {
  app = await startAppHost();
  const port = await freePort();
  receiverUrl = `http://127.0.0.1:${port}`;
  client = await createTestClient(app, { webhookUrl: `${receiverUrl}/webhooks/calendar` });
  const file = join(dir, 'receiver.mjs');
  writeFileSync(file, readmeReceiverSnippet());
  child = spawn(process.execPath, [file], { env: { ...process.env, PORT: String(port), WEBHOOK_SIGNING_SECRET: client.signingSecret }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await untilPasses(async () => expect((await fetch(receiverUrl, { method: 'POST', body: '{}' })).status).toBe(401), { message: 'the README receiver to answer 401', timeout: 15_000, interval: 100 });
});
afterAll(async () => {
  child?.kill();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the README receiver snippet', () => {
  it('is about 15 lines of Node', () => {
    const lines = readmeReceiverSnippet().trim().split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeLessThanOrEqual(22);
  });

  it('verifies a real delivery', async () => {
    const event = await emitWebhookEvent(app.services.config.storage, client.client.clientId, 'booking.deleted_in_calendar', WEBHOOK_EVENTS['booking.deleted_in_calendar'].example);
    await untilPasses(() => expect(output).toContain(`verified booking.deleted_in_calendar ${event.id}`), { message: 'the README receiver to verify the webhook', timeout: 20_000, interval: 50 });
  });

  it('refuses a wrong signature, a stale timestamp and a missing signature', async () => {
    const body = JSON.stringify({ id: 'evt_forged', type: 'busy.changed', occurredAt: new Date().toISOString(), data: {} });
    const post = (headers: Record<string, string>) => fetch(`${receiverUrl}/webhooks/calendar`, { method: 'POST', headers, body });
    expect((await post(signatureHeaders([newSigningSecret()], 'evt_forged', body))).status).toBe(401);
    expect((await post(signatureHeaders([client.signingSecret], 'evt_forged', body, Date.now() - 3600_000))).status).toBe(401);
    expect((await post({ 'Content-Type': 'application/json' })).status).toBe(401);
    expect((await post(signatureHeaders([newSigningSecret(), client.signingSecret], 'evt_forged', body))).status).toBe(204); // any one signature
    expect(output.match(/verified busy\.changed evt_forged/g)).toHaveLength(1); // only the properly signed one
  });
});
