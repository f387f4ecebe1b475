// One HTTP POST of a signed webhook body. A 10 s timeout; redirects are followed only to the same origin
// (307/308, which keep the method and body, at most 3 hops), so a receiver cannot bounce our signed
// request to another host. In Azure only https URLs are used.
export const WEBHOOK_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;

export type PostResult =
  | { ok: true; status: number }
  | { ok: false; status?: number; error: string };

export interface PostOptions {
  timeoutMs?: number;
  /** True in Azure: http URLs are refused. */
  httpsOnly: boolean;
}

/** Checks a webhook URL may be used; returns why not, or undefined. */
export function webhookUrlProblem(raw: string, httpsOnly: boolean): string | undefined {
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
  return undefined;
}

export async function postWebhook(url: string, body: string, headers: Record<string, string>, options: PostOptions): Promise<PostResult> {
  const problem = webhookUrlProblem(url, options.httpsOnly);
  if (problem) return { ok: false, error: problem };
  const deadline = AbortSignal.timeout(options.timeoutMs ?? WEBHOOK_TIMEOUT_MS);
  let target = new URL(url);
  try {
    for (let hop = 0; ; hop += 1) {
      const response = await fetch(target, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'CalendarBridge-Webhooks/1', ...headers },
        body,
        redirect: 'manual',
        signal: deadline,
      });
      await response.body?.cancel().catch(() => undefined); // the answer's body is never used
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
      if (response.status === 307 || response.status === 308) {
        const location = response.headers.get('location');
        const next = location ? safeUrl(location, target) : undefined;
        if (!next || next.origin !== target.origin) return { ok: false, status: response.status, error: 'redirect to another origin refused' };
        if (hop >= MAX_REDIRECTS) return { ok: false, status: response.status, error: 'too many redirects' };
        target = next;
        continue;
      }
      return { ok: false, status: response.status, error: `the receiver answered ${response.status}` };
    }
  } catch (error) {
    const name = (error as Error | undefined)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') return { ok: false, error: 'no answer within the timeout' };
    const code = (error as { cause?: { code?: string } }).cause?.code;
    return { ok: false, error: `the request failed${code ? ` (${code})` : ''}` };
  }
}

function safeUrl(location: string, base: URL): URL | undefined {
  try {
    return new URL(location, base);
  } catch {
    return undefined;
  }
}
