// One HTTP POST of a signed webhook body. A 10 s timeout; redirects are followed only to the same origin
// (307/308, which keep the method and body, at most 3 hops), so a receiver cannot bounce our signed
// request to another host. In Azure only https URLs are used, on port 443 (or the one port the operator
// allowed for the client), and never to an inside address (address-guard.ts): the URL's literal address
// is checked first, a name's resolved addresses inside the socket's lookup.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { guardedLookup, webhookTargetProblem } from './address-guard.js';

export const WEBHOOK_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;

export type PostResult =
  | { ok: true; status: number }
  | { ok: false; status?: number; error: string };

export interface PostOptions {
  timeoutMs?: number;
  /** True in Azure: http URLs are refused, and so is any inside address or a port other than 443. */
  httpsOnly: boolean;
  /** A port besides 443 the operator allowed for this client (in Azure). */
  allowedPort?: number;
}

/** Checks a webhook URL may be used; returns why not, or undefined. */
export function webhookUrlProblem(raw: string, httpsOnly: boolean, allowedPort?: number): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'the webhook URL is not a valid URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !httpsOnly)) {
    return httpsOnly ? 'the webhook URL must use https' : 'the webhook URL must use http or https';
  }
  if (url.username || url.password) return 'the webhook URL must not carry user information';
  // Locally the console's own loopback receiver must keep working.
  return httpsOnly ? webhookTargetProblem(url, allowedPort) : undefined;
}

export async function postWebhook(url: string, body: string, headers: Record<string, string>, options: PostOptions): Promise<PostResult> {
  const problem = webhookUrlProblem(url, options.httpsOnly, options.allowedPort);
  if (problem) return { ok: false, error: problem };
  const deadline = AbortSignal.timeout(options.timeoutMs ?? WEBHOOK_TIMEOUT_MS);
  let target = new URL(url);
  try {
    for (let hop = 0; ; hop += 1) {
      const response = await post(target, body, { 'Content-Type': 'application/json', 'User-Agent': 'CalendarBridge-Webhooks/1', ...headers }, options.httpsOnly, deadline);
      const status = response.statusCode ?? 0;
      response.resume(); // the answer's body is never used
      if (status >= 200 && status < 300) return { ok: true, status };
      if (status === 307 || status === 308) {
        const location = response.headers.location;
        const next = location ? safeUrl(location, target) : undefined;
        if (!next || next.origin !== target.origin) return { ok: false, status, error: 'redirect to another origin refused' };
        if (hop >= MAX_REDIRECTS) return { ok: false, status, error: 'too many redirects' };
        target = next;
        continue;
      }
      return { ok: false, status, error: `the receiver answered ${status}` };
    }
  } catch (error) {
    const name = (error as Error | undefined)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') return { ok: false, error: 'no answer within the timeout' };
    const code = (error as { code?: string }).code;
    return { ok: false, error: `the request failed${code ? ` (${code})` : ''}` };
  }
}

function post(url: URL, body: string, headers: Record<string, string>, guarded: boolean, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'POST',
      headers: { ...headers, 'Content-Length': Buffer.byteLength(body) },
      signal,
      // A fresh connection per delivery, resolved through the guard: the address checked is the one used.
      agent: false,
      ...(guarded ? { lookup: guardedLookup } : {}),
    });
    req.on('response', resolve);
    req.on('error', (error) => reject(signal.aborted ? (signal.reason as Error) : error));
    req.end(body);
  });
}

function safeUrl(location: string, base: URL): URL | undefined {
  try {
    return new URL(location, base);
  } catch {
    return undefined;
  }
}
