// The connection API (API key), always scoped to the calling client: another client's connection id is 404.
import type { HttpRequest } from '@azure/functions';
import { odata } from '@azure/data-tables';
import { withConnectionGraph } from '../shared/auth/connection-tokens.js';
import { applyCalendarChoice, calendarChoiceSchema, listCalendars } from '../shared/connect/calendars.js';
import { connectionView, listConnectionsQuery, subscriptionHealth } from '../shared/connect/connection-view.js';
import { disconnect } from '../shared/connect/disconnect.js';
import { requestSubscriptionSync } from '../shared/sync/calendar-subscriptions.js';
import { authenticateClient } from '../shared/http/authenticate-client.js';
import { httpHandler, parseWith, readJson } from '../shared/http/handle.js';
import { AppError } from '../shared/http/problem.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices, type Services } from '../shared/services.js';
import type { ConnectionEntity } from '../shared/store/repositories/connections.js';
import type { Versioned } from '../shared/store/repository.js';
import { escapeKey } from '../shared/store/keys.js';

const CONNECTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const json = (status: number, body: unknown) => ({ status, headers: { 'Cache-Control': 'no-store' }, jsonBody: body });

/** The calling client's connection named by the route, or 404 (also for another client's id). */
async function ownConnection(request: HttpRequest, services: Services): Promise<Versioned<ConnectionEntity>> {
  const client = await authenticateClient(request, services);
  const id = request.params.id ?? '';
  const found = CONNECTION_ID.test(id) ? await services.store.connections.getConnection(client.rowKey, id) : null;
  if (!found) throw new AppError(404, 'not_found', 'No such connection.');
  return found;
}

export const listConnectionsFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'listConnections',
  route: 'connections',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    const client = await authenticateClient(request, services);
    const { externalUserId } = parseWith(listConnectionsQuery, { externalUserId: request.query.get('externalUserId') ?? undefined });
    const filter = odata`PartitionKey eq ${escapeKey(client.rowKey)} and externalUserId eq ${externalUserId}`;
    const items = [];
    for await (const { entity } of services.store.connections.queryAll(filter)) items.push(connectionView(entity));
    return json(200, { value: items });
  }),
};

export const getConnectionFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'getConnection',
  route: 'connections/{id}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    const { entity } = await ownConnection(request, services);
    const { subscriptions, pushSync } = await subscriptionHealth(entity, services);
    return json(200, connectionView(entity, subscriptions, pushSync));
  }),
};

export const connectionCalendarsFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'connectionCalendars',
  route: 'connections/{id}/calendars',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    const { entity } = await ownConnection(request, services);
    return json(200, { value: await withConnectionGraph(entity, listCalendars, services) });
  }),
};

export const updateConnectionFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'updateConnection',
  route: 'connections/{id}',
  methods: ['PATCH'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    const { entity } = await ownConnection(request, services);
    const choice = await readJson(request, calendarChoiceSchema, 16 * 1024);
    const live = await withConnectionGraph(entity, listCalendars, services);
    applyCalendarChoice(entity, choice, live); // 400 before anything is written
    const saved = await services.store.connections.mutate(entity.partitionKey, entity.rowKey, (current) => applyCalendarChoice(current, choice, live));
    // The busy calendars may have changed: subscriptions follow them (queued; retried by the queue).
    if (choice.busyCalendarIds !== undefined) await requestSubscriptionSync(services, saved.entity);
    const { subscriptions, pushSync } = await subscriptionHealth(saved.entity, services);
    return json(200, connectionView(saved.entity, subscriptions, pushSync));
  }),
};

export const deleteConnectionFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'deleteConnection',
  route: 'connections/{id}',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const services = getServices();
    const { entity } = await ownConnection(request, services);
    return json(200, connectionView(await disconnect(entity, services)));
  }),
};

export const connectionFunctions = [
  listConnectionsFunction,
  getConnectionFunction,
  connectionCalendarsFunction,
  updateConnectionFunction,
  deleteConnectionFunction,
];
