// A real SMTP server (smtp-server) that accepts only SASL XOAUTH2, checking the bearer token the way
// Exchange Online does for SMTP AUTH (./outlook-token-check.ts) with the permission SMTP.Send.
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { outlookTokenCheck } from './outlook-token-check.js';

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
  const check = outlookTokenCheck(options);
  const received: ReceivedMessage[] = [];
  const refusals: string[] = [];

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
      const checked = await check(auth.accessToken, auth.username, 'SMTP.Send');
      if (!checked.ok) return refuse(checked.reason);
      callback(null, { user: auth.username });
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
