import { boundedText } from '../../common/stored-values';
import type { LosCell, LosUnitsPatch } from '../../inventory/los.repository';
import type { ResourceUpsert } from '../../inventory/resources.repository';
import type { StratechLosDataset } from './stratech-api.client';

/** Thrown by the pure mappers for input they cannot turn into rows. */
export class StratechMappingError extends Error {}

// Date, then optionally a time and an offset. The offset is deliberately ignored: Stratech writes the
// resort's midnight with the resort's offset, and the calendar date it means is the one it wrote.
const DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * `arrivalDate` → `YYYY-MM-DD`, the calendar date as written, never converted through UTC:
 * `2022-04-01T00:00:00+02:00` and `2022-04-01T23:30:00-05:00` are both 2022-04-01.
 */
export function toCalendarDate(value: unknown): string {
  if (typeof value !== 'string') throw new StratechMappingError('arrivalDate must be a string');
  const m = DATE_PREFIX.exec(value.trim());
  if (!m) throw new StratechMappingError(`arrivalDate ${JSON.stringify(value.slice(0, 40))} is not an ISO 8601 date`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new StratechMappingError(`arrivalDate ${JSON.stringify(value.slice(0, 40))} is not a calendar date`);
  }
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** A big dataset repeats the same few hundred arrival dates: convert each once and share the string. */
function dateCache(): (raw: unknown) => string {
  const seen = new Map<unknown, string>();
  return (raw) => {
    let d = seen.get(raw);
    if (d === undefined) {
      d = toCalendarDate(raw);
      seen.set(raw, d);
    }
    return d;
  };
}

const SMALLINT_MAX = 32767;
const INT_MAX = 2147483647;

export function isLengthOfStay(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= SMALLINT_MAX;
}

export function isUnits(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= INT_MAX;
}

function priceOf(v: unknown, where: string): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) >= 1e12) throw new StratechMappingError(`${where}.price must be a number`);
  return v;
}

function productKey(productId: unknown, where: string): string {
  if (typeof productId === 'number' && Number.isFinite(productId)) return String(productId);
  if (typeof productId !== 'string' || productId.length === 0 || productId.length > 200) {
    throw new StratechMappingError(`${where}.productId must be a non-empty string`);
  }
  return productId;
}

/** The distinct products of a dataset or partial, in first-seen order, with the last name given. */
export function productsOf(products: ReadonlyArray<{ productId: unknown; name?: unknown }>): Array<{ externalId: string; name: string | null }> {
  const byId = new Map<string, string | null>();
  products.forEach((p, i) => {
    const id = productKey(p.productId, `products[${i}]`);
    const name = boundedText(p.name, 500);
    byId.set(id, name ?? byId.get(id) ?? null);
  });
  return [...byId].map(([externalId, name]) => ({ externalId, name }));
}

/**
 * A product as an `accommodation` resource of the location mapped to the resort. A product without a name
 * keeps the name it already has (partials never carry names).
 */
export function toAccommodation(
  product: { externalId: string; name: string | null },
  target: { id: string; locationId: string; connectionId: string; existingName: string | null },
): ResourceUpsert {
  return {
    id: target.id,
    locationId: target.locationId,
    connectionId: target.connectionId,
    provider: 'stratech',
    externalId: product.externalId,
    type: 'accommodation',
    name: product.name ?? target.existingName,
    capacity: null,
    status: 'active',
    attributes: {},
  };
}

/**
 * Full dataset → LOS cells, resource ids looked up by productId. A cell listed twice keeps the last
 * value (the insert must not touch a row twice). Throws StratechMappingError on the first bad cell.
 */
export function toLosCells(dataset: Pick<StratechLosDataset, 'products'>, resourceIdOf: (productId: string) => string): LosCell[] {
  if (!Array.isArray(dataset.products)) throw new StratechMappingError('products must be an array');
  const date = dateCache();
  const cells: LosCell[] = [];
  const seen = new Map<string, Map<string, number>>();
  dataset.products.forEach((p, i) => {
    const where = `products[${i}]`;
    const productId = productKey(p?.productId, where);
    if (!Array.isArray(p.losPriceAvailability)) throw new StratechMappingError(`${where}.losPriceAvailability must be an array`);
    const resourceId = resourceIdOf(productId);
    let index = seen.get(productId);
    if (!index) seen.set(productId, (index = new Map()));
    const list = p.losPriceAvailability;
    for (let j = 0; j < list.length; j++) {
      const c = list[j];
      const at = `${where}.losPriceAvailability[${j}]`;
      if (!c || typeof c !== 'object') throw new StratechMappingError(`${at} must be an object`);
      if (!isLengthOfStay(c.lengthOfStay)) throw new StratechMappingError(`${at}.lengthOfStay must be an integer from 1 to ${SMALLINT_MAX}`);
      if (!isUnits(c.unitsAvailable)) throw new StratechMappingError(`${at}.unitsAvailable must be an integer ≥ 0`);
      let arrivalDate: string;
      try {
        arrivalDate = date(c.arrivalDate);
      } catch (e) {
        throw new StratechMappingError(`${at}.${(e as Error).message}`);
      }
      const cell: LosCell = { resourceId, arrivalDate, lengthOfStay: c.lengthOfStay, unitsAvailable: c.unitsAvailable, price: priceOf(c.price, at) };
      const key = `${arrivalDate}|${c.lengthOfStay}`;
      const earlier = index.get(key);
      if (earlier === undefined) {
        index.set(key, cells.length);
        cells.push(cell);
      } else cells[earlier] = cell;
    }
  });
  return cells;
}

/** Partial (`los.updated`) → unit patches; the webhook validator has already checked each cell. */
export function toUnitPatches(
  products: ReadonlyArray<{ productId: string; losPriceAvailability: ReadonlyArray<{ arrivalDate: string; lengthOfStay: number; unitsAvailable: number }> }>,
  resourceIdOf: (productId: string) => string,
): LosUnitsPatch[] {
  const date = dateCache();
  const byCell = new Map<string, LosUnitsPatch>();
  for (const p of products) {
    const resourceId = resourceIdOf(productKey(p.productId, 'products'));
    for (const c of p.losPriceAvailability) {
      const arrivalDate = date(c.arrivalDate);
      // Later in the same body wins, as it would had it come in a later event.
      const key = `${resourceId}|${arrivalDate}|${c.lengthOfStay}`;
      byCell.delete(key);
      byCell.set(key, { resourceId, arrivalDate, lengthOfStay: c.lengthOfStay, unitsAvailable: c.unitsAvailable });
    }
  }
  return [...byCell.values()];
}
