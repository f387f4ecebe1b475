// The OpenAPI document at GET /api/openapi.json is kept true: every booking-system route of
// functions/definitions.ts is in it with its method (and nothing else is), and each request body and query
// is the JSON Schema of the zod schema the function parses with.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { definitions } from '../../functions/definitions.js';
import { connectLinkBody } from '../../functions/connectLinks.js';
import { createSpaceRequest } from '../../shared/spaces/manage-spaces.js';
import { listConnectionsQuery } from '../../functions/connections.js';
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

/** HTTP functions that are not the booking-system API, and why. */
const NOT_BOOKING_SYSTEM_API: Record<string, RegExp> = {
  'health and this document': /^(health|openapi)$/,
  'pages a browser opens during connect': /^(connect|connectPicker|authCallback|tenantConsentCallback)$/,
  'called by Microsoft Graph': /^graph(Notifications|Lifecycle)$/,
  "the operator's admin API": /^manage/,
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
};
const QUERIES: Record<string, z.ZodObject> = {
  listConnections: listConnectionsQuery,
  connectionBusy: busyQuery as unknown as z.ZodObject,
  spaceBusy: busyQuery as unknown as z.ZodObject,
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
  definitions.filter((d): d is HttpFunctionDefinition => d.kind === 'http' && !Object.values(NOT_BOOKING_SYSTEM_API).some((re) => re.test(d.name)));

describe('GET /api/openapi.json', () => {
  it('is an OpenAPI 3.1 document with the API key scheme and the webhook payload', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    const webhook = doc.webhooks.calendarBridgeEvent.post.requestBody.content['application/json'].schema;
    expect(webhook.properties.type.enum).toContain('booking.changed_in_calendar');
  });

  it('describes every booking-system route with its method, and no other', () => {
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
