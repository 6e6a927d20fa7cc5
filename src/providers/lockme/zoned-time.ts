/**
 * Wall-clock time in an IANA zone → UTC instant, with Intl only (no time-zone dependency).
 * Lockme sends `date` + `hour` as the venue's local time, without an offset.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // Throws RangeError for an unknown zone: callers decide the fallback.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's offset from UTC, in minutes, at the instant `utcMs` (e.g. +120 for CEST). */
export function zoneOffsetMinutes(utcMs: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(utcMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  const wholeSeconds = Math.floor(utcMs / 1000) * 1000;
  return Math.round((asUtc - wholeSeconds) / 60_000);
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

/**
 * `2026-12-05` + `18:30:00` in `Europe/Warsaw` → 2026-12-05T17:30:00Z. Null for an impossible date/time.
 * DST, as most calendars do it (Temporal's "compatible"): a time in the spring-forward gap moves forward
 * by the gap (02:30 → 03:30 local); a time that occurs twice in autumn takes the first (summer-time) one.
 * Throws RangeError for an unknown time zone.
 */
export function wallTimeToUtc(date: string, time: string, timeZone: string): Date | null {
  const d = DATE.exec(date);
  const t = TIME.exec(time);
  if (!d || !t) return null;
  const [y, mo, da] = [Number(d[1]), Number(d[2]), Number(d[3])];
  const [h, mi, s] = [Number(t[1]), Number(t[2]), Number(t[3] ?? 0)];
  if (mo < 1 || mo > 12 || da < 1 || h > 23 || mi > 59 || s > 59) return null;
  const wall = Date.UTC(y, mo - 1, da, h, mi, s);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== da) return null; // 2026-02-30

  // Offsets in force a day before and after cover any single transition around this wall time.
  const before = zoneOffsetMinutes(wall - 86_400_000, timeZone);
  const after = zoneOffsetMinutes(wall + 86_400_000, timeZone);
  const candidates = [...new Set([before, after])]
    .map((offset) => wall - offset * 60_000)
    .filter((utc) => wall - zoneOffsetMinutes(utc, timeZone) * 60_000 === utc)
    .sort((a, b) => a - b);
  if (candidates.length > 0) return new Date(candidates[0]);
  // In the gap: read the wall time with the offset from before the jump, i.e. shift it forward.
  return new Date(wall - before * 60_000);
}
