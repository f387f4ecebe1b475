// OData bits Graph applies to collections: Prefer headers, $select, $top and server-driven paging with
// opaque skip tokens in absolute https://graph.microsoft.com links (the client follows them as given).
import type { IncomingHttpHeaders } from 'node:http';
import { badRequest } from './errors.js';

export const GRAPH_ROOT = 'https://graph.microsoft.com/v1.0';

export interface Prefer {
  timeZone?: string;
  maxPageSize?: number;
  bodyContentType?: 'text' | 'html';
  /** Prefer: IdType="ImmutableId" (https://learn.microsoft.com/en-us/graph/outlook-immutable-id). */
  immutableIds?: boolean;
}

export function parsePrefer(headers: IncomingHttpHeaders | Record<string, string | undefined>): Prefer {
  const raw = headers.prefer ?? headers.Prefer;
  const text = Array.isArray(raw) ? raw.join(', ') : (raw ?? '');
  const prefer: Prefer = {};
  const tz = /outlook\.timezone\s*=\s*"([^"]*)"/i.exec(text) ?? /outlook\.timezone\s*=\s*([^,;\s]+)/i.exec(text);
  if (tz?.[1]) prefer.timeZone = tz[1];
  const size = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(text);
  if (size) prefer.maxPageSize = Math.max(1, Number(size[1]));
  const body = /outlook\.body-content-type\s*=\s*"?(text|html)"?/i.exec(text);
  if (body) prefer.bodyContentType = body[1]!.toLowerCase() as 'text' | 'html';
  if (/idtype\s*=\s*"?immutableid"?/i.test(text)) prefer.immutableIds = true;
  return prefer;
}

const QUERY_OPTIONS = ['$select', '$top', '$skip', '$filter', '$expand', '$orderby', '$count', '$search', '$skiptoken', '$deltatoken', 'startDateTime', 'endDateTime'];

/**
 * Query option names as Graph reads them: case-insensitively (OData: "system query options ... case-
 * insensitive"), so `$TOP` and `startdatetime` are `$top` and `startDateTime` to every handler.
 * https://learn.microsoft.com/en-us/graph/query-parameters
 * https://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part2-url-conventions.html#sec_SystemQueryOptions
 */
export function canonicalQuery(query: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const [key, value] of query) out.append(QUERY_OPTIONS.find((o) => o.toLowerCase() === key.toLowerCase()) ?? key, value);
  return out;
}

/** A JSON body's properties by name, case-insensitively (Graph's documented samples use both cases). */
export function propertyOf(body: Record<string, unknown> | undefined, name: string): unknown {
  if (!body) return undefined;
  if (name in body) return body[name];
  const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : body[key];
}

/** Keeps the selected properties plus id and @odata.etag, as Graph does. */
export function applySelect(item: Record<string, unknown>, select: string | null): Record<string, unknown> {
  if (!select) return item;
  const wanted = new Set(select.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (k === 'id' || k.startsWith('@odata.') || wanted.has(k.toLowerCase())) out[k] = v;
  return out;
}

export function parseTop(query: URLSearchParams): number | undefined {
  const top = query.get('$top');
  if (top === null) return undefined;
  const n = Number(top);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`Invalid value '${top}' for $top query option found. The $top query option requires a non-negative integer value.`);
  return Math.min(n, 1000);
}

interface SkipState {
  skip: number;
  size: number;
}

/**
 * Serves one page of `items`. Page size: $top, else Prefer: odata.maxpagesize, else `defaultSize`
 * (10 for Outlook collections). The next link carries the page size, so followers need not resend Prefer.
 */
export function pageOf<T>(
  items: T[],
  url: { path: string; query: URLSearchParams },
  prefer: Prefer,
  defaultSize = 10,
): { value: T[]; nextLink?: string; sizeApplied?: number } {
  const token = url.query.get('$skiptoken');
  let state: SkipState;
  if (token) {
    try {
      state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as SkipState;
      if (!Number.isInteger(state.skip) || !Number.isInteger(state.size)) throw new Error('bad');
    } catch {
      throw badRequest('The $skiptoken is not valid.', 'ErrorInvalidUrlQuery');
    }
  } else {
    const top = parseTop(url.query);
    const skip = Number(url.query.get('$skip') ?? 0) || 0;
    state = { skip, size: top ?? Math.min(prefer.maxPageSize ?? defaultSize, 1000) };
  }
  const value = items.slice(state.skip, state.skip + state.size);
  if (state.skip + state.size >= items.length || state.size === 0) return { value, sizeApplied: prefer.maxPageSize ? state.size : undefined };
  const query = new URLSearchParams(url.query);
  query.delete('$skip');
  query.delete('$skiptoken');
  query.set('$skiptoken', Buffer.from(JSON.stringify({ skip: state.skip + state.size, size: state.size })).toString('base64url'));
  return { value, nextLink: `${GRAPH_ROOT}${url.path}?${query.toString()}`, sizeApplied: prefer.maxPageSize ? state.size : undefined };
}
