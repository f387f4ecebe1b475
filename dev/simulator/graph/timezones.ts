// Time zones as Graph accepts them: IANA names and Windows names (mapped through CLDR's windowsZones, via
// windows-iana). Events keep instants; wall-clock strings are made only at the edges.
// Deliberately independent of the app's shared/time/zoned-time.ts: the simulator is the test oracle for the
// app's time-zone handling, and an oracle that shared the code under test would agree with its bugs.
// Graph accepts both: https://learn.microsoft.com/en-us/graph/api/resources/datetimetimezone (timeZone);
// the Prefer: outlook.timezone header: https://learn.microsoft.com/en-us/graph/api/user-list-events#request-headers
import { findIana } from 'windows-iana';
import { propertyOf } from './odata.js';
import { badRequest } from './errors.js';

const zoneCache = new Map<string, string | undefined>();

/** The IANA zone for a Windows or IANA name, or undefined when neither Intl nor CLDR knows it. */
export function resolveZone(name: string): string | undefined {
  const key = name.trim();
  if (zoneCache.has(key)) return zoneCache.get(key);
  let zone: string | undefined;
  if (/^(utc|gmt|z)$/i.test(key) || /^(coordinated )?universal time$/i.test(key)) zone = 'UTC';
  else if (isIana(key)) zone = key;
  else zone = findIana(key).find(isIana);
  zoneCache.set(key, zone);
  return zone;
}

/** Resolves or throws Graph's 400 for an unknown zone name. */
export function requireZone(name: string): string {
  const zone = resolveZone(name);
  if (!zone)
    throw badRequest(
      `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${name}'.`,
      'TimeZoneNotSupportedException',
    );
  return zone;
}

function isIana(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

export interface WallClock {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
}

/** The wall clock in `zone` at instant `ms`. */
export function wallClock(ms: number, zone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
    ms: ((ms % 1000) + 1000) % 1000,
  };
}

function offsetAt(ms: number, zone: string): number {
  const w = wallClock(ms, zone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.ms) - ms;
}

/** The instant of a wall-clock time in `zone` (a skipped DST hour moves forward, as Outlook does). */
export function instantOf(w: WallClock, zone: string): number {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.ms);
  let guess = asUtc - offsetAt(asUtc, zone);
  guess = asUtc - offsetAt(guess, zone);
  return guess;
}

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Parses Graph's dateTimeTimeZone into an instant; an explicit offset in dateTime wins over the zone. */
export function parseDateTimeTimeZone(value: unknown, property: string): { ms: number; zoneName: string } {
  if (!value || typeof value !== 'object') throw badRequest(`The property '${property}' must be a dateTimeTimeZone object.`, 'ErrorInvalidRequest');
  const dateTime = propertyOf(value as Record<string, unknown>, 'dateTime');
  const timeZone = propertyOf(value as Record<string, unknown>, 'timeZone');
  if (typeof dateTime !== 'string') throw badRequest(`${property}.dateTime is required.`, 'ErrorInvalidRequest');
  const zoneName = typeof timeZone === 'string' && timeZone.trim() ? timeZone : 'UTC';
  const zone = requireZone(zoneName);
  const ms = parseLocal(dateTime.trim(), zone);
  if (ms === undefined) throw badRequest(`Cannot convert the literal '${dateTime}' to the expected type 'Edm.DateTimeOffset'.`, 'BadRequest');
  return { ms, zoneName };
}

/** Parses an ISO date-time; without an offset it is a wall-clock time in `zone`. */
export function parseLocal(text: string, zone: string): number | undefined {
  const m = LOCAL_RE.exec(text);
  if (!m) return undefined;
  const frac = (m[7] ?? '0').padEnd(3, '0').slice(0, 3);
  const w: WallClock = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    ms: Number(frac),
  };
  if (w.month < 1 || w.month > 12 || w.day < 1 || w.day > 31 || w.hour > 23 || w.minute > 59 || w.second > 59) return undefined;
  const offset = m[8];
  if (!offset) return instantOf(w, zone);
  const utc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.ms);
  if (offset.toUpperCase() === 'Z') return utc;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  return utc - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}

/** Graph's output form: "2025-03-04T09:30:00.0000000" in the given zone. */
export function formatLocal(ms: number, zone: string): string {
  const w = wallClock(ms, zone);
  const p = (n: number, l = 2) => String(n).padStart(l, '0');
  return `${p(w.year, 4)}-${p(w.month)}-${p(w.day)}T${p(w.hour)}:${p(w.minute)}:${p(w.second)}.${p(w.ms, 3)}0000`;
}

/** The dateTimeTimeZone object for an instant, labelled with the zone name the caller asked for. */
export function toDateTimeTimeZone(ms: number, zoneName: string): { dateTime: string; timeZone: string } {
  return { dateTime: formatLocal(ms, resolveZone(zoneName) ?? 'UTC'), timeZone: zoneName };
}
