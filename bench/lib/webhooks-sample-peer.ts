// The lean peer for the notification bench: the database-lookup path of Microsoft's nodejs-webhooks-sample
// (github.com/microsoftgraph/nodejs-webhooks-sample, routes/listen.js) cut to its core: Express with
// express.json(), the validationToken echo, then for each notification the clientState compared with the
// expected value and the subscription looked up by id before the 202. It leaves out what the sample does
// on the same path besides (app.js's session, flash, morgan, urlencoded, cookie and static middleware,
// logging every body, a SQLite database opened per lookup; webhooks-sample-as-written.ts runs all of it),
// and a Map stands in for SQLite (behind an await, as the sample's lookup is asynchronous). So it is
// lighter than the sample: the stricter comparison. It writes nothing durable before answering: the sample
// processes the notification in the request.
import { createRequire } from 'node:module';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Req extends IncomingMessage {
  body?: { value?: { subscriptionId?: string; clientState?: string }[] };
  query: Record<string, string | undefined>;
}
interface Res extends ServerResponse {
  status(code: number): Res;
  send(body?: string): Res;
  type(t: string): Res;
}
type Handler = (req: Req, res: Res, next?: () => void) => void | Promise<void>;
interface ExpressApp {
  use(h: Handler): void;
  post(path: string, h: Handler): void;
  listen(port: number, host: string, cb: () => void): Server;
}
type Express = (() => ExpressApp) & { json(options?: { limit?: string }): Handler };

/** Starts the peer on a free loopback port; `subscriptions` maps each subscription id to its clientState. */
export async function startWebhooksSamplePeer(path: string, subscriptions: ReadonlyMap<string, string>): Promise<{ url: string; close(): void }> {
  const express = createRequire(import.meta.url)('express') as Express;
  const app = express();
  app.use(express.json());
  const lookup = async (id: string): Promise<string | undefined> => subscriptions.get(id);
  app.post(path, async (req, res) => {
    const token = req.query.validationToken;
    if (token) {
      res.type('text/plain').status(200).send(token);
      return;
    }
    for (const n of req.body?.value ?? []) {
      const clientState = n.subscriptionId ? await lookup(n.subscriptionId) : undefined;
      if (!clientState || clientState !== n.clientState) {
        res.status(202).send();
        return;
      }
    }
    res.status(202).send();
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}
