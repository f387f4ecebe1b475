// A real SMTP server (smtp-server) that accepts only SASL XOAUTH2, checking the bearer token the way
// Exchange Online does for SMTP AUTH: RS256 signature against the identity platform's published keys (the
// simulator's JWKS), audience https://outlook.office.com, scope SMTP.Send, unexpired, and the SASL user
// being the token's user or a shared mailbox that user may send as (asked of the simulator).
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

export interface ReceivedMessage {
  user: string;
  from: string;
  to: string[];
  raw: string;
}

export interface Xoauth2SmtpServer {
  port: number;
  received: ReceivedMessage[];
  /** Why each refused sign-in was refused. */
  refusals: string[];
  close(): Promise<void>;
}

export async function startXoauth2SmtpServer(options: { simulatorUrl: string; tenant: string; now?: () => Date }): Promise<Xoauth2SmtpServer> {
  const jwks = createRemoteJWKSet(new URL(`${options.simulatorUrl}/${options.tenant}/discovery/v2.0/keys`));
  const received: ReceivedMessage[] = [];
  const refusals: string[] = [];

  const mayActAs = async (tokenUser: string, saslUser: string): Promise<boolean> => {
    if (tokenUser.toLowerCase() === saslUser.toLowerCase()) return true;
    const res = await fetch(`${options.simulatorUrl}/_sim/graph/shared-mailboxes/${encodeURIComponent(saslUser)}/members/${encodeURIComponent(tokenUser)}`);
    return res.ok && ((await res.json()) as { access: boolean }).access;
  };

  const server = new SMTPServer({
    authMethods: ['XOAUTH2'],
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    async onAuth(auth, _session, callback) {
      const refuse = (reason: string) => {
        refusals.push(reason);
        // The XOAUTH2 error challenge (a JSON status), as Google and Microsoft send it.
        callback(null, { data: { status: '401', schemes: 'bearer', scope: 'https://outlook.office.com/SMTP.Send' } });
      };
      if (auth.method !== 'XOAUTH2' || !auth.accessToken || !auth.username) return refuse('not xoauth2');
      try {
        const { payload } = await jwtVerify(auth.accessToken, jwks, {
          algorithms: ['RS256'],
          audience: 'https://outlook.office.com',
          currentDate: options.now?.() ?? new Date(),
        });
        const scopes = typeof payload.scp === 'string' ? payload.scp.split(' ') : [];
        if (!scopes.includes('SMTP.Send')) return refuse('scope');
        const tokenUser = typeof payload.upn === 'string' ? payload.upn : '';
        if (!(await mayActAs(tokenUser, auth.username))) return refuse('user');
        callback(null, { user: auth.username });
      } catch (error) {
        refuse(`token: ${(error as Error).name}`);
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          user: String(session.user),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, received, refusals, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
