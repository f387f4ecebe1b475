// Builds the OpenAPI 3.1 document from the route declarations (shared/http/route.ts: route, method, the zod
// schemas the adapter parses with, answers, problem codes, summary) and the webhook event catalogue, so the
// description cannot drift from the code.
import * as z from 'zod';
import { PROBLEM_CODES, type ProblemCode } from '../errors/catalogue.js';
import { problemBody } from '../http/problem.js';
import type { RouteDescription, RouteDoc } from '../http/route.js';
import type { FunctionDefinition } from '../runtime/function-definitions.js';
import { WEBHOOK_EVENTS, type WebhookEventType } from '../webhooks/event-catalogue.js';

/** A route the document describes: the booking-system API (API key) and the operator's (admin key). */
export type ApiOperation = RouteDescription & { auth: 'apiKey' | 'adminKey'; doc: RouteDoc };

/** The declarations of the API's routes, in the order of `definitions`; a route of the API without its doc is an error. */
export function apiOperations(definitions: readonly FunctionDefinition[]): ApiOperation[] {
  const operations: ApiOperation[] = [];
  for (const d of definitions) {
    const op = d.kind === 'http' ? d.description : undefined;
    if (!op || (op.auth !== 'apiKey' && op.auth !== 'adminKey')) continue;
    if (!op.doc) throw new Error(`${op.name}: a route of the API needs its doc (summary, tag)`);
    operations.push(op as ApiOperation);
  }
  return operations;
}

/** What every operation can answer, from what it does: authenticate, read a body or query, reach storage. */
export function commonProblems(op: Pick<RouteDescription, 'auth' | 'body' | 'query'>): ProblemCode[] {
  const codes: ProblemCode[] = ['unauthorized', 'internal_error', 'dependency_unavailable'];
  if (op.auth === 'apiKey') codes.push('client_disabled');
  if (op.auth === 'adminKey') codes.push('admin_role_required', 'identity_platform_unavailable');
  if (op.body) codes.push('invalid_json', 'invalid_field', 'body_too_large', 'unsupported_media_type');
  if (op.query) codes.push('invalid_field');
  return codes;
}

/** Every code an operation can answer, sorted by status then code. */
export function operationProblems(op: RouteDescription): ProblemCode[] {
  const all = new Set<ProblemCode>([...commonProblems(op), ...op.problems]);
  return [...all].sort((a, b) => PROBLEM_CODES[a].status - PROBLEM_CODES[b].status || a.localeCompare(b));
}

/** JSON Schema (2020-12, as OpenAPI 3.1 uses) of what a request may send: the input side of transforms. */
export function requestJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return strip(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }));
}

function responseJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return strip(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any', target: 'draft-2020-12' }));
}

function strip(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

const problemSchema = z
  .object({
    type: z.string().describe('urn:calendar-bridge:problem:<code>'),
    title: z.string(),
    status: z.number().int(),
    code: z.string().describe('stable machine-readable code'),
    detail: z.string().optional(),
    field: z.string().optional().describe('the request field at fault'),
    connectionId: z.string().optional(),
    connectionStatus: z.string().optional().describe('connection_not_active: the connection status'),
    connectUrl: z.string().optional().describe('connection_needs_reauth, consent_missing: a fresh connect link to send the user to'),
    connectUrlExpiresAt: z.string().optional().describe('when connectUrl expires'),
    missingScopes: z.array(z.string()).optional().describe('consent_missing: the scopes the user has not consented to'),
    tenantId: z.string().optional().describe('tenant_consent_required: the tenant that must consent'),
    graphCode: z.string().optional().describe("graph_rejected: Microsoft Graph's error code"),
    current: z.record(z.string(), z.unknown()).optional().describe('event_changed_in_calendar: the event as Outlook has it now'),
    moveId: z.string().optional().describe('booking_move_in_progress: the move still running'),
  })
  .loose();

const WHEN_HEADERS: Record<number, Record<string, unknown>> = {
  401: { 'WWW-Authenticate': { description: 'Bearer realm="calendar-bridge"', schema: { type: 'string' } } },
  503: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'string' } } },
  504: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'string' } } },
};

