// The OpenAPI document at GET /api/openapi.json is kept true: every booking-system and admin route of
// functions/definitions.ts is in it with its method and security (and nothing else is), each request body
// and query is the JSON Schema of the zod schema the function parses with, every problem code is listed
// under its status with an example, and every webhook event type is described with its data and example.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { definitions } from '../../functions/definitions.js';
import { connectLinkBody } from '../../shared/connect/connect-link-request.js';
import { createSpaceRequest } from '../../shared/spaces/manage-spaces.js';
import { createClientSchema, rotateKeySchema } from '../../shared/clients/manage-clients.js';
import { mailSettingsSchema } from '../../shared/mail/mail-settings.js';
import { listDeadLettersQuery } from '../../shared/webhooks/dead-letters.js';
import { rotateSigningSecretSchema } from '../../shared/webhooks/signing-secrets.js';
import { pauseSchema } from '../../shared/admin/pause.js';
import { API_OPERATIONS } from '../../functions/api-description.js';
import { PROBLEM_CODES } from '../../shared/http/problem-codes.js';
import { WEBHOOK_EVENTS, WEBHOOK_EVENT_TYPES } from '../../shared/webhooks/event-catalogue.js';
import { apiDocument } from '../../scripts/api-docs.js';
import { listConnectionsQuery } from '../../shared/connect/connection-view.js';
import { availabilityRequest } from '../../shared/availability/availability.js';
import { busyQuery } from '../../shared/availability/busy.js';
import { createBookingRequest, updateBookingRequest } from '../../shared/bookings/booking-request.js';
import { cancelBookingRequest } from '../../shared/bookings/cancel-booking.js';
import { calendarChoiceSchema } from '../../shared/connect/calendars.js';
import { requestJsonSchema } from '../../shared/openapi/document.js';
import { sendMailSchema } from '../../shared/mail/send-mail.js';
import { xoauth2Schema } from '../../shared/mail/xoauth2.js';
import type { HttpFunctionDefinition } from '../../shared/runtime/function-definitions.js';
import { startAppHost, type AppHost } from '../support/app-host.js';

/** HTTP functions that are not the API, and why. */
const NOT_THE_API: Record<string, RegExp> = {
  'health and this document': /^(health|openapi)$/,
  'pages a browser opens during connect': /^(connect|connectPicker|authCallback|tenantConsentCallback)$/,
  'called by Microsoft Graph': /^graph(Notifications|Lifecycle)$/,
  'the local console (simulated mode only, shared/console)': /^console/,
};

/** The schemas the functions parse bodies and queries with (imported from where the functions get them). */
const BODIES: Record<string, z.ZodType> = {
  connectLinks: connectLinkBody,
  createSpace: createSpaceRequest,
  updateConnection: calendarChoiceSchema,
  createBooking: createBookingRequest,
  updateBooking: updateBookingRequest,
  cancelBooking: cancelBookingRequest.optional(),
  availability: availabilityRequest,
  connectionMail: sendMailSchema,
  connectionXoauth2: xoauth2Schema,
  manageClientsCreate: createClientSchema,
  manageClientsRotateKey: rotateKeySchema.optional(),
  manageClientsRotateSigningSecret: rotateSigningSecretSchema.optional(),
  manageClientsMail: mailSettingsSchema,
  manageSystemPause: pauseSchema.optional(),
};
const QUERIES: Record<string, z.ZodObject> = {
  listConnections: listConnectionsQuery,
  connectionBusy: busyQuery as unknown as z.ZodObject,
  spaceBusy: busyQuery as unknown as z.ZodObject,
  manageDeadLettersList: listDeadLettersQuery,
};

let app: AppHost;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let doc: any;

beforeAll(async () => {
  app = await startAppHost();
  const res = await fetch(`${app.url}/api/openapi.json`);
  expect(res.status).toBe(200);
  doc = await res.json();
});
afterAll(async () => {
  await app?.close();
});

const apiFunctions = () =>
  definitions.filter((d): d is HttpFunctionDefinition => d.kind === 'http' && !Object.values(NOT_THE_API).some((re) => re.test(d.name)));

