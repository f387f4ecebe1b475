// The operator's two off-switches, and THE check everything that syncs or writes makes before it does:
// - a system-wide pause (settings table): every sync, keep-alive, webhook delivery and write waits;
// - a per-client disable (clients table, `disabled`): that booking system's requests get 403.
// Reads are cached a few seconds per store, so a check per request or per queue message stays cheap;
// changes made through setSystemPause() take effect at once in this process, and within the cache
// lifetime everywhere else.
import * as z from 'zod';
import { AppError } from '../errors/app-error.js';
import type { Services } from '../services.js';
import type { ClientEntity } from '../store/repositories/clients.js';
import { SETTINGS_PARTITION, SYSTEM_SETTING_ROW, type SystemSettingEntity } from '../store/repositories/settings.js';
import type { ProblemCode } from '../errors/catalogue.js';

export const PAUSE_CACHE_MS = 5_000;
export const DEFAULT_PAUSE_RETRY_AFTER_SECONDS = 300;

/** The operator's pause request (PUT /api/manage/system/pause), every field optional. */
export const pauseSchema = z
  .object({
    reason: z.string().trim().min(1).max(500).optional(),
    retryAfterSeconds: z.number().int().min(1).max(86_400).optional(),
  })
  .strict();

export interface SystemState {
  paused: boolean;
  reason?: string;
  retryAfterSeconds: number;
  changedAt?: string;
}

type StoreServices = Pick<Services, 'store'>;

interface Cached<T> {
  value: T;
  expiresAt: number;
}

// Keyed by the store, so tests with their own tables never see each other's switches.
const systemCache = new WeakMap<object, Cached<SystemState>>();
const clientCache = new WeakMap<object, Map<string, Cached<boolean>>>();

/** The system switch, as stored (cached PAUSE_CACHE_MS). */
export async function getSystemState(services: StoreServices): Promise<SystemState> {
  const hit = systemCache.get(services.store);
  if (hit && hit.expiresAt > Date.now()) return hit.value;
  const found = await services.store.settings.getSystem();
  const value = toState(found?.entity);
  systemCache.set(services.store, { value, expiresAt: Date.now() + PAUSE_CACHE_MS });
  return value;
}

/** True while the operator has paused the integration: timers and queue processors do nothing (and lose nothing). */
export async function isSyncPaused(services: StoreServices): Promise<boolean> {
  return (await getSystemState(services)).paused;
}

/** 503 while the system is paused. */
export async function assertNotPaused(services: StoreServices): Promise<void> {
  const state = await getSystemState(services);
  if (state.paused) {
    throw new AppError('integration_paused', 'The calendar integration is paused by the operator; retry later.', {
      headers: { 'Retry-After': String(state.retryAfterSeconds) },
    });
  }
}

/**
 * Call before a person's connect or consent step (connect link, sign-in callback): while paused, a 503 page
 * that tells the person to come back later. New connections are writes too: none is made while paused.
 */
export async function assertConnectsOpen(services: StoreServices): Promise<void> {
  const state = await getSystemState(services);
  if (state.paused) throw connectsPausedError(state);
}

export function connectsPausedError(state: Pick<SystemState, 'retryAfterSeconds'>): AppError {
  return new AppError('integration_paused', 'Connecting calendars is paused for maintenance right now. Nothing was changed: please try again later.', {
    headers: { 'Retry-After': String(state.retryAfterSeconds) },
  });
}

/**
 * Call before any write on behalf of a booking system: 503 integration_paused (with Retry-After) while the
 * system is paused, 403 client_disabled when that client is disabled. Pass the client entity when it is
 * already loaded (no read), or its id.
 */
export async function assertWritesAllowed(services: StoreServices, client: string | Pick<ClientEntity, 'rowKey' | 'disabled'>): Promise<void> {
  await assertNotPaused(services);
  const disabled = typeof client === 'string' ? await isClientDisabled(services, client) : Boolean(client.disabled);
  if (disabled) throw clientDisabledError();
}

export function clientDisabledError(): AppError {
  return new AppError('client_disabled', 'This booking system has been disabled by the operator.');
}

/** A client that is disabled, or does not exist (nothing may be done for it either way). Cached. */
export async function isClientDisabled(services: StoreServices, clientId: string): Promise<boolean> {
  let perStore = clientCache.get(services.store);
  if (!perStore) clientCache.set(services.store, (perStore = new Map()));
  const hit = perStore.get(clientId);
  if (hit && hit.expiresAt > Date.now()) return hit.value;
  const found = await services.store.clients.getClient(clientId);
  const value = !found || Boolean(found.entity.disabled);
  perStore.set(clientId, { value, expiresAt: Date.now() + PAUSE_CACHE_MS });
  return value;
}

/** Pauses or resumes everything (last writer wins: it is one operator switch). */
export async function setSystemPause(
  services: StoreServices,
  paused: boolean,
  options: { reason?: string; retryAfterSeconds?: number } = {},
): Promise<SystemState> {
  const entity: SystemSettingEntity = {
    partitionKey: SETTINGS_PARTITION,
    rowKey: SYSTEM_SETTING_ROW,
    paused,
    reason: paused ? options.reason : undefined,
    retryAfterSeconds: paused ? options.retryAfterSeconds : undefined,
    changedAt: new Date(),
  };
  await services.store.settings.upsert(entity);
  const value = toState(entity);
  systemCache.set(services.store, { value, expiresAt: Date.now() + PAUSE_CACHE_MS });
  return value;
}

/** Forget cached switches (after a client is disabled or enabled in this process). */
export function forgetCachedSwitches(services: StoreServices, clientId?: string): void {
  if (clientId === undefined) {
    systemCache.delete(services.store);
    clientCache.delete(services.store);
  } else {
    clientCache.get(services.store)?.delete(clientId);
  }
}

function toState(entity: SystemSettingEntity | undefined): SystemState {
  return {
    paused: entity?.paused ?? false,
    reason: entity?.reason,
    retryAfterSeconds: entity?.retryAfterSeconds ?? DEFAULT_PAUSE_RETRY_AFTER_SECONDS,
    changedAt: entity?.changedAt?.toISOString(),
  };
}

/** SystemState as the API describes it. */
export const systemStateSchema = z.object({ paused: z.boolean(), reason: z.string().optional(), retryAfterSeconds: z.number().int(), changedAt: z.string().optional() });

/** What a write can answer because of the operator's pause. */
export const PAUSE_PROBLEMS: readonly ProblemCode[] = ['integration_paused'];
