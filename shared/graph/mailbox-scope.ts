// Requests a connection or a room mailbox sends somewhere other than the signed-in user's own `/me/...`.
// Every calendar helper (events.ts, calendar-view.ts, delta.ts) addresses `/me/...`, so rather than a second
// copy of each, the client rewrites the path before the request leaves: in the URL, and in the item URLs of
// a $batch body.
// - App-only calls have no "me" (Graph answers /me with 400 for them): an app-only client made for one
//   mailbox sends `/me` as `/users/{id}`.
// - A calendar another person shares with or delegates to the user lives in the owner's mailbox: a
//   delegated client sends `/me/calendars/{id}` of such a calendar as `/users/{owner}/calendars/{id}`
//   (https://learn.microsoft.com/en-us/graph/outlook-get-shared-events-calendars,
//   https://learn.microsoft.com/en-us/graph/outlook-create-event-in-shared-delegated-calendar).
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

/** Rewrites a version-relative path (`/me/...`, with its query); returns it unchanged when nothing applies. */
export type PathRewrite = (relative: string) => string;

const ME_RELATIVE = /^\/?me(?=[/?]|$)/i;
const VERSION_ROOT = /^(https?:\/\/[^/]+\/(?:v1\.0|beta))(\/.*)$/i;

/** `/me` as `/users/{mailboxId}`: an app-only client acting for one mailbox. */
export function mailboxRewrite(mailboxId: string): PathRewrite {
  return (relative) => relative.replace(ME_RELATIVE, `/users/${encodeURIComponent(mailboxId)}`);
}

/** `/me/calendars/{id}` of a shared calendar as `/users/{owner}/calendars/{id}`; calendar id -> owner's address. */
export function sharedCalendarRewrite(owners: Readonly<Record<string, string>>): PathRewrite {
  const byEncodedId = new Map(Object.entries(owners).map(([id, owner]) => [encodeURIComponent(id), owner]));
  return (relative) => {
    const m = /^\/?me\/calendars\/([^/?]+)(?=[/?]|$)/i.exec(relative);
    const owner = m ? (byEncodedId.get(m[1]!) ?? byEncodedId.get(reencoded(m[1]!) ?? m[1]!)) : undefined;
    return owner ? `/users/${encodeURIComponent(owner)}/calendars/${m![1]}${relative.slice(m![0].length)}` : relative;
  };
}

/** The path segment as encodeURIComponent writes it (escapes may come in lower case); undefined when malformed. */
function reencoded(segment: string): string | undefined {
  try {
    return encodeURIComponent(decodeURIComponent(segment));
  } catch {
    return undefined; // not a calendar id this client knows: the path goes on unchanged (and Graph answers it)
  }
}

export function scopeUrl(url: string, rewrite: PathRewrite): string {
  const m = VERSION_ROOT.exec(url);
  return m ? `${m[1]}${rewrite(m[2]!)}` : url;
}

export function scopeBatchBody(body: string, rewrite: PathRewrite): string {
  let parsed: { requests?: { url?: unknown }[] };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return body;
  }
  if (!Array.isArray(parsed.requests)) return body;
  for (const item of parsed.requests) {
    if (typeof item.url === 'string') item.url = rewrite(item.url.startsWith('/') ? item.url : `/${item.url}`);
  }
  return JSON.stringify(parsed);
}

export class MailboxScopeHandler implements Middleware {
  constructor(
    private readonly rewrite: PathRewrite,
    private readonly next: Middleware,
  ) {}

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const scoped = scopeUrl(url, this.rewrite);
    if (scoped !== url) context.request = typeof context.request === 'string' ? scoped : new Request(scoped, context.request);
    const body = context.options?.body;
    if (typeof body === 'string' && /\/\$batch(?:\?|$)/.test(scoped)) context.options!.body = scopeBatchBody(body, this.rewrite);
    await this.next.execute(context);
  }

  setNext(): void {
    // Wired by createGraphClient.
  }
}
