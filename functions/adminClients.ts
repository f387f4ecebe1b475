// Operator API for booking-system clients (admin key). Routes live under /api/manage: the Azure Functions
// host reserves routes and function names starting with "admin" (https://github.com/Azure/azure-functions-host/issues/1781).
import { authenticateAdmin } from '../shared/http/authenticate-client.js';
import { httpHandler, readJson, readOptionalJson } from '../shared/http/handle.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices } from '../shared/services.js';
import { createClient, createClientSchema, disableClient, listClients, rotateApiKey, rotateKeySchema } from '../shared/clients/manage-clients.js';

const json = (status: number, body: unknown) => ({ status, headers: { 'Cache-Control': 'no-store' }, jsonBody: body });

export const manageClientsCreateFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'manageClientsCreate',
  route: 'manage/clients',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    await authenticateAdmin(request, services);
    return json(201, await createClient(await readJson(request, createClientSchema, 16 * 1024), services));
  }),
};

export const manageClientsListFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'manageClientsList',
  route: 'manage/clients',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    await authenticateAdmin(request, services);
    return json(200, { value: await listClients(services) });
  }),
};

export const manageClientsRotateKeyFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'manageClientsRotateKey',
  route: 'manage/clients/{clientId}/rotate-key',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    await authenticateAdmin(request, services);
    const input = (await readOptionalJson(request, rotateKeySchema, 1024)) ?? {};
    return json(200, await rotateApiKey(request.params.clientId ?? '', input, services));
  }),
};

export const manageClientsDisableFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'manageClientsDisable',
  route: 'manage/clients/{clientId}/disable',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    await authenticateAdmin(request, services);
    return json(200, await disableClient(request.params.clientId ?? '', services));
  }),
};

export const adminClientFunctions = [
  manageClientsCreateFunction,
  manageClientsListFunction,
  manageClientsRotateKeyFunction,
  manageClientsDisableFunction,
];
