import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { getManyValues, isMany, none } from 'stream-chain/defs.js';
import { jsonParser, type Token } from 'stream-json/core/parser.js';
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
 * A big dataset repeats the same few hundred arrival dates: each raw value is converted once, and numbered,
 * so a cell's (arrivalDate, lengthOfStay) is one number: `dateIndex * 32768 + lengthOfStay`.
 */
export class ArrivalDates {
  private readonly index = new Map<unknown, number>();
  private readonly byCalendarDate = new Map<string, number>();
  readonly dates: string[] = [];
  // Cells come grouped by arrival date: the same value as the cell before needs no lookup.
  private lastRaw: unknown = undefined;
  private lastIndex = -1;

  /** Throws StratechMappingError for a value that is not an ISO 8601 calendar date. */
  indexOf(raw: unknown): number {
    if (raw === this.lastRaw && this.lastIndex >= 0) return this.lastIndex;
    let i = this.index.get(raw);
    if (i === undefined) {
      const date = toCalendarDate(raw);
      i = this.byCalendarDate.get(date);
      if (i === undefined) {
        i = this.dates.length;
        this.dates.push(date);
        this.byCalendarDate.set(date, i);
      }
      this.index.set(raw, i);
    }
    this.lastRaw = raw;
    this.lastIndex = i;
    return i;
  }

  /** Cells of the product mapped before: the next one's columns start at that size (they are usually alike). */
  lastProductCells = 0;

  /** The number of a calendar date already seen. */
  numberOf(date: string): number {
    return this.byCalendarDate.get(date)!;
  }
}

/** One product entry of a dataset, mapped: its cells as columns, each (arrivalDate, lengthOfStay) once. */
export interface ProductCells {
  externalId: string;
  name: string | null;
  arrivalDates: string[];
  lengthsOfStay: number[];
  units: number[];
  prices: Array<number | null>;
}

/** The cells of one product entry as they are checked, one by one: columns, a cell listed twice kept once. */
class CellColumns {
  // Allocated at the previous product's size, not grown from empty: the copies growing leaves behind live as long as
  // the product is read, so they were promoted, and a dataset's worth of them raised the heap ~75 MB before a full GC.
  readonly arrivalDates: string[];
  readonly lengthsOfStay: number[];
  readonly units: number[];
  readonly prices: Array<number | null>;
  private n = 0;
  /**
   * Where each (date, stay) is, built only once the cells stop coming in strictly ascending (date number, stay)
   * order: in order, a cell cannot repeat one before it, and a dataset of a million ordered cells builds no map
   * (each product's map outlived the young generation: ~100 MB of promoted garbage per dataset).
   */
  private seen: Map<number, number> | null = null;
  private lastKey = -1;

  constructor(private readonly where: string, private readonly dates: ArrivalDates) {
    // new Array(n) keeps fast elements below 100,000 (V8's kInitialMaxFastElementArray).
    const size = Math.min(dates.lastProductCells, 65_536);
    this.arrivalDates = new Array<string>(size);
    this.lengthsOfStay = new Array<number>(size);
    this.units = new Array<number>(size);
    this.prices = new Array<number | null>(size);
  }

