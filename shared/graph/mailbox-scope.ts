// App-only Graph calls have no "me" (Graph answers /me with 400 for them). Every calendar helper
// (events.ts, calendar-view.ts, delta.ts) addresses `/me/...`, so rather than a second copy of each for
// rooms, an app-only client made for one mailbox rewrites `/me` to `/users/{id}` before the request
// leaves: in the URL, and in the item URLs of a $batch body.
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

const ME_IN_URL = /^(https?:\/\/[^/]+\/(?:v1\.0|beta))\/me(?=[/?]|$)/i;
const ME_RELATIVE = /^\/?me(?=[/?]|$)/i;

export function scopeUrl(url: string, mailboxId: string): string {
  return url.replace(ME_IN_URL, `$1/users/${encodeURIComponent(mailboxId)}`);
}

export function scopeBatchBody(body: string, mailboxId: string): string {
  let parsed: { requests?: { url?: unknown }[] };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return body;
  }
  if (!Array.isArray(parsed.requests)) return body;
  for (const item of parsed.requests) {
    if (typeof item.url === 'string') item.url = item.url.replace(ME_RELATIVE, `/users/${encodeURIComponent(mailboxId)}`);
  }
  return JSON.stringify(parsed);
}

export class MailboxScopeHandler implements Middleware {
  constructor(
    private readonly mailboxId: string,
    private readonly next: Middleware,
  ) {}

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const scoped = scopeUrl(url, this.mailboxId);
    if (scoped !== url) context.request = typeof context.request === 'string' ? scoped : new Request(scoped, context.request);
    const body = context.options?.body;
    if (typeof body === 'string' && /\/\$batch(?:\?|$)/.test(scoped)) context.options!.body = scopeBatchBody(body, this.mailboxId);
    await this.next.execute(context);
  }

  setNext(): void {
    // Wired by createGraphClient.
  }
}
