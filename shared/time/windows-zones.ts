// Graph's dateTimeTimeZone accepts Windows zone names plus a short list of IANA names, and "create or update
// might not support all" of them (graph docs, dateTimeTimeZone). So writes use the Windows name (CLDR
// windowsZones mapping), and reads map Windows names back to IANA.
import { findIana, findWindows } from 'windows-iana';
import { formatWallTime, isValidTimeZone, wallTimeAt } from './zoned-time.js';

/** Graph's dateTimeTimeZone. */
export interface GraphDateTime {
  dateTime: string;
  timeZone: string;
}

// Zones renamed in tzdata after the CLDR snapshot the mapping package carries.
const IANA_ALIASES: Record<string, string> = { 'Europe/Kyiv': 'Europe/Kiev', 'America/Ciudad_Juarez': 'America/Denver' };

/** The Windows zone name for an IANA zone, or undefined when Windows has none. */
export function windowsZoneFor(iana: string): string | undefined {
  return findWindows(iana)[0] ?? (IANA_ALIASES[iana] ? findWindows(IANA_ALIASES[iana]!)[0] : undefined);
}

/** An IANA zone for a Windows or IANA zone name, as found in mailbox settings and Graph responses. */
export function ianaZoneFor(name: string): string | undefined {
  if (isValidTimeZone(name)) return name;
  return findIana(name)[0];
}

/**
 * An instant as Graph dateTimeTimeZone in the given IANA zone: wall time labelled with the Windows zone name,
 * so Outlook shows the event in the organiser's zone; UTC when Windows has no such zone.
 */
export function toGraphDateTime(instantMs: number, iana: string): GraphDateTime {
  const windows = windowsZoneFor(iana);
  if (!windows) return { dateTime: formatWallTime(wallTimeAt(instantMs, 'UTC')), timeZone: 'UTC' };
  return { dateTime: formatWallTime(wallTimeAt(instantMs, iana)), timeZone: windows };
}
