import { ValidateBy, ValidationOptions } from 'class-validator';

/** Platform and provider ids as they may appear in a path or a filter. */
export const INVENTORY_ID = /^[A-Za-z0-9._:*@-]{1,200}$/;
export const INVENTORY_ID_MESSAGE = 'must be 1-200 letters, digits or ._:*@-';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// A '+' sent unencoded in a query string arrives as a space; the offset is still unambiguous, so it is accepted.
const ZONED = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+\- ])(\d{2}):?(\d{2}))$/;

/** A real calendar date `YYYY-MM-DD` (2026-02-30 is not), years 0001-9999. */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
  const days = new Date(Date.UTC(2000, mo, 0)).getUTCDate(); // month length in a leap year
  if (d > days) return false;
  return !(mo === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)));
}

/**
 * ISO 8601 date-time that names its offset (`Z` or `±hh:mm`); a local time without one is ambiguous and refused.
 * Returns the instant, or null for anything else (including impossible dates and instants before year 1).
 */
export function parseZonedTimestamp(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const m = ZONED.exec(value);
  if (!m || !isCalendarDate(m[1])) return null;
  const [h, mi, s] = [Number(m[2]), Number(m[3]), Number(m[4] ?? 0)];
  if (h > 23 || mi > 59 || s > 59) return null;
  let offsetMinutes = 0;
  if (!m[6]) {
    const [oh, om] = [Number(m[8]), Number(m[9])];
    if (oh > 18 || om > 59) return null;
    offsetMinutes = (m[7] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const [y, mo, d] = m[1].split('-').map(Number);
  const ms = m[5] ? Number(m[5].slice(0, 3).padEnd(3, '0')) : 0;
  const at = new Date(0);
  at.setUTCFullYear(y, mo - 1, d);
  at.setUTCHours(h, mi, s, ms);
  const instant = new Date(at.getTime() - offsetMinutes * 60_000);
  return instant.getUTCFullYear() >= 1 && instant.getUTCFullYear() <= 9999 ? instant : null;
}

export function IsCalendarDate(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    { name: 'isCalendarDate', validator: { validate: isCalendarDate, defaultMessage: () => '$property must be a real calendar date YYYY-MM-DD' } },
    options,
  );
}

export function IsZonedTimestamp(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isZonedTimestamp',
      validator: {
        validate: (v) => parseZonedTimestamp(v) !== null,
        defaultMessage: () => '$property must be an ISO 8601 date-time with a time zone, e.g. 2026-03-01T09:00:00Z',
      },
    },
    options,
  );
}

/** Channel names come from providers; anything printable is allowed, control characters never reach SQL. */
export const CHANNEL = /^[^\u0000-\u001f\u007f]{1,200}$/;
