// The whole app under AZURE_CLOUD=usgov: connect, book and read busy time, with every request the app
// sends to Microsoft watched at the injected transports (the simulator answers for that cloud's hosts, no
// network). Only the US Government cloud's hosts are addressed, never the public cloud's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { INetworkModule } from '@azure/msal-node';
import { CLOUD_ENDPOINTS } from '../../shared/cloud.js';
import type { Transports } from '../../shared/transports.js';
import { api } from '../bookings/support.js';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createTestClient, nextHop, CookieJar, TEST_RETURN_ORIGIN } from '../support/connect-user.js';
import { useOwnTables } from '../support/own-tables.js';

const usgov = CLOUD_ENDPOINTS.usgov;
/** Every URL the app sent to Microsoft (Graph fetches and MSAL's requests), and the authorities MSAL was given. */
const addressed: string[] = [];

function watched(transports: Transports): Transports {
  const fetchWatched: typeof fetch = (input, init) => {
    addressed.push(typeof input === 'string' || input instanceof URL ? String(input) : input.url);
    return transports.fetch(input, init);
  };
  const network = transports.msalNetworkClient!;
  const networkWatched: INetworkModule = {
    sendGetRequestAsync: (url, options, timeout) => (addressed.push(url), network.sendGetRequestAsync(url, options, timeout)),
    sendPostRequestAsync: (url, options) => (addressed.push(url), network.sendPostRequestAsync(url, options)),
  };
  return {
    ...transports,
    fetch: fetchWatched,
    msalNetworkClient: networkWatched,
    msalAuthority: (tenant) => {
      const authority = transports.msalAuthority(tenant);
      addressed.push(authority.authority!);
      return authority;
    },
  };
}

useOwnTables('cloud');
let app: AppHost;

beforeAll(async () => {
  process.env.AZURE_CLOUD = 'usgov';
  app = await startAppHost({ wrapTransports: watched });
});
afterAll(async () => {
  await app?.close();
  delete process.env.AZURE_CLOUD;
});

const hosts = () => new Set(addressed.map((u) => new URL(u).host));

describe('the app in the US Government cloud', () => {
  it('signs in at login.microsoftonline.us and calls graph.microsoft.us, never the public cloud', async () => {
    expect(app.services.config.cloud.name).toBe('usgov');
    const user = await connectUser(app);
    const booked = await api(app, user.apiKey, 'POST', 'bookings', {
      bookingId: 'gov-1',
      connectionId: user.connection.id,
      subject: 'In the US Government cloud',
      start: '2031-02-03T10:00:00',
      end: '2031-02-03T11:00:00',
      timeZone: 'UTC',
    });
    expect(booked.status).toBe(201);
    const busy = await api(app, user.apiKey, 'GET', `connections/${user.connection.id}/busy?start=2031-02-03T00:00:00Z&end=2031-02-04T00:00:00Z`);
    expect(busy.status).toBe(200);

    const seen = hosts();
    expect(seen).toContain(new URL(usgov.authorityHost).host);
    expect(seen).toContain(new URL(usgov.graph).host);
    for (const publicHost of ['graph.microsoft.com', 'login.microsoftonline.com', 'login.simulator.test']) expect(seen).not.toContain(publicHost);
    expect([...seen].sort()).toEqual([new URL(usgov.authorityHost).host, new URL(usgov.graph).host].sort());
    // The token came from the cloud's token endpoint.
    expect(addressed.some((u) => u.startsWith(`${usgov.authorityHost}/`) && u.includes('/oauth2/v2.0/token'))).toBe(true);
  });

  it("asks consent for SMTP, IMAP and POP on the cloud's Outlook resource", async () => {
    const tc = await createTestClient(app);
    const mail = await fetch(`${app.url}/api/manage/clients/${tc.client.clientId}/mail`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${app.adminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ mailEnabled: true, legacyProtocols: true }),
    });
    expect(mail.status).toBe(200);
    const link = await api(app, tc.apiKey, 'POST', 'connect-links', { externalUserId: 'gov-mail', returnUrl: `${TEST_RETURN_ORIGIN}/back` });
    expect(link.status).toBe(201);
    const authorize = new URL((await nextHop(link.body.url, {}, new CookieJar())).location!);
    const scopes = authorize.searchParams.get('scope')!.split(' ');
    for (const permission of ['SMTP.Send', 'IMAP.AccessAsUser.All', 'POP.AccessAsUser.All']) expect(scopes).toContain(`${usgov.outlookResource}/${permission}`);
    expect(scopes.some((s) => s.startsWith('https://outlook.office.com/'))).toBe(false);
  });
});
