// Wall-clock time in an IANA zone <-> instants, with Intl only (no tz database of our own).
// DST gaps and overlaps follow RFC 5545 / Temporal's "compatible" rule: a time skipped by a spring-forward
// gap moves forward by the gap; an ambiguous time in a fall-back overlap takes the earlier instant.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when Intl knows the IANA zone name (case-insensitive, as Intl is). */
export function isValidTimeZone(timeZone: string): boolean {
  if (!timeZone || timeZone.length > 64) return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock time at `instantMs` in `timeZone`. */
export function wallTimeAt(instantMs: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instantMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** Offset of `timeZone` from UTC at `instantMs`, in milliseconds (east positive). */
export function offsetAt(instantMs: number, timeZone: string): number {
  const w = wallTimeAt(instantMs, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instantMs / 1000) * 1000;
}

/** The instant at which the wall clock in `timeZone` shows `wall` (see the DST rule above). */
export function instantOf(wall: WallTime, timeZone: string): number {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  // Candidate offsets are those in force a day either side; try the earlier instant first.
  const offsets = [...new Set([offsetAt(asUtc - 86_400_000, timeZone), offsetAt(asUtc + 86_400_000, timeZone)])].sort(
    (a, b) => b - a,
  );
  for (const offset of offsets) {
    const candidate = asUtc - offset;
    if (offsetAt(candidate, timeZone) === offset) return candidate;
  }
  // In a gap: no offset matches; use the offset before the gap, which moves the time forward by the gap.
  return asUtc - offsets[offsets.length - 1]!;
}

const LOCAL_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,7})?)?$/;
const OFFSET_PATTERN = /(?:Z|[+-]\d{2}:\d{2})$/i;

/** True when an ISO 8601 date-time string carries its own offset (Z or ±hh:mm). */
export function hasOffset(value: string): boolean {
  return OFFSET_PATTERN.test(value);
}

/**
 * Parses an ISO 8601 date-time: with an offset it is an instant; without one it is wall time in `timeZone`.
 * Returns undefined for anything else (including impossible dates such as 2025-02-30).
 */
export function parseDateTime(value: string, timeZone: string): number | undefined {
  if (hasOffset(value)) {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i.test(value)) return undefined;
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) return undefined;
    const local = parseLocal(value.replace(OFFSET_PATTERN, ''));
    return local ? ms : undefined;
  }
  const wall = parseLocal(value);
  return wall ? instantOf(wall, timeZone) : undefined;
}

function parseLocal(value: string): WallTime | undefined {
  const m = LOCAL_PATTERN.exec(value);
  if (!m) return undefined;
  const wall: WallTime = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6] ?? 0),
  };
  const check = new Date(Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second));
  const valid =
    check.getUTCFullYear() === wall.year &&
    check.getUTCMonth() === wall.month - 1 &&
    check.getUTCDate() === wall.day &&
    check.getUTCHours() === wall.hour &&
    check.getUTCMinutes() === wall.minute;
  return valid ? wall : undefined;
}

/** Formats wall time as Graph's dateTimeTimeZone.dateTime ("2025-03-30T01:30:00"). */
export function formatWallTime(w: WallTime): string {
  const p = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${p(w.year, 4)}-${p(w.month)}-${p(w.day)}T${p(w.hour)}:${p(w.minute)}:${p(w.second)}`;
}

/** An instant as ISO 8601 UTC without milliseconds ("2025-03-30T00:30:00Z"). */
export function toUtcIso(instantMs: number): string {
  return new Date(instantMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