describe('GET /api/openapi.json', () => {
  it('is the OpenAPI 3.1 document the code builds, with the API key and admin key schemes', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc).toEqual({ ...apiDocument(), info: { ...(apiDocument().info as object), version: app.services.config.version } });
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.adminKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('describes the admin API with the admin key, and the booking-system API with the API key', () => {
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { security: unknown }>>)) {
      for (const op of Object.values(ops)) expect(op.security, path).toEqual([{ [path.startsWith('/api/manage/') ? 'adminKey' : 'apiKey']: [] }]);
    }
    expect(doc.paths['/api/manage/clients'].post.requestBody.content['application/json'].schema).toEqual(requestJsonSchema(createClientSchema));
  });

  it('lists every problem code an operation can answer under its status, with an example of each', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON document walked by its keys
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, any> }>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const problems = Object.entries(op.responses).filter(([status]) => Number(status) >= 400);
        expect(problems.length, `${method} ${path}`).toBeGreaterThan(0);
        for (const [status, response] of problems) {
          const media = response.content['application/problem+json'];
          const codes: string[] = media.schema.allOf[1].properties.code.enum;
          for (const code of codes) {
            expect(PROBLEM_CODES[code as keyof typeof PROBLEM_CODES].status, `${method} ${path} ${code}`).toBe(Number(status));
            expect(media.examples[code].value).toMatchObject({ status: Number(status), code, type: `urn:calendar-bridge:problem:${code}` });
          }
        }
        expect(op.responses['401'].content['application/problem+json'].schema.allOf[1].properties.code.enum).toContain('unauthorized');
      }
    }
    // The codes a developer was missing: 409 connection_not_active and the reauth link's fields.
    expect(doc.paths['/api/bookings'].post.responses['409'].content['application/problem+json'].schema.allOf[1].properties.code.enum).toEqual(
      expect.arrayContaining(['connection_not_active', 'connection_needs_reauth']),
    );
    expect(Object.keys(doc.components.schemas.Problem.properties)).toEqual(expect.arrayContaining(['connectUrl', 'connectUrlExpiresAt', 'missingScopes']));
  });

  it('gives request examples that the schemas accept', () => {
    for (const op of API_OPERATIONS) if (op.example !== undefined) expect(op.body!.safeParse(op.example).success, op.name).toBe(true);
  });

  it('describes each webhook event type with its data schema and an example the schema accepts', () => {
    expect(Object.keys(doc.webhooks).sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort());
    for (const type of WEBHOOK_EVENT_TYPES) {
      const media = doc.webhooks[type].post.requestBody.content['application/json'];
      expect(media.schema.properties.type.const).toBe(type);
      expect(Object.keys(media.schema.properties.data.properties).sort()).toEqual(Object.keys(WEBHOOK_EVENTS[type].data.shape).sort());
      expect(WEBHOOK_EVENTS[type].data.safeParse(media.example.data).success, type).toBe(true);
      expect(doc.webhooks[type].post.description).toContain(WEBHOOK_EVENTS[type].fires);
    }
  });

  it('describes every API route with its method, and no other', () => {
    const fromCode = apiFunctions().flatMap((d) => d.methods.map((m) => `${m} /api/${d.route} ${d.name}`)).sort();
    const fromSpec = Object.entries(doc.paths as Record<string, Record<string, { operationId: string }>>)
      .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`))
      .sort();
    expect(fromSpec).toEqual(fromCode);
  });

  it('has, for each request body and query, exactly the schema the function parses with', () => {
    for (const d of apiFunctions()) {
      for (const method of d.methods) {
        const op = doc.paths[`/api/${d.route}`][method.toLowerCase()];
        const body = op.requestBody?.content['application/json'].schema;
        expect(body, `${d.name} request body`).toEqual(BODIES[d.name] ? requestJsonSchema(BODIES[d.name]!) : undefined);
        const query = (op.parameters ?? []).filter((p: { in: string }) => p.in === 'query');
        const expected = QUERIES[d.name];
        expect(query.map((p: { name: string }) => p.name), `${d.name} query`).toEqual(expected ? Object.keys(expected.shape) : []);
      }
    }
  });

  it('asks for authentication first, and describes the create body as strict with its required fields', async () => {
    const res = await fetch(`${app.url}/api/bookings`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401); // authentication comes first
    const schema = doc.paths['/api/bookings'].post.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(expect.arrayContaining(['bookingId', 'subject', 'start', 'end', 'timeZone']));
    // One of connectionId (a user's calendar) and spaceId (a room's) names where the event goes.
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['connectionId', 'spaceId']));
    expect(schema.additionalProperties).toBe(false);
  });
});
