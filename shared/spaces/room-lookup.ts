// Is this address a room mailbox of the tenant? Read app-only: the user object (exists?), its
// mailboxSettings.userPurpose (Exchange's recipient type: user, shared, room, equipment...), and the
// room's default calendar, where bookings go and whose busy time the space reports.
import { getAppGraphClient } from '../auth/app-tokens.js';
import { categorizeGraphError } from '../graph/client.js';
import { AppError } from '../errors/app-error.js';
import type { Services } from '../services.js';
import { appOnlyProblem } from './space-access.js';

export interface RoomMailbox {
  objectId: string;
  email: string;
  displayName?: string;
  calendarId: string;
}

const CALL_TIMEOUT_MS = 15_000;

/**
 * The room, or undefined when the tenant has no such mailbox; 422 not_a_room when it is not a room. A room's
 * address is its mail, which often differs from its UPN, and /users/{x} takes only an object id or a UPN
 * (https://learn.microsoft.com/en-us/graph/api/user-get): the address is looked up with
 * GET /users?$filter=mail eq '...' (https://learn.microsoft.com/en-us/graph/api/user-list), then the UPN.
 */
export async function findRoom(services: Services, tenantId: string, roomEmail: string, field = 'roomEmail'): Promise<RoomMailbox | undefined> {
  try {
    const user = await userByAddress(services, tenantId, roomEmail);
    if (!user) return undefined;
    // An app-only client for the mailbox itself: `/me` is that mailbox.
    const graph = getAppGraphClient(services, tenantId, user.id);
    const get = async <T>(path: string, select: string): Promise<T> =>
      (await graph.api(path).select(select).options({ signal: AbortSignal.timeout(CALL_TIMEOUT_MS) }).get()) as T;
    const settings = await get<{ userPurpose?: string }>('/me/mailboxSettings', 'userPurpose');
    if (settings.userPurpose?.toLowerCase() !== 'room') {
      throw new AppError('not_a_room', `${field}: ${roomEmail} is a ${settings.userPurpose ?? 'non-room'} mailbox, not a room`, { field });
    }
    const calendar = await get<{ id: string }>('/me/calendar', 'id');
    return { objectId: user.id, email: (user.mail ?? user.userPrincipalName ?? roomEmail).toLowerCase(), displayName: user.displayName, calendarId: calendar.id };
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (categorizeGraphError(error) === 'not_found') return undefined;
    throw appOnlyProblem(tenantId, error, 'tenantId');
  }
}

interface DirectoryUser {
  id: string;
  mail?: string | null;
  userPrincipalName?: string;
  displayName?: string;
}

async function userByAddress(services: Services, tenantId: string, address: string): Promise<DirectoryUser | undefined> {
  // Only `/me` paths are scoped to the mailbox: `/users?$filter` is the tenant's directory.
  const graph = getAppGraphClient(services, tenantId, address);
  const quoted = `'${address.toLowerCase().replace(/'/g, "''")}'`;
  for (const property of ['mail', 'userPrincipalName']) {
    const page = (await graph
      .api('/users')
      .filter(`${property} eq ${quoted}`)
      .select('id,mail,userPrincipalName,displayName')
      .options({ signal: AbortSignal.timeout(CALL_TIMEOUT_MS) })
      .get()) as { value?: DirectoryUser[] };
    if (page.value?.[0]) return page.value[0];
  }
  return undefined;
}
