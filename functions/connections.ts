// The connection API (API key), always scoped to the calling client: another client's connection id is 404.
import { z } from 'zod';
import { withConnectionGraph } from '../shared/auth/connection-tokens.js';
import { CONNECTION_PROBLEMS, unknownConnection } from '../shared/bookings/connection-access.js';
import { calendarChoiceSchema, calendarInfoSchema, listCalendars } from '../shared/connect/calendars.js';
import { connectionView, connectionViewSchema } from '../shared/connect/connection-view.js';
import { disconnect } from '../shared/connect/disconnect.js';
import { listConnections, listConnectionsQuery } from '../shared/connect/list-connections.js';
import { ownConnection, updateConnection, viewWithHealth } from '../shared/connect/own-connection.js';
import { GRAPH_PROBLEMS } from '../shared/graph/graph-problems.js';
import { apiRoute } from '../shared/http/api-route.js';

const route = 'connections/{id}';
const params = z.object({ id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/) });
const unknownId = unknownConnection;
const tag = 'Connections';

export const listConnectionsFunction = apiRoute({
  name: 'listConnections',
  route: 'connections',
  method: 'GET',
  auth: 'apiKey',
  query: listConnectionsQuery,
  answers: { 200: z.object({ value: z.array(connectionViewSchema) }) },
  problems: [],
  doc: { tag, summary: "List a user's connections" },
  handle: async ({ services, client, query }) => ({ status: 200, body: { value: await listConnections(services, client.rowKey, query.externalUserId) } }),
});

export const getConnectionFunction = apiRoute({
  name: 'getConnection',
  route,
  method: 'GET',
  auth: 'apiKey',
  params,
  unknownId,
  answers: { 200: connectionViewSchema },
  problems: ['connection_not_found'],
  doc: { tag, summary: 'Read a connection' },
  handle: async ({ services, client, params }) => ({ status: 200, body: await viewWithHealth(services, await ownConnection(services, client.rowKey, params.id)) }),
});

export const connectionCalendarsFunction = apiRoute({
  name: 'connectionCalendars',
  route: `${route}/calendars`,
  method: 'GET',
  auth: 'apiKey',
  params,
  unknownId,
  answers: { 200: z.object({ value: z.array(calendarInfoSchema) }) },
  problems: ['connection_not_found', ...CONNECTION_PROBLEMS, ...GRAPH_PROBLEMS],
  doc: { tag, summary: "The user's calendars, live" },
  handle: async ({ services, client, params }) => {
    const connection = await ownConnection(services, client.rowKey, params.id);
    return { status: 200, body: { value: await withConnectionGraph(connection, listCalendars, services) } };
  },
});

export const updateConnectionFunction = apiRoute({
  name: 'updateConnection',
  route,
  method: 'PATCH',
  auth: 'apiKey',
  params,
  unknownId,
  body: calendarChoiceSchema,
  maxBodyBytes: 16 * 1024,
  answers: { 200: connectionViewSchema },
  problems: ['connection_not_found', 'consent_missing', ...CONNECTION_PROBLEMS, ...GRAPH_PROBLEMS],
  doc: { tag, summary: 'Choose calendars, default reminder and counted showAs', example: { busyShowAs: ['busy', 'oof'], defaultReminderMinutes: 15 } },
  handle: async ({ services, client, params, body }) => {
    const connection = await ownConnection(services, client.rowKey, params.id);
    return { status: 200, body: await viewWithHealth(services, await updateConnection(services, connection, body)) };
  },
});

export const deleteConnectionFunction = apiRoute({
  name: 'deleteConnection',
  route,
  method: 'DELETE',
  auth: 'apiKey',
  params,
  unknownId,
  answers: { 200: connectionViewSchema },
  problems: ['connection_not_found'],
  doc: { tag, summary: 'Disconnect (written events stay in Outlook)' },
  handle: async ({ services, client, params }) => {
    const connection = await ownConnection(services, client.rowKey, params.id);
    return { status: 200, body: connectionView(await disconnect(connection, services)) };
  },
});

export const connectionFunctions = [listConnectionsFunction, getConnectionFunction, connectionCalendarsFunction, updateConnectionFunction, deleteConnectionFunction];
