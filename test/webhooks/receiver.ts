// A real loopback HTTP receiver for webhook tests: records every request (headers and raw body) and
// answers with the statuses the test queues up, then with `fallbackStatus` (204 unless changed).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export class Receiver {
  readonly received: ReceivedRequest[] = [];
  fallbackStatus = 204;
  /** Extra response headers per status (e.g. Location for a redirect). */
  readonly headersFor = new Map<number, Record<string, string>>();
  private readonly queued: number[] = [];
  private readonly server: Server;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const status = this.queued.shift() ?? this.fallbackStatus;
        res.writeHead(status, this.headersFor.get(status) ?? {}).end();
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Statuses for the next requests, in order. */
  respond(...statuses: number[]): void {
    this.queued.push(...statuses);
  }

  /** The requests that carried a given event id. */
  deliveriesOf(eventId: string): ReceivedRequest[] {
    return this.received.filter((r) => r.headers['webhook-id'] === eventId);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Whether the `standardwebhooks` library, given this secret, accepts the request as received. */
export function verifiedWith(secret: string, request: ReceivedRequest): boolean {
  try {
    new Webhook(secret).verify(request.body, request.headers as Record<string, string>, { jsonParse: false });
    return true;
  } catch {
    return false;
  }
}

export function startReceiver(): Promise<Receiver> {
  return new Receiver().listen();
}
