// Helpers for the mail tests: clients with mail switched on through the admin API, the connect flow
// followed through a consent link, and what the simulator recorded as sent from a mailbox.
import { expect } from 'vitest';
import type { AppHost } from '../support/app-host.js';
import { createTestClient, nextHop, TEST_RETURN_ORIGIN, type TestClient } from '../support/connect-user.js';
import { api, type Call } from '../bookings/support.js';
import type { SentMail } from '../../dev/simulator/graph/mail.js';

export async function setMail(app: AppHost, clientId: string, settings: { mailEnabled: boolean; legacyProtocols?: boolean }): Promise<Call> {
  const res = await fetch(`${app.url}/api/manage/clients/${clientId}/mail`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${app.adminKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(settings),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

export async function mailClient(app: AppHost, settings: { mailEnabled: boolean; legacyProtocols?: boolean }): Promise<TestClient> {
  const client = await createTestClient(app);
  const res = await setMail(app, client.client.clientId, settings);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return client;
}

/** Opens a connect link and follows the redirects (auto-consent) back to the booking system. */
export async function followConnectLink(url: string): Promise<URL> {
  let current = url;
  for (let hop = 0; hop < 6 && !current.startsWith(TEST_RETURN_ORIGIN); hop += 1) {
    const step = await nextHop(current);
    if (!step.location) throw new Error(`connect flow stopped at ${new URL(current).pathname}: ${step.status}`);
    current = step.location;
  }
  return new URL(current);
}

/** Everything the simulator recorded as sent from this mailbox. */
export async function sentFrom(app: AppHost, mailbox: string): Promise<SentMail[]> {
  const res = await fetch(`${app.simulatorUrl}/_sim/graph/mail?mailbox=${encodeURIComponent(mailbox)}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { value: SentMail[] }).value;
}

export function sendMail(app: AppHost, key: string, connectionId: string, body: Record<string, unknown>): Promise<Call> {
  return api(app, key, 'POST', `connections/${connectionId}/mail`, body);
}

let counter = 0;
export function newMessageId(): string {
  counter += 1;
  return `msg-${process.pid}-${Date.now().toString(36)}-${counter}`;
}
