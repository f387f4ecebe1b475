// GET /api/connections?externalUserId=: the calling client's connections of one of its users.
import { odata } from '@azure/data-tables';
import * as z from 'zod';
import type { Services } from '../services.js';
import { escapeKey } from '../store/keys.js';
import { connectionView, type ConnectionView } from './connection-view.js';

export const listConnectionsQuery = z.object({ externalUserId: z.string().trim().min(1).max(256) });

export async function listConnections(services: Pick<Services, 'store'>, clientId: string, externalUserId: string): Promise<ConnectionView[]> {
  const filter = odata`PartitionKey eq ${escapeKey(clientId)} and externalUserId eq ${externalUserId}`;
  const items = [];
  for await (const { entity } of services.store.connections.queryAll(filter)) items.push(connectionView(entity));
  return items;
}
