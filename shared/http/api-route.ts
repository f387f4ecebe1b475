// The one adapter from a route declaration (shared/http/route.ts) to the function the host registers: it
// builds the services, authenticates, parses path, query and body (naming the field at fault), runs the
// handler, and turns its answer into JSON with the common headers, or its error into problem+json.
import type { HttpHandler, HttpRequest, HttpResponseInit } from '@azure/functions';
import type { HttpFunctionDefinition } from '../runtime/function-definitions.js';
import { getServices, type Services } from '../services.js';
import { authenticateAdmin, authenticateClient } from './authenticate-client.js';
import { hasRequestBody, httpHandler, parseWith, readJson } from './handle.js';
import { AppError } from '../errors/app-error.js';
import type { Answers, Authentication, RawAnswer, RouteDeclaration, RouteDescription } from './route.js';

/** Every JSON answer: never cached by a browser or proxy (answers carry keys, tokens, personal data). */
const COMMON_HEADERS = { 'Cache-Control': 'no-store' };

export function apiRoute<Auth extends Exclude<Authentication, 'browserPage'>, B = undefined, Q = undefined, P = undefined, A extends Answers = Answers>(
  declaration: RouteDeclaration<Auth, B, Q, P, A>,
): HttpFunctionDefinition {
  const { handle, headers, ...description } = declaration;
  return httpDefinition(
    description,
    httpHandler(async (request, context) => {
      const services = getServices();
      const client = await authenticate(declaration.auth, request, services);
      const params = declaration.params ? parseParams(description, request) : undefined;
      const query = declaration.query ? parseWith(declaration.query, Object.fromEntries(request.query.entries())) : undefined;
      const body = declaration.body ? await readBody(description, request) : undefined;
      // The declaration's schemas are the input's types: the cast only restates what parsing produced.
      const input = { services, client, body, query, params, request, context } as Parameters<typeof handle>[0];
      return toResponse(await handle(input), headers);
    }),
  );
}

/** The function the host registers for a declared route. */
export function httpDefinition(description: RouteDescription, handler: HttpHandler): HttpFunctionDefinition {
  return { kind: 'http', name: description.name, route: description.route, methods: [description.method], authLevel: 'anonymous', description, handler };
}

async function authenticate(auth: Authentication, request: HttpRequest, services: Services) {
  if (auth === 'apiKey') return authenticateClient(request, services);
  if (auth === 'adminKey') await authenticateAdmin(request, services);
  return undefined;
}

function parseParams(description: RouteDescription, request: HttpRequest): unknown {
  const params = description.params!;
  const result = params.safeParse(request.params);
  if (result.success || !description.unknownId) return parseWith(params, request.params);
  // An id that fails its format names nothing that exists: the same 404 as an unknown one.
  const field = String(result.error.issues[0]?.path[0] ?? 'id');
  throw new AppError(description.unknownId.code, `${field}: no such ${description.unknownId.what}`, { field });
}

async function readBody(description: RouteDescription, request: HttpRequest): Promise<unknown> {
  const schema = description.body!;
  if (!hasRequestBody(request) && schema.safeParse(undefined).success) return undefined;
  return readJson(request, schema, description.maxBodyBytes);
}

function toResponse(answer: { status: number; body?: unknown; headers?: Record<string, string> } | RawAnswer, routeHeaders: Record<string, string> = {}): HttpResponseInit {
  if ('raw' in answer) return answer.raw;
  const response: HttpResponseInit = { status: answer.status, headers: { ...COMMON_HEADERS, ...routeHeaders, ...answer.headers } };
  if (answer.body !== undefined) response.jsonBody = answer.body;
  return response;
}
