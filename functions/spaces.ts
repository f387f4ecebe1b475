// The space API (API key), always scoped to the calling client: a space maps one of its bookable spaces
// to a room mailbox of a consented tenant (docs/rooms.md). Another client's space id is 404.
import * as z from 'zod';
import { busyQuery, busyResponse, readBusy, toBusyResponse } from '../shared/availability/busy.js';
import { windowOf } from '../shared/availability/time-window.js';
import { externalId } from '../shared/bookings/booking-request.js';
import { GRAPH_PROBLEMS } from '../shared/graph/graph-problems.js';
import { apiRoute } from '../shared/http/api-route.js';
import { createSpace, createSpaceRequest, deleteSpace, listSpaces, spaceView, spaceViewWithHealth, toSpaceView } from '../shared/spaces/manage-spaces.js';
import { requireSpace } from '../shared/spaces/space-access.js';
import { spaceAsOwner } from '../shared/spaces/space-owner.js';

const route = 'spaces/{spaceId}';
// A malformed space id cannot exist: 404 like an unknown one.
const params = z.object({ spaceId: externalId });
const unknownId = { code: 'space_not_found', what: 'space' } as const;
const tag = 'Spaces';

export const createSpaceFunction = apiRoute({
  name: 'createSpace',
  route: 'spaces',
  method: 'POST',
  auth: 'apiKey',
  body: createSpaceRequest,
  maxBodyBytes: 8 * 1024,
  answers: { 200: spaceView, 201: spaceView },
  problems: ['tenant_consent_required', 'space_exists', 'not_a_room', 'room_not_found', ...GRAPH_PROBLEMS],
  doc: { tag, summary: 'Map a space to a room mailbox of a consented tenant', example: { spaceId: 'room-101', roomEmail: 'room101@contoso.com' } },
  handle: async ({ services, client, body }) => {
    const { created, space } = await createSpace(services, client, body);
    return { status: created ? 201 : 200, body: await spaceViewWithHealth(services, space) };
  },
});

export const listSpacesFunction = apiRoute({
  name: 'listSpaces',
  route: 'spaces',
  method: 'GET',
  auth: 'apiKey',
  answers: { 200: z.object({ value: z.array(spaceView) }) },
  problems: [],
  doc: { tag, summary: "The client's spaces" },
  handle: async ({ services, client }) => ({ status: 200, body: { value: (await listSpaces(services, client.rowKey)).map((s) => toSpaceView(s)) } }),
});

export const getSpaceFunction = apiRoute({
  name: 'getSpace',
  route,
  method: 'GET',
  auth: 'apiKey',
  params,
  unknownId,
  answers: { 200: spaceView },
  problems: ['space_not_found'],
  doc: { tag, summary: 'Read a space' },
  handle: async ({ services, client, params }) => ({ status: 200, body: await spaceViewWithHealth(services, await requireSpace(services, client.rowKey, params.spaceId)) }),
});

export const deleteSpaceFunction = apiRoute({
  name: 'deleteSpace',
  route,
  method: 'DELETE',
  auth: 'apiKey',
  params,
  unknownId,
  answers: { 200: spaceView },
  problems: ['space_not_found'],
  doc: { tag, summary: "Remove a space (its room's subscriptions go; written events stay)" },
  handle: async ({ services, client, params }) => ({ status: 200, body: toSpaceView(await deleteSpace(services, client, params.spaceId)) }),
});

export const spaceBusyFunction = apiRoute({
  name: 'spaceBusy',
  route: `${route}/busy`,
  method: 'GET',
  auth: 'apiKey',
  params,
  unknownId,
  query: busyQuery,
  answers: { 200: busyResponse },
  problems: ['space_not_found', 'tenant_consent_required', ...GRAPH_PROBLEMS],
  doc: { tag, summary: "Merged busy intervals (UTC) of the space's room" },
  handle: async ({ services, client, params, query }) => {
    const space = await requireSpace(services, client.rowKey, params.spaceId);
    // The same read as a connection's: the busy cache when synced and covering the window, else live.
    return { status: 200, body: toBusyResponse(await readBusy(services, spaceAsOwner(space), windowOf(query), 'spaceId')) };
  },
});

export const spaceFunctions = [createSpaceFunction, listSpacesFunction, getSpaceFunction, deleteSpaceFunction, spaceBusyFunction];
