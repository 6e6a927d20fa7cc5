import type { AvailabilityWindowView, BookingView, LocationView, LosView, RateView, ResourceView } from './dto/inventory-view.dto';
import type { BookingStatus } from './entities/booking.entity';
import type { ResourceStatus, ResourceType } from './entities/resource.entity';

/** Raw rows as the read queries select them (timestamptz → ISO text by READ_TYPES, numeric/bigint → string). */
export interface LocationRow {
  id: string;
  name: string | null;
  timezone: string | null;
  provider: string | null;
  connection_id: string | null;
  external_id: string | null;
  updated_at: string;
}

export interface ResourceRow {
  id: string;
  location_id: string;
  type: ResourceType;
  name: string | null;
  capacity: number | null;
  status: ResourceStatus;
  provider: string;
  external_id: string;
  attributes: Record<string, unknown> | null;
  updated_at: string;
}

export interface BookingRow {
  id: string;
  resource_id: string;
  external_id: string;
  starts_at: string;
  ends_at: string | null;
  status: BookingStatus;
  people: number | null;
  price: string | number | null;
  currency: string | null;
  updated_at: string;
}

export interface AvailabilityRow {
  starts_at: string;
  ends_at: string;
}

export interface LosRow {
  resource_id: string;
  channel: string;
  /** selected as text (`to_char(arrival_date, 'YYYY-MM-DD')`) so no time zone can shift the calendar date */
  arrival_day: string;
  length_of_stay: number;
  units_available: number;
  price: string | number | null;
  currency: string | null;
  updated_at: string;
}

/** numeric(14,2) arrives as text; clients get a JSON number (exact for 14 significant digits). */
const money = (v: string | number | null): number | null => {
  if (v === null) return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
};

export function toLocationView(r: LocationRow): LocationView {
  return {
    id: r.id,
    name: r.name,
    timezone: r.timezone,
    provider: r.provider,
    connectionId: r.connection_id,
    externalId: r.external_id,
    updatedAt: r.updated_at,
  };
}

export function toResourceView(r: ResourceRow): ResourceView {
  return {
    id: r.id,
    locationId: r.location_id,
    type: r.type,
    name: r.name,
    capacity: r.capacity,
    status: r.status,
    provider: r.provider,
    externalId: r.external_id,
    attributes: r.attributes ?? {},
    updatedAt: r.updated_at,
  };
}

export function toBookingView(r: BookingRow): BookingView {
  return {
    id: r.id,
    resourceId: r.resource_id,
    externalId: r.external_id,
    start: r.starts_at,
    end: r.ends_at,
    status: r.status,
    people: r.people,
    price: money(r.price),
    currency: r.currency,
    updatedAt: r.updated_at,
  };
}

export interface RateRow {
  external_id: string;
  resource_id: string;
  name: string | null;
  price: string | number | null;
  currency: string | null;
  unit: RateView['unit'];
  updated_at: string;
}

export function toRateView(r: RateRow): RateView {
  return { id: r.external_id, resourceId: r.resource_id, name: r.name, price: money(r.price), currency: r.currency, unit: r.unit, updatedAt: r.updated_at };
}

export function toAvailabilityView(r: AvailabilityRow): AvailabilityWindowView {
  return { start: r.starts_at, end: r.ends_at };
}

export function toLosView(r: LosRow): LosView {
  return {
    resourceId: r.resource_id,
    channel: r.channel,
    arrivalDate: r.arrival_day,
    lengthOfStay: Number(r.length_of_stay),
    unitsAvailable: Number(r.units_available),
    price: money(r.price),
    currency: r.currency,
    updatedAt: r.updated_at,
  };
}
