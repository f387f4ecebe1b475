// POST /api/connections/{id}/xoauth2 end to end: the token comes from the simulator's Outlook resource
// through real MSAL (refresh token redeemed with the Outlook scope), and nodemailer signs in with it to a
// real SMTP server that verifies it against the simulator's published keys.
import { decodeJwt } from 'jose';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { odata } from '@azure/data-tables';
import { startAppHost, type AppHost } from '../support/app-host.js';
import { connectUser, createSimUser, createTestClient, nextHop, SIM_TENANT, type ConnectedUser } from '../support/connect-user.js';
import { simControl } from '../support/simulator-control.js';
import { api } from '../bookings/support.js';
import { followConnectLink, mailClient, setMail } from './support.js';
import { startXoauth2SmtpServer, type Xoauth2SmtpServer } from './smtp-xoauth2-server.js';

let app: AppHost;
let user: ConnectedUser;
let smtp: Xoauth2SmtpServer;

beforeAll(async () => {
  app = await startAppHost();
  user = await connectUser(app, { client: await mailClient(app, { mailEnabled: true, legacyProtocols: true }) });
  smtp = await startXoauth2SmtpServer({ simulatorUrl: app.simulatorUrl, tenant: SIM_TENANT });
});
afterAll(async () => {
  await smtp?.close();
  await app?.close();
});

const xoauth2 = (who: ConnectedUser, body: Record<string, unknown>) => api(app, who.apiKey, 'POST', `connections/${who.connection.id}/xoauth2`, body);

function sendWith(server: Xoauth2SmtpServer, user: string, accessToken: string, to = 'customer@example.com') {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port, secure: false, ignoreTLS: true, auth: { type: 'OAuth2', user, accessToken } });
  return transport.sendMail({ from: user, to, subject: 'Booking confirmed', text: 'See you on Monday.' });
}

async function auditRows(clientId: string) {
  const rows = [];
  for await (const row of app.services.store.xoauth2Issues.queryAll(odata`PartitionKey eq ${clientId}`)) rows.push(row.entity);
  return rows;
}