  /** Cell `j` (its fields as JSON.parse gives them); throws StratechMappingError for a bad one. The last of a repeated cell wins, in the first one's place. */
  add(j: number, arrivalDate: unknown, lengthOfStay: unknown, unitsAvailable: unknown, price: unknown): void {
    const at = `${this.where}.losPriceAvailability[${j}]`;
    if (!isLengthOfStay(lengthOfStay)) throw new StratechMappingError(`${at}.lengthOfStay must be an integer from 1 to ${SMALLINT_MAX}`);
    if (!isUnits(unitsAvailable)) throw new StratechMappingError(`${at}.unitsAvailable must be an integer ≥ 0`);
    let d: number;
    try {
      d = this.dates.indexOf(arrivalDate);
    } catch (e) {
      throw new StratechMappingError(`${at}.${(e as Error).message}`);
    }
    const p = priceOf(price, at);
    const key = d * (SMALLINT_MAX + 1) + lengthOfStay;
    if (this.seen === null) {
      if (key > this.lastKey) {
        this.lastKey = key;
        this.append(this.dates.dates[d], lengthOfStay, unitsAvailable, p);
        return;
      }
      this.seen = new Map();
      for (let i = 0; i < this.n; i++) this.seen.set(this.dates.numberOf(this.arrivalDates[i]) * (SMALLINT_MAX + 1) + this.lengthsOfStay[i], i);
    }
    const earlier = this.seen.get(key);
    if (earlier === undefined) {
      this.seen.set(key, this.n);
      this.append(this.dates.dates[d], lengthOfStay, unitsAvailable, p);
    } else {
      this.units[earlier] = unitsAvailable;
      this.prices[earlier] = p;
    }
  }

  private append(date: string, lengthOfStay: number, units: number, price: number | null): void {
    const i = this.n++;
    this.arrivalDates[i] = date;
    this.lengthsOfStay[i] = lengthOfStay;
    this.units[i] = units;
    this.prices[i] = price;
  }

  notAnObject(j: number): StratechMappingError {
    return new StratechMappingError(`${this.where}.losPriceAvailability[${j}] must be an object`);
  }

  product(externalId: string, name: unknown): ProductCells {
    for (const column of [this.arrivalDates, this.lengthsOfStay, this.units, this.prices]) column.length = this.n;
    this.dates.lastProductCells = this.n;
    return { externalId, name: boundedText(name, 500), arrivalDates: this.arrivalDates, lengthsOfStay: this.lengthsOfStay, units: this.units, prices: this.prices };
  }
}

/**
 * One entry of a dataset's `products` (as JSON.parse would give it) → its cells. A cell listed twice keeps
 * the last value in the first one's place. Throws StratechMappingError on the first bad cell, naming it
 * `products[index]…`; a bad productId or a missing cell list first.
 */
export function toProductCells(p: unknown, index: number, dates = new ArrivalDates()): ProductCells {
  const where = `products[${index}]`;
  const product = p as { productId?: unknown; name?: unknown; losPriceAvailability?: unknown } | null;
  const externalId = productKey(product?.productId, where);
  const list = product!.losPriceAvailability;
  if (!Array.isArray(list)) throw new StratechMappingError(`${where}.losPriceAvailability must be an array`);
  const columns = new CellColumns(where, dates);
  for (let j = 0; j < list.length; j++) {
    const c = list[j] as { arrivalDate?: unknown; lengthOfStay?: unknown; unitsAvailable?: unknown; price?: unknown } | null;
    if (!c || typeof c !== 'object') throw columns.notAnObject(j);
    columns.add(j, c.arrivalDate, c.lengthOfStay, c.unitsAvailable, c.price);
  }
  return columns.product(externalId, product!.name);
}

/**
 * Full dataset → LOS cells, resource ids looked up by productId. A cell listed twice keeps the last
 * value (the insert must not touch a row twice). Throws StratechMappingError on the first bad cell.
 */
export function toLosCells(dataset: Pick<StratechLosDataset, 'products'>, resourceIdOf: (productId: string) => string): LosCell[] {
  if (!Array.isArray(dataset.products)) throw new StratechMappingError('products must be an array');
  const dates = new ArrivalDates();
  const cells: LosCell[] = [];
  const seen = new Map<string, Map<string, number>>();
  dataset.products.forEach((p, i) => {
    const mapped = toProductCells(p, i, dates);
    const resourceId = resourceIdOf(mapped.externalId);
    let index = seen.get(mapped.externalId);
    if (!index) seen.set(mapped.externalId, (index = new Map()));
    for (let j = 0; j < mapped.arrivalDates.length; j++) {
      const cell: LosCell = { resourceId, arrivalDate: mapped.arrivalDates[j], lengthOfStay: mapped.lengthsOfStay[j], unitsAvailable: mapped.units[j], price: mapped.prices[j] };
      const key = `${cell.arrivalDate}|${cell.lengthOfStay}`;
      const earlier = index.get(key);
      if (earlier === undefined) {
        index.set(key, cells.length);
        cells.push(cell);
      } else cells[earlier] = cell;
    }
  });
  return cells;
}

