// What the sync code needs from outside, in one place so tests and benches can stand in for parts of it.
import type { Client } from '@microsoft/microsoft-graph-client';
import { getAppGraphClient } from '../auth/app-tokens.js';
import { getGraphClientForConnection } from '../auth/connection-tokens.js';
import type { Services } from '../services.js';
import type { CalendarOwner } from './calendar-owner.js';
import { emitWebhookEvent } from '../webhooks/emit.js';
import type { WebhookEventData, WebhookEventType } from '../webhooks/event-catalogue.js';

export interface SyncDeps {
  services: Services;
  /** A Graph client acting as the connection's user, or app-only for a space's room mailbox. */
  graphFor(owner: CalendarOwner): Client;
  /** `id`: a stable event id, so that a report made again carries the same id (emit.ts stableEventId). */
  emit<T extends WebhookEventType>(clientId: string, type: T, data: WebhookEventData<T>, id?: string): Promise<void>;
  /** How long a change round waits after taking the lease, so a burst of notifications lands in one round. */
  settleMs: number;
}

export const DEFAULT_SETTLE_MS = 1000;

export function defaultSyncDeps(services: Services): SyncDeps {
  return {
    services,
    graphFor: (owner) => (owner.space ? getAppGraphClient(services, owner.space.tenantId, owner.space.roomObjectId) : getGraphClientForConnection(owner, services)),
    emit: async (clientId, type, data, id) => {
      await emitWebhookEvent(services.config.storage, clientId, type, data, id);
    },
    settleMs: DEFAULT_SETTLE_MS,
  };
}
