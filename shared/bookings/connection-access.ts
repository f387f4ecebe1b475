// The connection a booking-system request names, ready for Graph calls: it must be the caller's (404
// otherwise), active, and hold a working token. A connection that lost access answers 409
// connection_needs_reauth carrying a fresh connect link, so the booking system can send its user straight back.
import type { Client } from '@microsoft/microsoft-graph-client';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { createConnectLinkForReauth, getGraphClientForConnection, NeedsReauthError } from '../auth/connection-tokens.js';
import * as z from 'zod';
import { AppError } from '../errors/app-error.js';
import { externalId } from './booking-request.js';
import type { Services } from '../services.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { graphProblem } from '../graph/graph-problems.js';
import { describeError } from '../logging.js';
import { appOnlyGraph } from '../spaces/space-access.js';
import { isSpaceOwnerId, parseSpaceOwnerId, spaceAsOwner, type CalendarOwner } from '../spaces/space-owner.js';
import type { ProblemCode } from '../errors/catalogue.js';

/** The path of a route under `connections/{id}/...`; an id no connection could have is a 404 (unknownConnection). */
export const connectionRouteParams = z.object({ id: externalId });
export const unknownConnection = { code: 'connection_not_found', what: 'connection' } as const;

/** The caller's connection, or 404 naming the field; 409 when it cannot be used. */
export async function requireConnection(services: Services, clientId: string, connectionId: string, field = 'connectionId'): Promise<ConnectionEntity> {
  const found = await services.store.connections.getConnection(clientId, connectionId);
  if (!found) throw new AppError('connection_not_found', `${field}: no such connection`, { field });
  const connection = found.entity;
  if (connection.status === 'needs_reauth') throw await reauthProblem(services, connection, field);
  if (connection.status !== 'active') {
    throw new AppError('connection_not_active', `${field}: the connection is ${connection.status}`, { field, extra: { connectionId, connectionStatus: connection.status } });
  }
  return connection;
}

/**
 * The owner of a booking's calendar, as a booking row names it: a connection, or a space booked in its
 * room's own calendar (shared/spaces/space-owner.ts). 404 when it is gone.
 */
export async function requireCalendarOwner(services: Services, clientId: string, ownerId: string, field = 'connectionId'): Promise<CalendarOwner> {
  if (!isSpaceOwnerId(ownerId)) return requireConnection(services, clientId, ownerId, field);
  const ids = parseSpaceOwnerId(ownerId);
  const space = ids?.clientId === clientId ? (await services.store.spaces.getSpace(clientId, ids.spaceId))?.entity : undefined;
  if (!space || space.status !== 'active') throw new AppError('space_not_found', 'spaceId: the space of this booking no longer exists', { field: 'spaceId' });
  return spaceAsOwner(space);
}

/** 409 connection_needs_reauth with a fresh connect link (without one if the client has no return origin). */
export async function reauthProblem(services: Services, connection: ConnectionEntity, field?: string): Promise<AppError> {
  const extra: Record<string, unknown> = { connectionId: connection.rowKey };
  try {
    const link = await createConnectLinkForReauth(connection, services);
    extra.connectUrl = link.url;
    extra.connectUrlExpiresAt = link.expiresAt;
  } catch (error) {
    console.warn(`no re-connect link for connection ${connection.rowKey}: ${describeError(error)}`);
  }
  return new AppError('connection_needs_reauth', 'The connection has lost access to the calendar; the user must connect again.', { field, extra });
}

export interface ConnectedGraph {
  connection: ConnectionEntity;
  graph: Client;
  /** Runs Graph calls, turning every failure into the API's problem (reauth, throttling, 5xx, timeout). */
  call<T>(fn: (graph: Client) => Promise<T>): Promise<T>;
}

/**
 * A Graph client for the connection. It acquires (and, when stale, refreshes) the token before anything is
 * sent, so a dead refresh token is a clean 409 here, and the Graph request itself finds the token cached.
 */
export async function connectedGraph(services: Services, connection: CalendarOwner, field?: string): Promise<ConnectedGraph> {
  // A space's room is reached app-only: no user token, no re-authentication.
  if (connection.space) return appOnlyGraph(services, { ...connection, space: connection.space }, field);
  let graph: Client;
  try {
    graph = await getGraphClientForConnection(connection, services);
  } catch (error) {
    if (error instanceof NeedsReauthError) throw await reauthProblem(services, error.connection, field);
    throw error;
  }
  return {
    connection,
    graph,
    call: async (fn) => {
      try {
        return await fn(graph);
      } catch (error) {
        throw await asApiProblem(services, connection, error, field);
      }
    },
  };
}

/** The API problem for a failure inside a Graph call (the Graph client hides a token failure in a GraphError). */
export async function asApiProblem(services: Services, connection: ConnectionEntity, error: unknown, field?: string): Promise<AppError> {
  if (error instanceof NeedsReauthError) return reauthProblem(services, error.connection, field);
  if (error instanceof GraphError && error.statusCode === -1 && error.code === 'AppError') {
    const current = await services.store.connections.getConnection(connection.partitionKey, connection.rowKey);
    if (current?.entity.status === 'needs_reauth') return reauthProblem(services, current.entity, field);
  }
  return graphProblem(error);
}

/** What a call that uses a connection can answer: it must be the caller's, active and still hold a token. */
export const CONNECTION_PROBLEMS: readonly ProblemCode[] = ['connection_not_found', 'connection_not_active', 'connection_needs_reauth'];
