// The second peer for the notification bench: Microsoft's nodejs-webhooks-sample
// (github.com/microsoftgraph/nodejs-webhooks-sample) as written, on the path a change notification takes
// through it up to the subscription lookup: app.js's whole middleware chain in its order (express-session
// with the in-memory store, connect-flash and the middleware that reads req.flash twice, morgan('dev'),
// express.json(), express.urlencoded(), cookie-parser, express.static, the routers mounted before /listen),
// then routes/listen.js under express-promise-router: the validationToken echo, the body logged with
// console.log(JSON.stringify(body, null, 2)), the clientState compare and, per notification,
// helpers/dbHelper.js's getSubscription (a database opened for that one lookup, then its SELECT), then 202.
// The Graph GET that follows a found subscription (processNotification) is not part of the lookup path and
// is not run, as in the lean peer (webhooks-sample-peer.ts, the stricter comparison). Packages are the
// sample's, at its package-lock's versions (Express at the project's 4.22, the sample's lock has 4.21). As in the sample, reading
// req.flash writes session.flash, so every notification (Graph sends no cookie) gets a new session, kept
// by the in-memory store, and a signed Set-Cookie. forgetSessions() empties the store between the bench's
// phases, so that the sample's growing heap is not carried into the other servers' phases (they share the
// process); within its own phase the sample pays for it as it would.
//
// What differs from the sample, and which way it moves this peer's figure:
// - SQLite is sql.js (SQLite compiled to WebAssembly) instead of the native sqlite3 module, whose install
//   downloads a prebuilt binary (or Node's headers to build one). Per lookup the file is read
//   asynchronously (sqlite3 opens it and runs the query on libuv's pool, a few hops there and back too),
//   opened, and the sample's SELECT run, in WebAssembly on the serving thread. Calibrated once against
//   sqlite3 5.1.7 built from source on this machine (a script not kept: the sample's getSubscription and
//   this one on the same 100-row file, 5,000 lookups each, interleaved, 1, 10 and 100 at a time, load
//   average 8 to 11): this lookup took 1.0 to 1.8 times sqlite3's CPU (0.20 to 0.79 ms against 0.18 to
//   0.48 ms). So this peer is likely heavier than the sample, by 0 to 0.3 ms a request, which
//   flatters the app's ratio against it; sqlite3's pool threads could also use the other core, which
//   sql.js cannot, so the sample's wall-time throughput may be a little higher than this peer's too.
// - Each database is closed after its lookup; the sample never closes them (sqlite3 closes a handle when
//   it is garbage-collected), so the sample holds a file descriptor and SQLite's memory per recent lookup
//   (the calibration's process grew to 373 MB) and pays the close in its garbage collector instead. About
//   the same work, done later: if anything the sample's collector has more to do than this peer's.
// - clientState is compared with the expected value of that notification's subscription (the bench has
//   100 subscriptions, each with its own), where the sample compares with one value read from
//   process.env: a Map read instead of an environment read, slightly lighter here.
// - The view engine setup (pug), the MSAL client, dotenv and socket.io are set up at start in the sample
//   and never touched on this path: left out. The 404 and error handlers answer without rendering a page;
//   neither runs on this path. Rich notifications (validationTokens) are not rebuilt: such a request
//   fails loudly (500) rather than being acknowledged unchecked.
// - Console output (morgan's line, the logged body) goes to the given stream, synchronous writes to a
//   file descriptor as process.stdout makes them for a file or a pipe on Linux: the same cost, not
//   printed into the bench's own output.
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import type { SqlJsStatic } from 'sql.js';

interface Notification {
  subscriptionId?: string;
  clientState?: string;
}
interface Req extends IncomingMessage {
  body?: { value?: Notification[]; validationTokens?: unknown };
  query?: Record<string, string | undefined>;
  flash(type: string): string[];
}
interface Res extends ServerResponse {
  locals: { errors?: unknown[] };
  status(code: number): Res;
  set(field: string, value: string): Res;
  send(body?: string): Res;
}
type Next = (err?: unknown) => void;
type Middleware = (req: Req, res: Res, next: Next) => void | Promise<void>;
interface Router {
  get(path: string, h: Middleware): void;
  post(path: string, h: Middleware): void;
}
interface ExpressApp {
  use(path: string | Middleware, ...h: (Middleware | Router | ErrorMiddleware)[]): void;
  listen(port: number, host: string, cb: () => void): Server;
}
interface MemoryStore {
  sessions: Record<string, string>;
  clear(): void;
}
type ErrorMiddleware = (err: { status?: number }, req: Req, res: Res, next: Next) => void;
type Express = (() => ExpressApp) & {
  json(): Middleware;
  urlencoded(options: { extended: boolean }): Middleware;
  static(root: string): Middleware;
  Router(): Router;
};

const require = createRequire(import.meta.url);

/** A stream on /dev/null written as process.stdout writes to a file or pipe: synchronously, per call. */
export function devNullStdout(): { stream: Writable; close(): void } {
  const fd = openSync('/dev/null', 'w');
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writeSync(fd, chunk);
      callback();
    },
  });
  return { stream, close: () => closeSync(fd) };
}

