import { boundedText } from '../../common/stored-values';
import type { LocationMappingEntity } from '../../connections/entities/location-mapping.entity';
import type { BookingStatus } from '../../inventory/entities/booking.entity';
import type { ResourceUpsert } from '../../inventory/resources.repository';
import type { LockmeReservation, LockmeRoom } from './lockme-api.client';
import { isValidTimeZone, wallTimeToUtc } from './zoned-time';

/** Lockme is a Polish platform; a location without a time zone is read as Warsaw time. */
export const DEFAULT_TIMEZONE = 'Europe/Warsaw';

export interface BookingFields {
  startsAt: Date;
  status: BookingStatus;
  people: number | null;
  price: number | null;
  currency: string | null;
}

export type BookingMapping = { ok: true; booking: BookingFields } | { ok: false; reason: string };

/** PHP-style truthiness as Lockme sends it: 1, "1", true → true; 0, "0", "", false, null → false. */
export function isTruthyFlag(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    return s !== '' && s !== '0' && s !== 'false' && s !== 'null';
  }
  return false;
}

/**
 * `confirmed` when Lockme marks the reservation confirmed/paid, else `pending` (e.g. `source=web` with a falsy
 * status: an unpaid hold that Lockme drops after ~20 minutes unless it is paid).
 */
export function bookingStatus(r: Pick<LockmeReservation, 'status'>): BookingStatus {
  return isTruthyFlag(r.status) ? 'confirmed' : 'pending';
}

export function toPeople(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 1_000_000 ? n : null;
}

export function toPrice(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+([.,]\d+)?\s*$/.test(v) ? Number(v.replace(',', '.')) : NaN;
  // numeric(14,2) column: anything beyond that is not a price we can keep.
  return Number.isFinite(n) && Math.abs(n) < 1e12 ? Math.round(n * 100) / 100 : null;
}

/** The time zone to read Lockme's wall-clock times in: the location's if it is a real zone, else Warsaw. */
export function effectiveTimeZone(locationTimeZone: string | null | undefined): string {
  return locationTimeZone && isValidTimeZone(locationTimeZone) ? locationTimeZone : DEFAULT_TIMEZONE;
}

/**
 * Lockme reservation → booking columns. Start = `date` + `hour` in `timeZone`, as UTC; Lockme sends no end.
 * Currency only when Lockme states one (prices are in the account's currency, which the API does not give).
 * Customer data is not even in the input type.
 */
export function toBookingFields(r: LockmeReservation, timeZone: string, statusOverride?: BookingStatus): BookingMapping {
  if (!r.date || !r.hour) return { ok: false, reason: 'reservation has no date/hour' };
  const startsAt = wallTimeToUtc(r.date, r.hour, effectiveTimeZone(timeZone));
  if (!startsAt) return { ok: false, reason: `reservation date/hour is not a valid local time (${JSON.stringify(r.date)} ${JSON.stringify(r.hour)})` };
  return {
    ok: true,
    booking: {
      startsAt,
      status: statusOverride ?? bookingStatus(r),
      people: toPeople(r.people),
      price: toPrice(r.price),
      currency: r.currency && /^[A-Z]{3}$/.test(r.currency) ? r.currency : null,
    },
  };
}

/**
 * Where a Lockme room lives: the mapping whose externalId is the room's Lockme department, else the
 * connection's first mapping (by location id). Null when the connection has no location mapped.
 */
export function pickLocation(mappings: Pick<LocationMappingEntity, 'locationId' | 'externalId'>[], department: string | null): string | null {
  if (mappings.length === 0) return null;
  const byDepartment = department ? mappings.find((m) => m.externalId === department) : undefined;
  return (byDepartment ?? mappings[0]).locationId;
}

const MAX_NAME = 500;
/** A Lockme department is an id; more than this is not one. */
const MAX_DEPARTMENT = 200;

/** A Lockme room as a `room` resource; its name and department bounded (common/stored-values.ts). */
export function toRoomResource(
  room: Pick<LockmeRoom, 'roomId' | 'name' | 'department'>,
  target: { id: string; locationId: string; connectionId: string },
): ResourceUpsert {
  const department = boundedText(room.department, MAX_DEPARTMENT);
  return {
    id: target.id,
    locationId: target.locationId,
    connectionId: target.connectionId,
    provider: 'lockme',
    externalId: room.roomId,
    type: 'room',
    name: boundedText(room.name, MAX_NAME),
    capacity: null,
    status: 'active',
    attributes: department ? { department } : {},
  };
}

/** `Y-m-d` of `dayOffset` days after the local date of `now` in `timeZone` (resync windows). */
export function localDate(now: Date, timeZone: string, dayOffset = 0): string {
  const ymd = new Intl.DateTimeFormat('en-CA', { timeZone: effectiveTimeZone(timeZone), year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  const [y, m, d] = ymd.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + dayOffset)).toISOString().slice(0, 10);
}
