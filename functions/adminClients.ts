// Operator API for booking-system clients (admin key). Routes live under /api/manage: the Azure Functions
// host reserves routes and function names starting with "admin" (https://github.com/Azure/azure-functions-host/issues/1781).
import * as z from 'zod';
import { apiRoute } from '../shared/http/api-route.js';
import { clientViewSchema, createClient, createClientSchema, disableClient, disconnectAllConnections, disconnectAllSchema, listClients, rotateApiKey, rotateKeySchema } from '../shared/clients/manage-clients.js';

const params = z.object({ clientId: z.string() });
const tag = 'Admin';

export const manageClientsCreateFunction = apiRoute({
  name: 'manageClientsCreate',
  route: 'manage/clients',
  method: 'POST',
  auth: 'adminKey',
  body: createClientSchema,
  maxBodyBytes: 16 * 1024,
  answers: { 201: clientViewSchema.extend({ apiKey: z.string(), signingSecret: z.string() }) },
  problems: ['webhook_url_not_allowed'],
  doc: {
    tag,
    summary: 'Register a booking system; its API key and webhook signing secret are in this answer only',
    example: { name: 'Acme Booking', allowedReturnOrigins: ['https://book.acme.example'], webhookUrl: 'https://book.acme.example/hooks' },
  },
  handle: async ({ services, body }) => ({ status: 201, body: await createClient(body, services) }),
});

export const manageClientsListFunction = apiRoute({
  name: 'manageClientsList',
  route: 'manage/clients',
  method: 'GET',
  auth: 'adminKey',
  answers: { 200: z.object({ value: z.array(clientViewSchema) }) },
  problems: [],
  doc: { tag, summary: 'Every booking system' },
  handle: async ({ services }) => ({ status: 200, body: { value: await listClients(services) } }),
});

export const manageClientsRotateKeyFunction = apiRoute({
  name: 'manageClientsRotateKey',
  route: 'manage/clients/{clientId}/rotate-key',
  method: 'POST',
  auth: 'adminKey',
  params,
  body: rotateKeySchema.optional(),
  maxBodyBytes: 1024,
  answers: { 200: clientViewSchema.extend({ apiKey: z.string() }) },
  problems: ['not_found'],
  doc: { tag, summary: 'A new API key (shown once); the previous one keeps working until the next rotation unless revokePrevious', example: { revokePrevious: true } },
  handle: async ({ services, params, body }) => ({ status: 200, body: await rotateApiKey(params.clientId, body ?? {}, services) }),
});

export const manageClientsDisableFunction = apiRoute({
  name: 'manageClientsDisable',
  route: 'manage/clients/{clientId}/disable',
  method: 'POST',
  auth: 'adminKey',
  params,
  answers: { 200: clientViewSchema },
  problems: ['not_found'],
  doc: { tag, summary: 'Disable a booking system: its requests answer 403 client_disabled' },
  handle: async ({ services, params }) => ({ status: 200, body: await disableClient(params.clientId, services) }),
});

export const manageClientsDisconnectAllFunction = apiRoute({
  name: 'manageClientsDisconnectAll',
  route: 'manage/clients/{clientId}/disconnect-all',
  method: 'POST',
  auth: 'adminKey',
  params,
  answers: { 202: disconnectAllSchema },
  problems: ['not_found'],
  doc: {
    tag,
    summary: 'Disconnect every connection of a booking system (queued, page by page; runs while paused too). Events already written stay in Outlook',
  },
  handle: async ({ services, params }) => ({ status: 202, body: await disconnectAllConnections(params.clientId, services) }),
});

export const adminClientFunctions = [
  manageClientsCreateFunction,
  manageClientsListFunction,
  manageClientsRotateKeyFunction,
  manageClientsDisableFunction,
  manageClientsDisconnectAllFunction,
];
