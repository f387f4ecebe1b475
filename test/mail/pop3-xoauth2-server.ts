// A POP3 server for the tests (RFC 1939, with RFC 5034's AUTH and RFC 2449's CAPA) that accepts only SASL
// XOAUTH2 and checks the token as Exchange Online does for POP (./outlook-token-check.ts, permission
// POP.AccessAsUser.All). npm has no POP3 server library that runs here and lets a SASL mechanism be plugged
// in: pop3-n3 checks credentials synchronously and needs the native `iconv` module, wildduck needs MongoDB
// and Redis. So the server side is this small one, and the client side is a real POP3 client (node-pop3).
// Exchange's POP: https://learn.microsoft.com/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth#pop-protocol-exchange
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { outlookTokenCheck, parseXoauth2 } from './outlook-token-check.js';

export interface Xoauth2Pop3Server {
  port: number;
  /** SASL users signed in, in order. */
  signedIn: string[];
  /** Why each refused sign-in was refused. */
  refusals: string[];
  close(): Promise<void>;
}

/** One message in every mailbox, so STAT, LIST and RETR have something to answer. */
const MESSAGE = 'From: bookings@example.test\r\nSubject: Your booking\r\n\r\nSee you on Tuesday.\r\n';

export async function startXoauth2Pop3Server(options: { simulatorUrl: string; tenant: string; now?: () => Date }): Promise<Xoauth2Pop3Server> {
  const check = outlookTokenCheck(options);
  const signedIn: string[] = [];
  const refusals: string[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const say = (line: string): void => void socket.write(`${line}\r\n`);
    let user: string | undefined;
    let awaitingResponse = false;
    let buffered = '';

    const authenticate = async (initial: string): Promise<void> => {
      const parsed = parseXoauth2(initial);
      const checked = parsed ? await check(parsed.token, parsed.user, 'POP.AccessAsUser.All') : { ok: false as const, reason: 'not xoauth2' };
      if (!checked.ok || !parsed) {
        refusals.push(checked.ok ? 'not xoauth2' : checked.reason);
        return say('-ERR Authentication failure: unknown user name or bad password.');
      }
      user = parsed.user;
      signedIn.push(user);
      say('+OK User successfully authenticated.');
    };

    const handle = async (line: string): Promise<void> => {
      if (awaitingResponse) {
        awaitingResponse = false;
        return line === '*' ? say('-ERR Authentication cancelled.') : authenticate(line);
      }
      const [command = '', ...args] = line.split(' ');
      switch (command.toUpperCase()) {
        case 'CAPA':
          return say('+OK\r\nUIDL\r\nSASL XOAUTH2\r\n.');
        case 'AUTH':
          if (user) return say('-ERR Command is not valid in this state.');
          if (args[0]?.toUpperCase() !== 'XOAUTH2') return say('-ERR Unrecognized authentication type.');
          if (args[1]) return authenticate(args[1]);
          awaitingResponse = true;
          return say('+ ');
        case 'USER':
        case 'PASS':
          // Basic authentication is off in Exchange Online.
          return say('-ERR Logon failure: unknown user name or bad password.');
        case 'QUIT':
          say('+OK Microsoft Exchange Server POP3 server signing off.');
          socket.end();
          return;
        case 'NOOP':
          return say(user ? '+OK' : '-ERR Command is not valid in this state.');
        case 'STAT':
          return say(user ? `+OK 1 ${Buffer.byteLength(MESSAGE)}` : '-ERR Command is not valid in this state.');
        case 'LIST':
          return say(user ? (args[0] ? `+OK 1 ${Buffer.byteLength(MESSAGE)}` : `+OK 1 messages\r\n1 ${Buffer.byteLength(MESSAGE)}\r\n.`) : '-ERR Command is not valid in this state.');
        case 'RETR':
          if (!user) return say('-ERR Command is not valid in this state.');
          if (args[0] !== '1') return say('-ERR The specified message is out of range.');
          return say(`+OK\r\n${MESSAGE}.`);
        default:
          return say('-ERR Protocol error.');
      }
    };

    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        queue = queue.then(() => handle(line));
      }
    });
    say('+OK The Microsoft Exchange POP3 service is ready.');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return { port, signedIn, refusals, close };
}
