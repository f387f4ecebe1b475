// Builds the OpenAPI 3.1 document from the zod schemas the handlers themselves parse with, so the
// description cannot drift from the code (test/bookings/openapi.test.ts holds both sides together).
import { z } from 'zod';
import type { WebhookEventType } from '../webhooks/emit.js';

export interface ApiOperation {
  /** The function definition's name (functions/definitions.ts). */
  name: string;
  /** Route below /api, as in the definition: `bookings/{bookingId}`. */
  route: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  summary: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  /** Status -> response body schema (undefined: no schema given). */
  responses: Record<number, z.ZodType | undefined>;
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

export const WEBHOOK_EVENT_TYPES = [
  'busy.changed',
  'booking.changed_in_calendar',
  'booking.deleted_in_calendar',
  'connection.needs_reauth',
  'connection.disconnected',
  'space.busy_changed',
] as const satisfies readonly WebhookEventType[];
// Fails to compile when emit.ts gains an event type this list lacks.
const _allTypesListed: Exclude<WebhookEventType, (typeof WEBHOOK_EVENT_TYPES)[number]> extends never ? true : never = true;
void _allTypesListed;

/** The body of every outbound webhook delivery (shared/webhooks/emit.ts WebhookEvent). */
export const webhookEventSchema = z.object({
  id: z.string(),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  occurredAt: z.string().describe('ISO 8601'),
  data: z.record(z.string(), z.unknown()),
});

const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().describe('stable machine-readable code'),
    detail: z.string().optional(),
    field: z.string().optional().describe('the request field at fault'),
  })
  .loose();

export function buildOpenApiDocument(operations: readonly ApiOperation[], info: { version: string; serverUrl: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = `/api/${op.route}`;
    const pathParams = [...op.route.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const queryParams = op.query
      ? Object.entries(op.query.shape).map(([name, schema]) => ({
          name,
          in: 'query',
          required: !(schema as z.ZodType).safeParse(undefined).success,
          schema: requestJsonSchema(schema as z.ZodType),
        }))
      : [];
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(op.responses)) {
      responses[status] = schema
        ? { description: 'OK', content: { 'application/json': { schema: responseJsonSchema(schema) } } }
        : { description: 'OK' };
    }
    responses.default = { description: 'A problem (RFC 9457)', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
    (paths[path] ??= {})[op.method.toLowerCase()] = {
      operationId: op.name,
      summary: op.summary,
      security: [{ apiKey: [] }],
      ...(pathParams.length + queryParams.length ? { parameters: [...pathParams, ...queryParams] } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: requestJsonSchema(op.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Calendar Bridge booking-system API', version: info.version },
    servers: [{ url: info.serverUrl }],
    paths,
    webhooks: {
      calendarBridgeEvent: {
        post: {
          summary: 'A signed event delivered to the client webhook URL',
          requestBody: { required: true, content: { 'application/json': { schema: responseJsonSchema(webhookEventSchema) } } },
          responses: { '2XX': { description: 'Received' } },
        },
      },
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'The booking system API key' } },
      schemas: { Problem: responseJsonSchema(problemSchema) },
    },
  };
}
