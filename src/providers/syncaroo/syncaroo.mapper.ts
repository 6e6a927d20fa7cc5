import { boundedAttributes, boundedText } from '../../common/stored-values';
import type { BookingStatus } from '../../inventory/entities/booking.entity';
import type { ResourceType } from '../../inventory/entities/resource.entity';
import type { AvailabilityWindow } from '../../inventory/availability.repository';
import type { BookingUpsert } from '../../inventory/bookings.repository';
import type { ResourceUpsert } from '../../inventory/resources.repository';
import type { SyncarooBookingData, SyncarooLocationData, SyncarooResourceData, SyncarooWindowData } from './syncaroo-api.client';

export const PROVIDER = 'syncaroo';

/** A Syncaroo item (CONTRACT 5): its events, webhooks and resync repairs alike, apply one at a time in this partition. */
export function syncarooItemKey(connectionExternalId: string | number, syncarooId: string): string {
  return `${PROVIDER}:${connectionExternalId}:${syncarooId}`;
}

/** A resync's repair of one resource, queued in that resource's own partition. */
export const RESYNC_ITEM_EVENT = 'resync.item';

/**
 * Syncaroo resource types (and a few spellings seen in coworking software) → our types. `fixed-desk`
 * and `dedicated-desk` are one type. Anything else is not synced (the event is `ignored`), because
 * guessing a type would publish e.g. a parking spot as a desk.
 */
const RESOURCE_TYPES: Record<string, ResourceType> = {
  'meeting-room': 'meeting-room',
  'meetingroom': 'meeting-room',
  'conference-room': 'meeting-room',
  'boardroom': 'meeting-room',
  'hot-desk': 'hot-desk',
  'hotdesk': 'hot-desk',
  'flex-desk': 'hot-desk',
  'fixed-desk': 'fixed-desk',
  'fixeddesk': 'fixed-desk',
  'dedicated-desk': 'fixed-desk',
  'dedicateddesk': 'fixed-desk',
  'office': 'office',
  'private-office': 'office',
  'floor': 'floor',
};

export function mapResourceType(raw: unknown): ResourceType | null {
  if (typeof raw !== 'string') return null;
  const key = raw.trim().toLowerCase().replace(/[\s_]+/g, '-');
  return RESOURCE_TYPES[key] ?? null;
}

const MAX_NAME = 500;
const MAX_INT = 2_147_483_647;

/** Trimmed, at most `max` characters, nothing PostgreSQL refuses (see `boundedText`); null when blank. */
export function cleanText(raw: unknown, max = MAX_NAME): string | null {
  return boundedText(raw, max);
}

/** A whole, non-negative number (a numeric string counts); anything else is unknown. */
export function toCount(raw: unknown): number | null {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= MAX_INT ? n : null;
}

/**
 * Only present, non-null members: an absent field and a null one must hash alike. Bounded as every stored
 * provider value is (common/stored-values.ts): the description and every other string at most 2,000
 * characters, the whole at most 16 KB of JSON (the largest members dropped first, never syncarooId).
 */
export function toAttributes(details: Record<string, unknown>, syncarooId: string): Record<string, unknown> {
  return boundedAttributes({ ...details, syncarooId }, { keep: ['syncarooId'], text: ['description'] });
}

export interface ResourceTarget {
  id: string;
  locationId: string;
  connectionId: string;
  externalId: string;
  type: ResourceType;
}

export function toResourceUpsert(target: ResourceTarget, data: SyncarooResourceData): ResourceUpsert {
  return {
    id: target.id,
    locationId: target.locationId,
    connectionId: target.connectionId,
    provider: PROVIDER,
    externalId: target.externalId,
    type: target.type,
    name: cleanText(data.name),
    capacity: toCount(data.capacity),
    status: 'active',
    attributes: toAttributes(data.details, target.externalId),
  };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:$|[T ])/;
const HAS_ZONE = /(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * ISO 8601 or epoch milliseconds. A date-time without an offset is read as UTC (not as this server's
 * local time, which would make the result depend on where it runs).
 */
export function toInstant(raw: unknown): Date | null {
  let ms: number;
  if (typeof raw === 'number') ms = raw;
  else if (typeof raw === 'string' && ISO_DATE.test(raw.trim())) {
    const s = raw.trim();
    ms = Date.parse(s.length > 10 && !HAS_ZONE.test(s) ? `${s.replace(' ', 'T')}Z` : s);
  } else return null;
  if (!Number.isFinite(ms)) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Valid windows only (start before end), in time order, without exact duplicates. */
export function toWindows(data: SyncarooWindowData[]): AvailabilityWindow[] {
  const seen = new Set<string>();
  const windows: AvailabilityWindow[] = [];
  for (const w of data) {
    const start = toInstant(w.start);
    const end = toInstant(w.end);
    if (!start || !end || end <= start) continue;
    const key = `${start.getTime()}-${end.getTime()}`;
    if (seen.has(key)) continue;
    seen.add(key);
    windows.push({ start, end });
  }
  return windows.sort((a, b) => a.start.getTime() - b.start.getTime() || a.end.getTime() - b.end.getTime());
}

export function isTimeZone(raw: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: raw });
    return true;
  } catch {
    return false;
  }
}

/** null members mean "Syncaroo did not say": the caller keeps what it has. */
export function toLocationDetails(data: SyncarooLocationData): { name: string | null; timezone: string | null } {
  const tz = cleanText(data.timeZone, 64);
  return { name: cleanText(data.name), timezone: tz && isTimeZone(tz) ? tz : null };
}

const CANCELLED = new Set(['cancelled', 'canceled', 'deleted', 'removed', 'rejected', 'declined', 'void', 'voided']);
const PENDING = new Set(['pending', 'tentative', 'requested', 'unconfirmed', 'hold', 'on-hold', 'reserved']);

/** Unknown or missing status: the booking exists in Syncaroo, so it is taken as confirmed. */
export function toBookingStatus(raw: unknown): BookingStatus {
  const s = typeof raw === 'string' ? raw.trim().toLowerCase().replace(/[\s_]+/g, '-') : '';
  if (CANCELLED.has(s)) return 'cancelled';
  if (PENDING.has(s)) return 'pending';
  return 'confirmed';
}

export function toPrice(raw: unknown): number | null {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
  return Number.isFinite(n) && Math.abs(n) < 1e12 ? Math.round(n * 100) / 100 : null;
}

export function toCurrency(raw: unknown): string | null {
  return typeof raw === 'string' && /^[A-Za-z]{3}$/.test(raw.trim()) ? raw.trim().toUpperCase() : null;
}

/** null when the booking has no usable start (nothing sensible can be stored). */
export function toBookingUpsert(
  target: { resourceId: string; connectionId: string; externalId: string },
  data: SyncarooBookingData,
): BookingUpsert | null {
  const startsAt = toInstant(data.start);
  if (!startsAt) return null;
  const end = toInstant(data.end);
  return {
    resourceId: target.resourceId,
    connectionId: target.connectionId,
    provider: PROVIDER,
    externalId: target.externalId,
    startsAt,
    endsAt: end && end > startsAt ? end : null,
    status: toBookingStatus(data.status),
    people: toCount(data.people),
    price: toPrice(data.price),
    currency: toCurrency(data.currency),
  };
}