function problemResponses(codes: readonly ProblemCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of codes) byStatus.set(PROBLEM_CODES[code].status, [...(byStatus.get(PROBLEM_CODES[code].status) ?? []), code]);
  const responses: Record<string, unknown> = {};
  for (const [status, list] of byStatus) {
    responses[String(status)] = {
      description: list.map((code) => `\`${code}\`: ${PROBLEM_CODES[code].meaning}`).join('\n\n'),
      ...(WHEN_HEADERS[status] ? { headers: WHEN_HEADERS[status] } : {}),
      content: {
        'application/problem+json': {
          schema: { allOf: [{ $ref: '#/components/schemas/Problem' }, { type: 'object', properties: { code: { enum: list } } }] },
          examples: Object.fromEntries(list.map((code) => [code, { value: problemBody(code, PROBLEM_CODES[code].meaning) }])),
        },
      },
    };
  }
  return responses;
}

function webhookDescriptions(): Record<string, unknown> {
  const webhooks: Record<string, unknown> = {};
  for (const [type, event] of Object.entries(WEBHOOK_EVENTS) as [WebhookEventType, (typeof WEBHOOK_EVENTS)[WebhookEventType]][]) {
    const body = z.object({ id: z.string().describe('evt_...; also the webhook-id header'), type: z.literal(type), occurredAt: z.string().describe('ISO 8601'), data: event.data });
    webhooks[type] = {
      post: {
        operationId: `webhook_${type.replace(/\./g, '_')}`,
        summary: event.summary,
        description: `${event.fires}\n\nSigned as Standard Webhooks: \`webhook-id\`, \`webhook-timestamp\`, \`webhook-signature\`.`,
        tags: ['Webhooks'],
        security: [],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: responseJsonSchema(body),
              example: { id: 'evt_9Vw1cXk3gQ8y2rT4', type, occurredAt: '2030-05-06T08:00:03.000Z', data: event.example },
            },
          },
        },
        responses: {
          '2XX': { description: 'Received. Answer within 10 seconds.' },
          '4XX': { description: 'Refused (for example a signature that does not verify): retried with backoff for 24 hours, then dead-lettered.' },
        },
      },
    };
  }
  return webhooks;
}

const TAG_DESCRIPTIONS: Record<string, string> = {
  Connections: 'Connect links and the calendar connections they make',
  Bookings: 'Bookings as Outlook events, busy time and availability',
  Spaces: 'Rooms and spaces (application access)',
  Mail: 'Mail from the connected mailbox',
  Admin: "The operator's API (admin key)",
  Webhooks: 'Signed events POSTed to the booking system',
};

export function buildOpenApiDocument(definitions: readonly FunctionDefinition[], info: { version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of apiOperations(definitions)) {
    const path = `/api/${op.route}`;
    const pathParams = [...op.route.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const queryParams = op.query
      ? Object.entries((op.query as z.ZodObject).shape).map(([name, schema]) => ({
          name,
          in: 'query',
          required: !(schema as z.ZodType).safeParse(undefined).success,
          schema: requestJsonSchema(schema as z.ZodType),
        }))
      : [];
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(op.answers)) {
      responses[status] = schema ? { description: 'OK', content: { 'application/json': { schema: responseJsonSchema(schema) } } } : { description: 'OK' };
    }
    Object.assign(responses, problemResponses(operationProblems(op)));
    const media = op.body ? { schema: requestJsonSchema(op.body), ...(op.doc.example === undefined ? {} : { example: op.doc.example }) } : undefined;
    (paths[path] ??= {})[op.method.toLowerCase()] = {
      operationId: op.name,
      summary: op.doc.summary,
      tags: [op.doc.tag],
      security: [{ [op.auth]: [] }],
      ...(pathParams.length + queryParams.length ? { parameters: [...pathParams, ...queryParams] } : {}),
      ...(op.body ? { requestBody: { required: !op.body.safeParse(undefined).success, content: { 'application/json': media } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Calendar Bridge API',
      version: info.version,
      description: 'The booking-system API (API key) and the operator API (admin key) of Calendar Bridge, and the webhooks it sends.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    // Relative, so it is right wherever the document is served from (a local run, Azure, a proxy).
    servers: [{ url: '/', description: 'The host that serves this document' }],
    tags: Object.entries(TAG_DESCRIPTIONS).map(([name, description]) => ({ name, description })),
    paths,
    webhooks: webhookDescriptions(),
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: "The booking system's API key" },
        adminKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            "The operator's credential: an Entra ID access token of the admin tenant for the app's own registration with the app role CalendarBridge.Admin (in Azure), or the shared admin key (secret ADMIN_KEY_SECRET_NAME; locally, and in Azure only with ADMIN_KEY_ENABLED=true)",
        },
      },
      schemas: { Problem: responseJsonSchema(problemSchema) },
    },
  };
}
