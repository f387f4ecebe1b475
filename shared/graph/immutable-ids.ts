// Every Graph request asks for immutable ids: an event's regular id changes when it moves to another
// calendar, its immutable id does not, and "this header only applies to the request it is included with.
// If you want to always use immutable IDs, you must include this header with every API request."
// https://learn.microsoft.com/en-us/graph/outlook-immutable-id
// Subscriptions created with it notify with immutable ids too (same page, "Immutable ID with change
// notifications"). The header goes on top-level requests here and on each $batch item in batch.ts.
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

export const IMMUTABLE_ID_PREFERENCE = 'IdType="ImmutableId"';

/** A Prefer value with the immutable-id preference added (once). */
export function withImmutableIds(prefer: string | undefined): string {
  if (!prefer?.trim()) return IMMUTABLE_ID_PREFERENCE;
  return /idtype\s*=/i.test(prefer) ? prefer : `${prefer}, ${IMMUTABLE_ID_PREFERENCE}`;
}

export class ImmutableIdHandler implements Middleware {
  constructor(private readonly next: Middleware) {}

  async execute(context: Context): Promise<void> {
    const options = (context.options ??= {});
    const headers = options.headers;
    if (headers instanceof Headers) headers.set('Prefer', withImmutableIds(headers.get('Prefer') ?? undefined));
    else if (Array.isArray(headers)) {
      const current = headers.find(([k]) => k.toLowerCase() === 'prefer')?.[1];
      options.headers = [...headers.filter(([k]) => k.toLowerCase() !== 'prefer'), ['Prefer', withImmutableIds(current)]];
    } else {
      const record = { ...(headers as Record<string, string> | undefined) };
      const key = Object.keys(record).find((k) => k.toLowerCase() === 'prefer');
      const current = key ? record[key] : undefined;
      if (key) delete record[key];
      options.headers = { ...record, Prefer: withImmutableIds(current) };
    }
    await this.next.execute(context);
  }

  setNext(): void {
    // Wired by createGraphClient.
  }
}
