// POP3 with XOAUTH2 end to end: POST /api/connections/{id}/xoauth2 with protocol "pop" redeems an Outlook
// token carrying POP.AccessAsUser.All through real MSAL, and a real POP3 client (node-pop3) signs in with
// the SASL string to a POP3 server that checks the token as Exchange Online does, then reads the mailbox.
import { decodeJwt } from 'jose';
import Pop3Command from 'node-pop3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, SIM_TENANT, type ConnectedUser } from '../support/connect-user.js';
import { api } from '../bookings/support.js';
import { mailClient } from './support.js';
import { startXoauth2Pop3Server, type Xoauth2Pop3Server } from './pop3-xoauth2-server.js';

let app: AppHost;
let user: ConnectedUser;
let pop: Xoauth2Pop3Server;

beforeAll(async () => {
  app = await startAppHost();
  user = await connectUser(app, { client: await mailClient(app, { mailEnabled: true, legacyProtocols: true }) });
  pop = await startXoauth2Pop3Server({ simulatorUrl: app.simulatorUrl, tenant: SIM_TENANT });
});
afterAll(async () => {
  await pop?.close();
  await app?.close();
});

const xoauth2 = (body: Record<string, unknown>) => api(app, user.apiKey, 'POST', `connections/${user.connection.id}/xoauth2`, body);

/** A POP3 session of the real client: connect, AUTH XOAUTH2 with the initial response, then `then`. */
async function withPop<T>(sasl: string, then: (client: Pop3Command) => Promise<T>): Promise<T> {
  const client = new Pop3Command({ host: '127.0.0.1', port: pop.port, user: '', password: '' });
  await client.connect();
  try {
    await client.command('AUTH', 'XOAUTH2', sasl);
    return await then(client);
  } finally {
    await client.QUIT().catch(() => undefined);
  }
}

describe('POP3 over XOAUTH2', () => {
  it('issues a POP token that a POP3 client signs in with and reads the mailbox', async () => {
    const res = await xoauth2({ protocol: 'pop' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ protocol: 'pop', user: user.userPrincipalName });
    expect(decodeJwt(res.body.accessToken)).toMatchObject({ aud: 'https://outlook.office.com', scp: 'POP.AccessAsUser.All', upn: user.userPrincipalName });

    const [stat, message] = await withPop(res.body.sasl, async (client) => [await client.STAT(), await client.RETR(1)]);
    expect(stat).toMatch(/^1 \d+$/);
    expect(message).toContain('Subject: Your booking');
    expect(pop.signedIn.at(-1)).toBe(user.userPrincipalName);
  });

  it('the POP3 server refuses an SMTP token (another permission) and basic authentication', async () => {
    const smtp = await xoauth2({ protocol: 'smtp' });
    expect(smtp.status).toBe(200);
    await expect(withPop(smtp.body.sasl, (client) => client.STAT())).rejects.toThrow(/Authentication failure/);
    expect(pop.refusals.at(-1)).toBe('scope');

    const basic = new Pop3Command({ host: '127.0.0.1', port: pop.port, user: user.userPrincipalName, password: 'secret' });
    await expect(basic.STAT()).rejects.toThrow(/Logon failure/);
    await basic.QUIT().catch(() => undefined);
  });

  it('refuses an unknown protocol with 400', async () => {
    const res = await xoauth2({ protocol: 'pop4' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_field', field: 'protocol' });
  });
});