/** The top-level values of a dataset besides `products` that loading checks (CONTRACT.md section 7). */
export const DATASET_SCALARS = ['key', 'organizationReference', 'resortReference', 'channelReference', 'currency'] as const;
export type DatasetScalar = (typeof DATASET_SCALARS)[number];
/** A field that held an object or an array where a scalar belongs. */
export const NOT_A_SCALAR: unique symbol = Symbol('not a scalar');
type Scalar = string | number | boolean | null;

const SCALAR_NAMES = new Set<string>(DATASET_SCALARS);
const CELL_FIELDS = new Map<string, number>([['arrivalDate', 0], ['lengthOfStay', 1], ['unitsAvailable', 2], ['price', 3]]);

/**
 * One entry of `products` built from its tokens, the way `toProductCells` reads the parsed entry (same checks,
 * same messages, same precedence: productId, then the cell list, then the first bad cell), without building
 * an object per cell. Keys it does not know are skipped; a key given twice: the last (JSON.parse's rule).
 */
class EntryBuilder {
  /** Containers open inside the entry (1 = the entry object itself). */
  private depth = 1;
  /** Depth at which a skipped value ends; 0 while nothing is skipped. */
  private skipTo = 0;
  private key: string | null = null;
  private productId: unknown = undefined;
  private name: unknown = undefined;
  /** undefined: no losPriceAvailability (yet); false: not an array. */
  private columns: CellColumns | false | undefined = undefined;
  private inList = false;
  private cellIndex = -1;
  /** The cell being read: arrivalDate, lengthOfStay, unitsAvailable, price. */
  private readonly cell: unknown[] = [undefined, undefined, undefined, undefined];
  private cellField = -1;
  private error: StratechMappingError | null = null;
  private readonly where: string;

  constructor(index: number, private readonly dates: ArrivalDates) {
    this.where = `products[${index}]`;
  }

  /** Feeds a token; returns true once the entry's closing brace is consumed. */
  token(t: Token): boolean {
    const name = t.name;
    if (this.skipTo > 0) {
      if (name === 'startObject' || name === 'startArray') this.depth++;
      else if (name === 'endObject' || name === 'endArray') {
        this.depth--;
        if (this.depth < this.skipTo) {
          const cellEnded = this.skipTo === 3 && this.inList;
          this.skipTo = 0;
          if (cellEnded) this.endCell();
        }
      }
      return false;
    }
    switch (name) {
      case 'keyValue':
        if (this.depth === 1) this.key = t.value;
        else if (this.depth === 3 && this.inList) this.cellField = CELL_FIELDS.get(t.value) ?? -1;
        return false;
      case 'startObject':
      case 'startArray':
        this.depth++;
        if (this.depth === 2) {
          // A value of the entry's own keys.
          const key = this.key;
          this.key = null;
          if (key === 'losPriceAvailability' && name === 'startArray') {
            this.columns = new CellColumns(this.where, this.dates);
            this.cellIndex = -1;
            this.error = null;
            this.inList = true;
            return false;
          }
          if (key === 'productId') this.productId = NOT_A_SCALAR;
          else if (key === 'name') this.name = null;
          else if (key === 'losPriceAvailability') this.columns = false;
          this.skipTo = 2;
        } else if (this.depth === 3 && this.inList) {
          // A cell: an object is read field by field; an array is a cell without fields (as toProductCells sees it).
          this.cellIndex++;
          this.cell[0] = this.cell[1] = this.cell[2] = this.cell[3] = undefined;
          this.cellField = -1;
          if (name === 'startArray') this.skipTo = 3;
        } else if (this.depth === 4 && this.inList) {
          // A cell field holding an object or array: never a valid value.
          if (this.cellField >= 0) this.cell[this.cellField] = NOT_A_SCALAR;
          this.cellField = -1;
          this.skipTo = 4;
        } else this.skipTo = this.depth;
        return false;
      case 'endObject':
      case 'endArray':
        this.depth--;
        if (this.depth === 0) return true;
        if (this.depth === 1 && this.inList) this.inList = false;
        else if (this.depth === 2 && this.inList) this.endCell();
        return false;
      default: {
        const value: Scalar = name === 'numberValue' ? Number(t.value) : (t as { value: Scalar }).value;
        if (this.depth === 1) {
          const key = this.key;
          this.key = null;
          if (key === 'productId') this.productId = value;
          else if (key === 'name') this.name = value;
          else if (key === 'losPriceAvailability') this.columns = false;
        } else if (this.depth === 2 && this.inList) {
          // A cell that is not an object.
          this.cellIndex++;
          if (this.error === null) this.error = (this.columns as CellColumns).notAnObject(this.cellIndex);
        } else if (this.depth === 3 && this.inList && this.cellField >= 0) {
          this.cell[this.cellField] = value;
          this.cellField = -1;
        }
        return false;
      }
    }
  }

