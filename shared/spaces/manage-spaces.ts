// The space API's logic: map a booking system's space to a room mailbox of a tenant
// whose administrator consented, read and list spaces, and remove one. A new space's subscription and
// first full sync run on the calendar-sync queue, exactly as a new connection's do.
import * as z from 'zod';
import { assertWritesAllowed } from '../admin/pause.js';
import { isTenantId, TenantConsentMissingError } from '../auth/app-tokens.js';
import { externalId } from '../bookings/booking-request.js';
import { subscriptionHealth, type SubscriptionHealth } from '../connect/connection-view.js';
import { AppError } from '../errors/app-error.js';
import { describeError } from '../logging.js';
import type { Services } from '../services.js';
import { ConflictError } from '../store/errors.js';
import type { ClientEntity } from '../store/repositories/clients.js';
import type { SpaceBookingMode, SpaceEntity } from '../store/repositories/spaces.js';
import { removeConnectionSubscriptions, requestSubscriptionSync } from '../sync/calendar-subscriptions.js';
import { getAppGraphClient } from '../auth/app-tokens.js';
import { findRoom, type RoomMailbox } from './room-lookup.js';
import { requireSpace } from './space-access.js';
import { spaceAsOwner } from './space-owner.js';

export const SPACE_BOOKING_MODES = ['room_calendar', 'invite_room'] as const satisfies readonly SpaceBookingMode[];

export const createSpaceRequest = z.strictObject({
  spaceId: externalId,
  roomEmail: z.email().max(254).transform((e) => e.toLowerCase()),
  tenantId: z
    .string()
    .refine(isTenantId, 'a tenant id (GUID)')
    .transform((t) => t.toLowerCase())
    .optional()
    .describe('the consented tenant holding the room; found among the consented tenants when absent'),
  bookingMode: z
    .enum(SPACE_BOOKING_MODES)
    .default('room_calendar')
    .describe("room_calendar: bookings are events in the room's calendar; invite_room: the room is invited to the organiser's event"),
});

export type CreateSpaceRequest = z.infer<typeof createSpaceRequest>;

export const spaceView = z.object({
  spaceId: z.string(),
  roomEmail: z.string(),
  roomDisplayName: z.string().optional(),
  tenantId: z.string(),
  calendarId: z.string(),
  bookingMode: z.enum(SPACE_BOOKING_MODES),
  subscriptions: z.object({ status: z.enum(['none', 'healthy', 'expired']), count: z.number(), nextExpiry: z.string().optional() }),
  createdAt: z.string(),
});

export type SpaceView = z.infer<typeof spaceView>;

export function toSpaceView(space: SpaceEntity, subscriptions: SubscriptionHealth = { status: 'none', count: 0 }): SpaceView {
  return {
    spaceId: space.rowKey,
    roomEmail: space.roomEmail,
    roomDisplayName: space.roomDisplayName,
    tenantId: space.tenantId,
    calendarId: space.calendarId,
    bookingMode: space.bookingMode,
    subscriptions,
    createdAt: space.createdAt.toISOString(),
  };
}

export async function spaceViewWithHealth(services: Services, space: SpaceEntity): Promise<SpaceView> {
  return toSpaceView(space, (await subscriptionHealth(spaceAsOwner(space), services)).subscriptions);
}

/** Creates the space (201), or answers the existing identical one (200). */
export async function createSpace(services: Services, client: ClientEntity, request: CreateSpaceRequest): Promise<{ created: boolean; space: SpaceEntity }> {
  const clientId = client.rowKey;
  await assertWritesAllowed(services, client);
  const existing = (await services.store.spaces.getSpace(clientId, request.spaceId))?.entity;
  if (existing && existing.status === 'active') return { created: false, space: sameSpaceOrConflict(existing, request) };

  const { tenantId, room } = await resolveRoom(services, clientId, request);
  const space: SpaceEntity = {
    partitionKey: clientId,
    rowKey: request.spaceId,
    status: 'active',
    tenantId,
    roomEmail: room.email,
    roomObjectId: room.objectId,
    roomDisplayName: room.displayName,
    calendarId: room.calendarId,
    bookingMode: request.bookingMode,
    createdAt: new Date(),
  };
  try {
    await services.store.spaces.create(space);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // A concurrent create won: the same mapping is fine, another one is a conflict.
    const winner = (await services.store.spaces.getSpace(clientId, request.spaceId))!.entity;
    return { created: false, space: sameSpaceOrConflict(winner, request) };
  }
  // The room's subscription and first full sync, on the queue (a failure here leaves it to reconciliation).
  await requestSubscriptionSync(services, spaceAsOwner(space)).catch((error: unknown) => console.warn(`space ${space.rowKey}: subscriptions not requested: ${describeError(error)}`));
  return { created: true, space };
}

function sameSpaceOrConflict(existing: SpaceEntity, request: CreateSpaceRequest): SpaceEntity {
  const same = existing.roomEmail === request.roomEmail && (!request.tenantId || request.tenantId === existing.tenantId) && existing.bookingMode === request.bookingMode;
  if (!same) throw new AppError('space_exists', 'spaceId: this space is already mapped to another room or setting; delete it first', { field: 'spaceId' });
  return existing;
}

/** The consented tenant and the room in it: the named tenant, else the first consented tenant that has the mailbox. */
async function resolveRoom(services: Services, clientId: string, request: CreateSpaceRequest): Promise<{ tenantId: string; room: RoomMailbox }> {
  let tenants: string[];
  if (request.tenantId) {
    const consent = await services.store.tenants.getConsent(clientId, request.tenantId);
    if (!consent) throw new TenantConsentMissingError(request.tenantId, 'tenantId');
    tenants = [request.tenantId];
  } else {
    tenants = (await services.store.tenants.listConsents(clientId)).map((c) => c.rowKey);
    if (tenants.length === 0) {
      throw new AppError('tenant_consent_required', 'tenantId: no tenant has granted this app tenant-wide access yet; send an administrator a tenant connect link', {
        field: 'tenantId',
      });
    }
  }
  for (const tenantId of tenants) {
    const room = await findRoom(services, tenantId, request.roomEmail);
    if (room) return { tenantId, room };
  }
  throw new AppError('room_not_found', `roomEmail: no mailbox ${request.roomEmail} in ${tenants.length === 1 ? 'the tenant' : 'any consented tenant'}`, { field: 'roomEmail' });
}

export async function listSpaces(services: Services, clientId: string): Promise<SpaceEntity[]> {
  const out: SpaceEntity[] = [];
  let token: string | undefined;
  do {
    const page = await services.store.spaces.listByClient(clientId, { continuationToken: token });
    out.push(...page.items.map((i) => i.entity).filter((s) => s.status === 'active'));
    token = page.continuationToken;
  } while (token);
  return out;
}

/**
 * Removes the space: its room subscriptions are deleted (app-only) and its busy cache forgotten, as on a
 * disconnect; events already written stay in the room's calendar.
 */
export async function deleteSpace(services: Services, client: ClientEntity, spaceId: string): Promise<SpaceEntity> {
  const space = await requireSpace(services, client.rowKey, spaceId, 'spaceId');
  await assertWritesAllowed(services, client);
  const owner = spaceAsOwner(space);
  await removeConnectionSubscriptions(services, getAppGraphClient(services, space.tenantId, space.roomObjectId), owner);
  await services.store.spaces.delete(space.partitionKey, space.rowKey);
  return space;
}
