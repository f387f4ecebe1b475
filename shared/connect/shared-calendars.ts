// Calendars other people share with or delegate to the connected user. Graph lists them in /me/calendars
// with their owner and whether the user may edit them; reading and writing them takes the delegated
// permission Calendars.ReadWrite.Shared, asked for only when the person picks one (incremental consent), and
// their requests go to the owner's mailbox (shared/graph/mailbox-scope.ts). Graph sends no change
// notifications for them to a delegated app, so their busy time is kept by scheduled delta
// (shared/upkeep/shared-calendar-poll.ts).
// https://learn.microsoft.com/en-us/graph/outlook-get-shared-events-calendars
// https://learn.microsoft.com/en-us/graph/api/subscription-post-subscriptions#permissions
import { SHARED_CALENDARS_SCOPE } from '../auth/entra-credentials.js';
import type { ConnectionEntity } from '../store/repositories/connections.js';
import { missingScopes } from '../mail/mail-scopes.js';
import type { CalendarInfo } from './calendars.js';

/** A test for "this calendar belongs to someone else": not the default one, owned by none of the user's addresses. */
export function ownedByOthers(connection: Pick<ConnectionEntity, 'upn'>, live: CalendarInfo[]): (calendar: Pick<CalendarInfo, 'isDefault'> & { owner: { address?: string } }) => boolean {
  const own = new Set([connection.upn, live.find((c) => c.isDefault)?.owner.address].filter((a): a is string => Boolean(a)).map((a) => a.toLowerCase()));
  return (calendar) => !calendar.isDefault && Boolean(calendar.owner.address) && !own.has(calendar.owner.address!.toLowerCase());
}

/**
 * Which calendars of the connection belong to someone else: calendar id -> owner's address. Those recorded
 * before stay (bookings already written there are still reached in the owner's mailbox); the chosen ones
 * are checked against the live list.
 */
export function sharedCalendarsOf(connection: ConnectionEntity, chosen: readonly (string | undefined)[], live: CalendarInfo[]): Record<string, string> | undefined {
  const othersOwn = ownedByOthers(connection, live);
  const byId = new Map(live.map((c) => [c.id, c]));
  const out: Record<string, string> = { ...connection.sharedCalendars };
  for (const id of chosen) {
    if (!id) continue;
    const calendar = byId.get(id) ?? { isDefault: false, owner: { address: connection.sharedCalendars?.[id] } };
    if (othersOwn(calendar)) out[id] = calendar.owner.address!;
  }
  return Object.keys(out).length ? out : undefined;
}

/** The shared-calendar scope when the connection uses a shared calendar without having consented to it. */
export function missingSharedConsent(connection: Pick<ConnectionEntity, 'sharedCalendars' | 'grantedScopes'>): string[] {
  if (!connection.sharedCalendars || !Object.keys(connection.sharedCalendars).length) return [];
  return missingScopes(connection, [SHARED_CALENDARS_SCOPE]);
}

/** A connection's shared busy calendars: the ones the scheduled delta keeps. */
export function sharedBusyCalendars(connection: Pick<ConnectionEntity, 'sharedCalendars' | 'busyCalendarIds'>): string[] {
  return (connection.busyCalendarIds ?? []).filter((id) => connection.sharedCalendars?.[id] !== undefined);
}
