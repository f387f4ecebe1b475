// The connection API (API key), always scoped to the calling client: another client's connection id is 404.
import * as z from 'zod';
import { withConnectionGraph } from '../shared/auth/connection-tokens.js';
import { CONNECTION_PROBLEMS, unknownConnection } from '../shared/bookings/connection-access.js';
import { calendarInfoSchema, listCalendars } from '../shared/connect/calendars.js';
import { connectionView, connectionViewSchema } from '../shared/connect/connection-view.js';
import { disconnect } from '../shared/connect/disconnect.js';
import { listConnections, listConnectionsQuery } from '../shared/connect/list-connections.js';
import { ownConnection, viewWithHealth } from '../shared/connect/own-connection.js';
import { adoptBookings, adoptBookingsSchema, connectionUpdateSchema, updateConnectionAndMove } from '../shared/moves/move-requests.js';
import { PAUSE_PROBLEMS } from '../shared/admin/pause.js';
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
  body: connectionUpdateSchema,
  maxBodyBytes: 16 * 1024,
  answers: { 200: connectionViewSchema },
  problems: ['connection_not_found', 'invalid_field', 'consent_missing', 'booking_move_in_progress', ...CONNECTION_PROBLEMS, ...GRAPH_PROBLEMS, ...PAUSE_PROBLEMS],
  doc: {
    tag,
    summary: 'Choose calendars, default reminder and counted showAs; optionally move future bookings to a new booking calendar',
    example: { bookingCalendarId: 'AAMkAGI2TGuMAAA=', moveFutureBookings: true },
  },
  handle: async ({ services, client, params, body }) => {
    const connection = await ownConnection(services, client.rowKey, params.id);
    return { status: 200, body: await viewWithHealth(services, await updateConnectionAndMove(services, client, connection, body)) };
  },
});

export const adoptBookingsFunction = apiRoute({
  name: 'adoptBookings',
  route: `${route}/adopt-bookings`,
  method: 'POST',
  auth: 'apiKey',
  params,
  unknownId,
  body: adoptBookingsSchema,
  maxBodyBytes: 4 * 1024,
  answers: { 202: connectionViewSchema },
  problems: ['connection_not_found', 'invalid_field', 'booking_move_in_progress', ...CONNECTION_PROBLEMS, ...PAUSE_PROBLEMS],
  doc: { tag, summary: "Move the future bookings of the same user's earlier connection to this one", example: { fromConnectionId: '0b6f3c1e-2d4a-4b5c-8d9e-0f1a2b3c4d5e' } },
  handle: async ({ services, client, params, body }) => ({
    status: 202,
    body: connectionView(await adoptBookings(services, client, params.id, body.fromConnectionId)),
  }),
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

export const connectionFunctions = [
  listConnectionsFunction,
  getConnectionFunction,
  connectionCalendarsFunction,
  updateConnectionFunction,
  adoptBookingsFunction,
  deleteConnectionFunction,
];