// helpers/dbHelper.js's table and SELECT, word for word.
const CREATE_SUBSCRIPTION_TABLE = 'CREATE TABLE Subscription (SubscriptionId TEXT NOT NULL, UserAccountId TEXT NOT NULL)';
const SELECT_SUBSCRIPTION =
  'SELECT SubscriptionId as subscriptionId, UserAccountId as userAccountId FROM Subscription WHERE SubscriptionId = $subscriptionId';

/**
 * Starts the sample as written on a free loopback port, answering change notifications on `path`.
 * `subscriptions` maps each subscription id to its clientState; they are stored in a SQLite file as the
 * sample's dbHelper stores them. `stdout` receives what the sample prints.
 */
export async function startWebhooksSampleAsWritten(
  path: string,
  subscriptions: ReadonlyMap<string, string>,
  stdout: Writable,
): Promise<{ url: string; lookups: { made: number; found: number }; forgetSessions(): number; close(): void }> {
  const express = require('express') as Express;
  const session = require('express-session') as ((options: object) => Middleware) & { MemoryStore: new () => MemoryStore };
  const flash = require('connect-flash') as () => Middleware;
  const logger = require('morgan') as (format: string, options: { stream: Writable }) => Middleware;
  const cookieParser = require('cookie-parser') as () => Middleware;
  const promiseRouter = require('express-promise-router') as () => Router;
  const initSqlJs = require('sql.js') as (config?: object) => Promise<SqlJsStatic>;
  const sampleConsole = new Console({ stdout, stderr: stdout }); // the sample's console.log, on `stdout`

  // dbHelper.ensureDatabase and addSubscription, once, before the server starts.
  const SQL = await initSqlJs();
  const dir = mkdtempSync(join(tmpdir(), 'webhooks-sample-'));
  const dbFile = join(dir, 'subscriptions.sqlite3');
  const publicDir = join(dir, 'public');
  mkdirSync(publicDir);
  const setup = new SQL.Database();
  setup.run(CREATE_SUBSCRIPTION_TABLE);
  for (const id of subscriptions.keys()) setup.run('INSERT INTO Subscription (SubscriptionId, UserAccountId) VALUES ($subscriptionId, $userAccountId)', { $subscriptionId: id, $userAccountId: 'bench-user' });
  writeFileSync(dbFile, setup.export());
  setup.close();

  // dbHelper.getSubscription: a database opened for this one lookup.
  // Counted so that the bench can show every lookup found its row (a broken SELECT would be cheaper).
  const lookups = { made: 0, found: 0 };
  const getSubscription = async (subscriptionId: string | undefined) => {
    lookups.made += 1;
    const db = new SQL.Database(await readFile(dbFile));
    try {
      const statement = db.prepare(SELECT_SUBSCRIPTION);
      const row = statement.getAsObject({ $subscriptionId: subscriptionId ?? null });
      statement.free();
      if (row.subscriptionId === undefined) return undefined;
      lookups.found += 1;
      return row;
    } finally {
      db.close();
    }
  };

  const app = express();
  const store = new session.MemoryStore(); // what express-session makes when given no store, kept to be emptied
  app.use(session({ store, secret: randomBytes(32).toString('hex'), resave: false, saveUninitialized: false, unset: 'destroy' }));
  app.use(flash());
  app.use((req, res, next) => {
    res.locals.errors = req.flash('error_msg');
    const errs = req.flash('error');
    for (const err in errs) res.locals.errors.push({ message: 'An error occurred', debug: err });
    next();
  });
  app.use(logger('dev', { stream: stdout }));
  app.use(express.json());
  app.use(express.urlencoded({ extended: false }));
  app.use(cookieParser());
  app.use(express.static(publicDir));

  // The routers mounted before /listen in app.js: the index router's GET / is looked at and passed over.
  const indexRouter = express.Router();
  indexRouter.get('/', (_req, res) => void res.status(200).send('index'));
  app.use('/', indexRouter);
  app.use('/delegated', express.Router());
  app.use('/apponly', express.Router());

  const listenRouter = promiseRouter();
  listenRouter.post('/', async (req, res) => {
    if (req.query && req.query.validationToken) {
      res.set('Content-Type', 'text/plain');
      res.send(req.query.validationToken);
      return;
    }
    sampleConsole.log(JSON.stringify(req.body, null, 2));
    if (req.body?.validationTokens) throw new Error('rich notifications (validationTokens) are not rebuilt in this peer');
    for (const notification of req.body?.value ?? []) {
      const expected = notification.subscriptionId ? subscriptions.get(notification.subscriptionId) : undefined;
      if (notification.clientState === expected) {
        const subscription = await getSubscription(notification.subscriptionId);
        if (subscription) {
          // Here the sample fetches the changed resource from Graph (processNotification): beyond the lookup path.
        }
      }
    }
    res.status(202).end();
  });
  app.use(path, listenRouter);
  app.use('/watch', express.Router());
  app.use('/lifecycle', express.Router());
  app.use((_req, res) => void res.status(404).end());
  app.use('/', ((err, _req, res, _next) => void res.status(err.status ?? 500).end()) as ErrorMiddleware); // four parameters: Express's mark of an error handler

  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lookups,
    forgetSessions: () => {
      const kept = Object.keys(store.sessions).length;
      store.clear();
      return kept;
    },
    close: () => {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
