// The space API (API key), always scoped to the calling client: a space maps one of its bookable spaces
// to a room mailbox of a consented tenant (docs/rooms.md). Another client's space id is 404.
import type { HttpRequest } from '@azure/functions';
import { busyQuery, readBusy, toBusyResponse } from '../shared/availability/busy.js';
import { windowOf } from '../shared/availability/time-window.js';
import { externalId } from '../shared/bookings/booking-request.js';
import { authenticateClient } from '../shared/http/authenticate-client.js';
import { httpHandler, parseWith, readJson } from '../shared/http/handle.js';
import { AppError } from '../shared/errors/app-error.js';
import type { HttpFunctionDefinition } from '../shared/runtime/function-definitions.js';
import { getServices, type Services } from '../shared/services.js';
import { createSpace, createSpaceRequest, deleteSpace, listSpaces, spaceViewWithHealth, toSpaceView } from '../shared/spaces/manage-spaces.js';
import { requireSpace } from '../shared/spaces/space-access.js';
import { spaceAsOwner } from '../shared/spaces/space-owner.js';
import type { ClientEntity } from '../shared/store/repositories/clients.js';

const MAX_BODY_BYTES = 8 * 1024;
const json = (status: number, body: unknown) => ({ status, headers: { 'Cache-Control': 'no-store' }, jsonBody: body });

/** The route's space id, checked against the id alphabet (a malformed one cannot exist: 404). */
function routeSpaceId(request: HttpRequest): string {
  const id = externalId.safeParse(request.params.spaceId ?? '');
  if (!id.success) throw new AppError('space_not_found', 'spaceId: no such space', { field: 'spaceId' });
  return id.data;
}

async function caller(request: HttpRequest): Promise<{ services: Services; client: ClientEntity }> {
  const services = getServices();
  return { services, client: await authenticateClient(request, services) };
}

export const createSpaceFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'createSpace',
  route: 'spaces',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const { services, client } = await caller(request);
    const body = await readJson(request, createSpaceRequest, MAX_BODY_BYTES);
    const { created, space } = await createSpace(services, client, body);
    return json(created ? 201 : 200, await spaceViewWithHealth(services, space));
  }),
};

export const listSpacesFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'listSpaces',
  route: 'spaces',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const { services, client } = await caller(request);
    return json(200, { value: (await listSpaces(services, client.rowKey)).map((s) => toSpaceView(s)) });
  }),
};

export const getSpaceFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'getSpace',
  route: 'spaces/{spaceId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const { services, client } = await caller(request);
    const space = await requireSpace(services, client.rowKey, routeSpaceId(request));
    return json(200, await spaceViewWithHealth(services, space));
  }),
};

export const deleteSpaceFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'deleteSpace',
  route: 'spaces/{spaceId}',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const { services, client } = await caller(request);
    return json(200, toSpaceView(await deleteSpace(services, client, routeSpaceId(request))));
  }),
};

export const spaceBusyFunction: HttpFunctionDefinition = {
  kind: 'http',
  name: 'spaceBusy',
  route: 'spaces/{spaceId}/busy',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async (request) => {
    const { services, client } = await caller(request);
    const query = parseWith(busyQuery, { start: request.query.get('start') ?? undefined, end: request.query.get('end') ?? undefined });
    const space = await requireSpace(services, client.rowKey, routeSpaceId(request));
    // The same read as a connection's: the busy cache when synced and covering the window, else live.
    const result = await readBusy(services, spaceAsOwner(space), windowOf(query), 'spaceId');
    return json(200, toBusyResponse(result));
  }),
};

export const spaceFunctions = [createSpaceFunction, listSpacesFunction, getSpaceFunction, deleteSpaceFunction, spaceBusyFunction];
