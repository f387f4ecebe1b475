// Is this address a room mailbox of the tenant? Read app-only: the user object (exists?), its
// mailboxSettings.userPurpose (Exchange's recipient type: user, shared, room, equipment...), and the
// room's default calendar, where bookings go and whose busy time the space reports.
import { getAppGraphClient } from '../auth/app-tokens.js';
import { categorizeGraphError } from '../graph/client.js';
import { AppError } from '../http/problem.js';
import type { Services } from '../services.js';
import { appOnlyProblem } from './space-access.js';

export interface RoomMailbox {
  objectId: string;
  email: string;
  displayName?: string;
  calendarId: string;
}

const CALL_TIMEOUT_MS = 15_000;

/** The room, or undefined when the tenant has no such mailbox; 422 not_a_room when it is not a room. */
export async function findRoom(services: Services, tenantId: string, roomEmail: string, field = 'roomEmail'): Promise<RoomMailbox | undefined> {
  // An app-only client for the address itself: `/me` is that mailbox.
  const graph = getAppGraphClient(services, tenantId, roomEmail);
  const get = async <T>(path: string, select: string): Promise<T> =>
    (await graph.api(path).select(select).options({ signal: AbortSignal.timeout(CALL_TIMEOUT_MS) }).get()) as T;
  try {
    const user = await get<{ id: string; mail?: string | null; userPrincipalName?: string; displayName?: string }>('/me', 'id,mail,userPrincipalName,displayName');
    const settings = await get<{ userPurpose?: string }>('/me/mailboxSettings', 'userPurpose');
    if (settings.userPurpose?.toLowerCase() !== 'room') {
      throw new AppError(422, 'not_a_room', `${field}: ${roomEmail} is a ${settings.userPurpose ?? 'non-room'} mailbox, not a room`, { field });
    }
    const calendar = await get<{ id: string }>('/me/calendar', 'id');
    return { objectId: user.id, email: (user.mail ?? user.userPrincipalName ?? roomEmail).toLowerCase(), displayName: user.displayName, calendarId: calendar.id };
  } catch (error) {
    if (categorizeGraphError(error) === 'not_found') return undefined;
    throw appOnlyProblem(tenantId, error, 'tenantId');
  }
}
