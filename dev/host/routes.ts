// Route templates as the Azure Functions host reads them (ASP.NET style): literal segments, `{name}`,
// optional `{name?}`, catch-all `{*rest}`, and the common inline constraints `{id:int}`, `{id:guid}`...
// Matching is case-insensitive; literal segments win over parameters, parameters over catch-alls.

export interface RouteMatch {
  params: Record<string, string>;
}

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string; optional: boolean; constraint?: RegExp }
  | { kind: 'catchAll'; name: string };

const CONSTRAINTS: Record<string, RegExp> = {
  int: /^-?\d+$/,
  long: /^-?\d+$/,
  bool: /^(?:true|false)$/i,
  guid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  alpha: /^[a-z]+$/i,
};

export class RouteTemplate {
  readonly segments: Segment[];
  /** Lower sorts first: used to prefer the most specific template when several match. */
  readonly precedence: number[];

  constructor(readonly template: string) {
    const trimmed = template.replace(/^\/+|\/+$/g, '');
    this.segments = trimmed === '' ? [] : trimmed.split('/').map((part, i, all) => parseSegment(part, template, i === all.length - 1));
    this.precedence = this.segments.map((s) =>
      s.kind === 'literal' ? 0 : s.kind === 'param' ? (s.constraint ? 1 : s.optional ? 3 : 2) : 4,
    );
  }

  /** `path` is below the route prefix, without a leading slash and still percent-encoded. */
  match(path: string): RouteMatch | undefined {
    return this.matchSegments(splitPath(path));
  }

  /** As `match`, for a path already split by `splitPath` (one split for every template tried). */
  matchSegments(parts: readonly string[]): RouteMatch | undefined {
    const params: Record<string, string> = {};
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i]!;
      const part = parts[i];
      if (segment.kind === 'catchAll') {
        const rest = parts.slice(i).map(decode);
        if (rest.includes(undefined)) return undefined;
        if (rest.length > 0) params[segment.name] = rest.join('/');
        return { params };
      }
      if (part === undefined || part === '') {
        // A missing trailing optional parameter is fine; anything else is required.
        if (segment.kind === 'param' && segment.optional && i === this.segments.length - 1 && parts.length <= i + 1) return { params };
        return undefined;
      }
      const value = decode(part);
      if (value === undefined) return undefined;
      if (segment.kind === 'literal') {
        if (value.toLowerCase() !== segment.text.toLowerCase()) return undefined;
      } else {
        if (segment.constraint && !segment.constraint.test(value)) return undefined;
        params[segment.name] = value;
      }
    }
    return parts.length === this.segments.length ? { params } : undefined;
  }
}

/** A path below the route prefix as its segments, still percent-encoded. */
export function splitPath(path: string): string[] {
  return path === '' ? [] : path.split('/');
}

function parseSegment(part: string, template: string, isLast: boolean): Segment {
  const m = /^\{(\*{1,2})?([A-Za-z_][\w]*)(?::([A-Za-z]+)(?:\([^)]*\))?)?(\?)?\}$/.exec(part);
  if (!m) {
    if (/[{}]/.test(part)) throw new Error(`Unsupported route segment "${part}" in route "${template}"`);
    return { kind: 'literal', text: part };
  }
  const [, star, name, constraint, optional] = m;
  if (star) {
    if (!isLast) throw new Error(`A catch-all parameter must be the last segment of route "${template}"`);
    return { kind: 'catchAll', name: name! };
  }
  if (optional && !isLast) throw new Error(`An optional parameter must be the last segment of route "${template}"`);
  return { kind: 'param', name: name!, optional: Boolean(optional), constraint: constraint ? CONSTRAINTS[constraint.toLowerCase()] : undefined };
}

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** Orders templates so that the first match is the most specific one. */
export function compareTemplates(a: RouteTemplate, b: RouteTemplate): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const pa = a.precedence[i] ?? -1;
    const pb = b.precedence[i] ?? -1;
    if (pa !== pb) return pa - pb;
  }
  return 0;
}