  private endCell(): void {
    if (this.error !== null) return;
    const c = this.cell;
    try {
      (this.columns as CellColumns).add(this.cellIndex, c[0], c[1], c[2], c[3]);
    } catch (e) {
      this.error = e as StratechMappingError;
    }
  }

  /** The entry's cells; throws for a bad productId, a missing cell list or the first bad cell, in that order. */
  finish(): ProductCells {
    const externalId = productKey(this.productId === NOT_A_SCALAR ? undefined : this.productId, this.where);
    if (!this.columns) throw new StratechMappingError(`${this.where}.losPriceAvailability must be an array`);
    if (this.error) throw this.error;
    return this.columns.product(externalId, this.name);
  }
}

/**
 * A dataset document read as it streams in, without ever holding it whole: stream-json's tokenizer turns
 * each chunk of text into tokens, each entry of `products` is mapped (`toProductCells`' checks) from its tokens
 * and handed out as soon as it is complete, and the top-level scalars (key, references, currency) are kept
 * wherever in the document they are. Everything else is skipped token by token. Throws StratechMappingError
 * for a document that is not JSON, not an object, or has no `products` array, or for a bad entry.
 */
export class LosDatasetReader {
  /** The top-level scalars seen so far (a repeated key: the last). */
  readonly scalars: Partial<Record<DatasetScalar, Scalar | typeof NOT_A_SCALAR>> = {};
  /** Entries of `products` handed out so far. */
  products = 0;
  /** Whether `products` has begun: scalars not seen by then come after it, if at all. */
  productsStarted = false;
  private productsEnded = false;
  private readonly tokenizer = jsonParser({ packValues: true, streamValues: false });
  /** UTF-8 split across chunks is joined; invalid bytes become U+FFFD, as the whole-body decode did. */
  private readonly decoder = new StringDecoder('utf8');
  private decoderEmpty = true;
  private atStart = true;
  private readonly dates = new ArrivalDates();
  /** Open containers outside the entry being built; 0 before the document and after it. */
  private depth = 0;
  private started = false;
  private key: string | null = null;
  private inProducts = false;
  private entry: EntryBuilder | null = null;
  private entries = 0;
  private out: ProductCells[] = [];

  /** The calendar dates of the cells read so far, numbered in the order first seen. */
  get arrivalDates(): readonly string[] {
    return this.dates.dates;
  }

  /** The number of a calendar date of a cell already read (its place in `arrivalDates`). */
  dateNumber(date: string): number {
    return this.dates.numberOf(date);
  }