describe('POST /api/connections/{id}/xoauth2', () => {
  it('issues an Outlook token and SASL string that nodemailer signs in to SMTP with', async () => {
    const res = await xoauth2(user, { protocol: 'smtp' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { accessToken, sasl, expiresAt } = res.body;
    expect(res.body.user).toBe(user.userPrincipalName);
    expect(Buffer.from(sasl, 'base64').toString('utf8')).toBe(`user=${user.userPrincipalName}\x01auth=Bearer ${accessToken}\x01\x01`);
    const claims = decodeJwt(accessToken);
    expect(claims).toMatchObject({ aud: 'https://outlook.office.com', scp: 'SMTP.Send', upn: user.userPrincipalName });
    // MSAL computes expiresOn from expires_in on receipt, so it may differ from the token's exp by a second.
    expect(Math.abs(new Date(expiresAt).getTime() - (claims.exp as number) * 1000)).toBeLessThanOrEqual(2000);

    const info = await sendWith(smtp, res.body.user, accessToken);
    expect(info.accepted).toEqual(['customer@example.com']);
    const received = smtp.received.at(-1)!;
    expect(received).toMatchObject({ user: user.userPrincipalName, from: user.userPrincipalName, to: ['customer@example.com'] });
    expect(received.raw).toContain('Subject: Booking confirmed');

    const audit = (await auditRows(user.client.clientId)).find((r) => r.connectionId === user.connection.id && r.protocol === 'smtp');
    expect(audit).toMatchObject({ user: user.userPrincipalName, protocol: 'smtp' });
    expect(JSON.stringify(audit)).not.toContain(accessToken.split('.')[2]);
  });

  it('issues an IMAP token with IMAP.AccessAsUser.All', async () => {
    const res = await xoauth2(user, { protocol: 'imap' });
    expect(res.status).toBe(200);
    expect(decodeJwt(res.body.accessToken)).toMatchObject({ aud: 'https://outlook.office.com', scp: 'IMAP.AccessAsUser.All' });
  });

  it('the SMTP server refuses a token of the wrong audience and scope, and an expired one', async () => {
    const before = smtp.received.length;
    const graphToken = ((await (await simControl(app.simulatorUrl, 'POST', '/tokens', { tenant: SIM_TENANT, user: user.userPrincipalName, scopes: ['Mail.Send'] })).json()) as { access_token?: string; token?: string });
    const wrong = graphToken.access_token ?? graphToken.token!;
    await expect(sendWith(smtp, user.userPrincipalName, wrong)).rejects.toMatchObject({ code: 'EAUTH' });
    expect(smtp.refusals.at(-1)).toMatch(/^token: JWTClaimValidationFailed/);

    const imap = (await xoauth2(user, { protocol: 'imap' })).body.accessToken;
    await expect(sendWith(smtp, user.userPrincipalName, imap)).rejects.toMatchObject({ code: 'EAUTH' });
    expect(smtp.refusals.at(-1)).toBe('scope');

    const smtpToken = (await xoauth2(user, { protocol: 'smtp' })).body.accessToken;
    await expect(sendWith(smtp, 'someone.else@contoso.test', smtpToken)).rejects.toMatchObject({ code: 'EAUTH' });
    expect(smtp.refusals.at(-1)).toBe('user');

    // The same valid token, seen by a server whose clock is two hours later.
    const later = await startXoauth2SmtpServer({ simulatorUrl: app.simulatorUrl, tenant: SIM_TENANT, now: () => new Date(Date.now() + 2 * 3600_000) });
    try {
      await expect(sendWith(later, user.userPrincipalName, smtpToken)).rejects.toMatchObject({ code: 'EAUTH' });
      // nodemailer may retry the sign-in once; every attempt is refused for the same reason.
      expect(later.refusals.length).toBeGreaterThan(0);
      expect(new Set(later.refusals)).toEqual(new Set(['token: JWTExpired']));
      expect(later.received).toEqual([]);
    } finally {
      await later.close();
    }
    expect(smtp.received.length).toBe(before);
  });

  it('a shared mailbox: 403 until the user has access, then the token signs in as the shared mailbox', async () => {
    const address = `bookings-${Date.now().toString(36)}@${SIM_TENANT}`;
    await fetch(`${app.simulatorUrl}/_sim/graph/shared-mailboxes`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ tenant: SIM_TENANT, address, displayName: 'Bookings desk' }),
    });
    const auditBefore = (await auditRows(user.client.clientId)).length;
    const denied = await xoauth2(user, { protocol: 'smtp', mailbox: address });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: 'mailbox_access_denied', field: 'mailbox' });
    expect(denied.body.accessToken).toBeUndefined();
    expect((await auditRows(user.client.clientId)).length).toBe(auditBefore);

    await fetch(`${app.simulatorUrl}/_sim/graph/shared-mailboxes/${address}/members/${user.userPrincipalName}`, { method: 'PUT' });
    const res = await xoauth2(user, { protocol: 'smtp', mailbox: address.toUpperCase() });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.user).toBe(address);
    expect(Buffer.from(res.body.sasl, 'base64').toString('utf8')).toMatch(new RegExp(`^user=${address}\\x01auth=Bearer `));
    const info = await sendWith(smtp, res.body.user, res.body.accessToken);
    expect(info.accepted).toEqual(['customer@example.com']);
    expect(smtp.received.at(-1)!.user).toBe(address);
    const audit = (await auditRows(user.client.clientId)).find((r) => r.mailbox === address);
    expect(audit).toMatchObject({ connectionId: user.connection.id, protocol: 'smtp', user: address });
  });

  it('refusals: legacy protocols off (403), mail off (403 mail_not_enabled), bad protocol (400)', async () => {
    const mailOnly = await connectUser(app, { client: await mailClient(app, { mailEnabled: true }) });
    const legacyOff = await xoauth2(mailOnly, { protocol: 'smtp' });
    expect(legacyOff.status).toBe(403);
    expect(legacyOff.body.code).toBe('legacy_protocols_not_enabled');

    const plain = await connectUser(app, { client: await createTestClient(app) });
    const off = await xoauth2(plain, { protocol: 'smtp' });
    expect(off.status).toBe(403);
    expect(off.body.code).toBe('mail_not_enabled');

    const bad = await xoauth2(user, { protocol: 'pop3' });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('protocol');
    const badMailbox = await xoauth2(user, { protocol: 'imap', mailbox: 'not a mailbox' });
    expect(badMailbox.status).toBe(400);
    expect(badMailbox.body.field).toBe('mailbox');
  });

  it('a connection without the Outlook consent: 409 consent_missing with a link that asks for it', async () => {
    const client = await mailClient(app, { mailEnabled: true });
    const other = await connectUser(app, { client, userPrincipalName: (await createSimUser(app.simulatorUrl)).userPrincipalName });
    expect((await setMail(app, client.client.clientId, { mailEnabled: true, legacyProtocols: true })).status).toBe(200);
    const refused = await xoauth2(other, { protocol: 'smtp' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'consent_missing', missingScopes: ['https://outlook.office.com/SMTP.Send'] });
    expect(refused.body.accessToken).toBeUndefined();

    // The consent link's authorize request names the Outlook scopes for consent only (extraScopesToConsent).
    // Opened in the browser that then signs in (the attempt is bound to it by a cookie).
    const hop = await nextHop(refused.body.connectUrl);
    const authorize = new URL(hop.location!);
    const scopes = authorize.searchParams.get('scope')!.split(' ');
    expect(scopes).toEqual(expect.arrayContaining(['Mail.Send', 'https://outlook.office.com/SMTP.Send', 'https://outlook.office.com/IMAP.AccessAsUser.All']));
    const back = await followConnectLink(authorize.toString());
    expect(back.searchParams.get('connectionId')).toBe(other.connection.id);

    const res = await xoauth2(other, { protocol: 'smtp' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await sendWith(smtp, res.body.user, res.body.accessToken)).accepted).toEqual(['customer@example.com']);
  });
});
