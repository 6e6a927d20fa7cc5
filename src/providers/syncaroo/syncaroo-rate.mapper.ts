import { RATE_UNITS, RateUnit } from '../../inventory/entities/rate.entity';
import { toCurrency, toPrice } from './syncaroo.mapper';

/** A rate as Syncaroo is assumed to send it (CONTRACT 9 "Rates"): `{id, name, price, currency, unit}`, `period` for `unit`. */
export interface RateUpsert {
  externalId: string;
  name: string | null;
  price: number | null;
  currency: string | null;
  unit: RateUnit;
}

const UNIT_ALIASES: Record<string, RateUnit> = {
  hour: 'hour', hourly: 'hour', 'half-day': 'half-day', halfday: 'half-day', half_day: 'half-day',
  day: 'day', daily: 'day', week: 'week', weekly: 'week', month: 'month', monthly: 'month',
};

export function toRateUnit(raw: unknown): RateUnit | null {
  if (typeof raw !== 'string') return null;
  const unit = UNIT_ALIASES[raw.trim().toLowerCase()];
  return unit && (RATE_UNITS as readonly string[]).includes(unit) ? unit : null;
}

const idOf = (v: unknown): string | null =>
  (typeof v === 'string' && /^[A-Za-z0-9._:-]{1,300}$/.test(v)) || (typeof v === 'number' && Number.isSafeInteger(v)) ? String(v) : null;

/** null when the rate has no usable id or unit: nothing sensible can be stored. `fallbackId`: the webhook's syncarooId. */
export function toRateUpsert(raw: unknown, fallbackId?: string): RateUpsert | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const externalId = idOf(r.id) ?? (fallbackId ? idOf(fallbackId) : null);
  const unit = toRateUnit(r.unit ?? r.period);
  if (!externalId || !unit) return null;
  const name = typeof r.name === 'string' && r.name.trim() ? r.name.trim().slice(0, 500).replace(/\u0000/g, '') : null;
  return { externalId, name, price: toPrice(r.price), currency: toCurrency(r.currency), unit };
}

/**
 * A resource JSON's `rates` array (absent or not an array: undefined = leave the rates alone); unusable entries are
 * skipped. An entry without an id (the seed's `{period, price}`) is the resource's rate for that unit: its id is
 * `<resource syncarooId>:<unit>`, since rate ids are unique per connection and every room has its own day rate.
 */
export function toRateList(raw: unknown, resourceExternalId: string): RateUpsert[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const seen = new Map<string, RateUpsert>();
  for (const item of raw.slice(0, 1000)) {
    const unit = item && typeof item === 'object' ? toRateUnit((item as Record<string, unknown>).unit ?? (item as Record<string, unknown>).period) : null;
    const rate = toRateUpsert(item, unit ? `${resourceExternalId}:${unit}` : undefined);
    if (rate) seen.set(rate.externalId, rate);
  }
  return [...seen.values()];
}