  /** The next bytes of the document → the `products` entries they complete, in document order. */
  push(chunk: Uint8Array | string): ProductCells[] {
    let text: string;
    if (typeof chunk === 'string') text = chunk;
    else if (this.decoderEmpty && isAscii(chunk)) {
      // Most of a dataset is ASCII: such a chunk is copied into a one-byte string, several times cheaper.
      text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    } else {
      text = this.decoder.write(chunk as Buffer);
      // A chunk ending on an ASCII byte leaves no partial character behind in the decoder.
      this.decoderEmpty = chunk.byteLength > 0 && chunk[chunk.byteLength - 1] < 0x80;
    }
    if (this.atStart && text !== '') {
      this.atStart = false;
      // A byte-order mark is not part of the document (TextDecoder dropped it too).
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.feed(() => this.tokenizer(text));
    return this.take();
  }

  /** End of the document → the last entries. Throws if it is incomplete or had no `products` array. */
  end(): ProductCells[] {
    this.feed(() => this.tokenizer(this.decoder.end()));
    this.feed(() => (this.tokenizer as unknown as (flush: typeof none) => unknown)(none));
    if (!this.started || this.depth !== 0 || this.entry) throw new StratechMappingError('the answer is not valid JSON (it ends early)');
    if (!this.productsEnded) throw new StratechMappingError('the answer has no products array');
    return this.take();
  }

  private take(): ProductCells[] {
    const out = this.out;
    if (out.length > 0) this.out = [];
    this.products += out.length;
    return out;
  }

  private feed(tokenize: () => unknown): void {
    let tokens: unknown;
    try {
      tokens = tokenize();
    } catch (e) {
      throw new StratechMappingError(`the answer is not valid JSON (${(e as Error).message})`);
    }
    if (tokens === none || tokens === undefined) return;
    if (isMany(tokens)) {
      const list = getManyValues(tokens) as Token[];
      for (let i = 0; i < list.length; i++) this.token(list[i]);
    } else this.token(tokens as Token);
  }

  private token(t: Token): void {
    const entry = this.entry;
    if (entry) {
      if (entry.token(t)) {
        this.entry = null;
        this.out.push(entry.finish());
      }
      return;
    }
    switch (t.name) {
      case 'startObject':
      case 'startArray':
        if (this.depth === 0) {
          if (t.name !== 'startObject') throw new StratechMappingError('the answer has no products array');
          this.started = true;
        } else if (this.depth === 1) {
          const key = this.key;
          this.key = null;
          if (key === 'products') {
            if (t.name !== 'startArray') throw new StratechMappingError('the answer has no products array');
            this.inProducts = true;
            this.productsStarted = true;
          } else if (key !== null && SCALAR_NAMES.has(key)) this.scalars[key as DatasetScalar] = NOT_A_SCALAR;
        } else if (this.inProducts && this.depth === 2) {
          const index = this.entries++;
          if (t.name !== 'startObject') throw new StratechMappingError(`products[${index}].productId must be a non-empty string`);
          this.entry = new EntryBuilder(index, this.dates);
          return;
        }
        this.depth++;
        return;
      case 'endObject':
      case 'endArray':
        this.depth--;
        if (this.depth === 1 && this.inProducts) {
          this.inProducts = false;
          this.productsEnded = true;
        }
        return;
      case 'keyValue':
        if (this.depth === 1) {
          if (t.value === 'products' && this.productsStarted) throw new StratechMappingError('the answer has products twice');
          this.key = t.value;
        }
        return;
      default: {
        // A scalar: a top-level value, an entry of `products` that is not an object, or inside something skipped.
        if (this.depth === 0) throw new StratechMappingError('the answer has no products array');
        if (this.depth === 1) {
          const key = this.key;
          this.key = null;
          if (key === 'products') throw new StratechMappingError('the answer has no products array');
          if (key !== null && SCALAR_NAMES.has(key)) this.scalars[key as DatasetScalar] = t.name === 'numberValue' ? Number(t.value) : (t as { value: Scalar }).value;
        } else if (this.inProducts && this.depth === 2) {
          throw new StratechMappingError(`products[${this.entries++}].productId must be a non-empty string`);
        }
      }
    }
  }
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
