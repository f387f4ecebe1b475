// An HTTP function as data: its route, method, who may call it, the schemas of what it reads and what it
// answers. The adapter (shared/http/api-route.ts) runs it; the OpenAPI document, the README's tables and the
// tests' contract check read the very same declaration (its `description`), so a route's facts live once.
import type { HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type * as z from 'zod';
import type { Services } from '../services.js';
import type { ClientEntity } from '../store/repositories/clients.js';
import type { ProblemCode } from '../errors/catalogue.js';

/** none: anyone; apiKey: a booking system; adminKey: the operator; browserPage: a person's browser (HTML answers). */
export type Authentication = 'none' | 'apiKey' | 'adminKey' | 'browserPage';

/** Status -> schema of the JSON body (undefined: no body). */
export type Answers = Record<number, z.ZodType | undefined>;

/** What the OpenAPI document says of a route besides its schemas. Required for apiKey and adminKey routes. */
export interface RouteDoc {
  summary: string;
  tag: string;
  /** A request body, checked against `body` by the OpenAPI lint and test/openapi. */
  example?: unknown;
}

/** Everything a route declares but its handler. */
export interface RouteDescription {
  name: string;
  /** Below the `api/` prefix, e.g. `connections/{id}`. */
  route: string;
  method: HttpMethod;
  auth: Authentication;
  /** JSON body; a schema that accepts undefined makes the body optional. */
  body?: z.ZodType;
  /** Largest body accepted (413 body_too_large above); 64 KiB when unset. */
  maxBodyBytes?: number;
  query?: z.ZodType;
  params?: z.ZodType;
  /** A path parameter that fails `params` names nothing that can exist: this 404 instead of 400 invalid_field. */
  unknownId?: { code: ProblemCode; what: string };
  answers: Answers;
  /** The codes this route answers beyond those every route of its kind answers (commonProblems). */
  problems: readonly ProblemCode[];
  doc?: RouteDoc;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler receives: everything already authenticated, parsed and typed. */
export interface RouteInput<Auth extends Authentication, B, Q, P> {
  services: Services;
  /** The calling booking system (apiKey routes). */
  client: Auth extends 'apiKey' ? ClientEntity : undefined;
  body: Parsed<B>;
  query: Parsed<Q>;
  params: Parsed<P>;
  request: HttpRequest;
  context: InvocationContext;
}

/** A type without its index signatures: an open ("loose") schema's declared fields, which a view interface has. */
type Declared<T> = T extends readonly (infer E)[]
  ? Declared<E>[]
  : T extends object
    ? { [K in keyof T as string extends K ? never : number extends K ? never : K]: Declared<T[K]> }
    : T;

/** A JSON answer the route declares: its status picks the schema the body must fit. */
export type RouteAnswer<A extends Answers> = {
  [S in keyof A & number]: { status: S; body: A[S] extends z.ZodType ? Declared<z.input<A[S]>> : undefined; headers?: Record<string, string> };
}[keyof A & number];

/** An answer the adapter passes on untouched (Microsoft Graph's handshake is plain text). */
export interface RawAnswer {
  raw: HttpResponseInit;
}

export interface RouteDeclaration<Auth extends Authentication, B, Q, P, A extends Answers> extends RouteDescription {
  auth: Auth;
  body?: B & z.ZodType;
  query?: Q & z.ZodType;
  params?: P & z.ZodType;
  answers: A;
  /** Headers on every answer of this route, over the common ones. */
  headers?: Record<string, string>;
  handle(input: RouteInput<Auth, B, Q, P>): Promise<RouteAnswer<NoInfer<A>> | RawAnswer>;
}
