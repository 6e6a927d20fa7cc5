import type { LosProductRows } from './los.repository';

/** One arrival date of a product in a dataset: units and prices by length of stay (index 0 = 1 night), NULL where no cell. */
export interface LosDayCells {
  arrivalDate: string;
  units: Array<number | null>;
  prices: Array<number | null>;
}

/**
 * A product's cells (columns, each (arrivalDate, lengthOfStay) once) as day rows, in order of first appearance
 * of each date; the arrays run from 1 night to the day's longest stay.
 */
export function toLosDays(r: LosProductRows): LosDayCells[] {
  const byDate = new Map<string, LosDayCells>();
  for (let i = 0; i < r.arrivalDates.length; i++) {
    const date = r.arrivalDates[i];
    let day = byDate.get(date);
    if (!day) byDate.set(date, (day = { arrivalDate: date, units: [], prices: [] }));
    const at = r.lengthsOfStay[i] - 1;
    // Assigning past the end leaves holes; they are read as NULL below.
    day.units[at] = r.units[i];
    day.prices[at] = r.prices[i];
  }
  return [...byDate.values()];
}

/** An integer or numeric array literal (`{1,NULL,3}`); holes and nulls are NULL. */
export function numberArrayLiteral(values: ReadonlyArray<number | null | undefined>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    out += v === null || v === undefined ? 'NULL' : String(v);
  }
  return `${out}}`;
}

/** A timestamptz array literal of PostgreSQL's own text values; `now` is the transaction's start, as now() is. */
export function timeArrayLiteral(values: ReadonlyArray<string | null | undefined>): string {
  return `{${values.map((v) => (v === null || v === undefined ? 'NULL' : v === 'now' ? 'now' : `"${v}"`)).join(',')}}`;
}

/** A stored day as the partial update reads it: units by stay, the day's write time, the cells' own times where a partial set them. */
export interface StoredLosDay {
  units: Array<number | null>;
  updatedAt: string;
  cellUpdatedAt: Array<string | null> | null;
}

export interface LosDayPatch {
  units: Array<number | null>;
  /** null: every cell's time is the day's (a day the patch creates). */
  cellUpdatedAt: Array<string | null> | null;
  /** Cells whose unitsAvailable the patch wrote (new or different). */
  changed: number;
}

/**
 * unitsAvailable of the given stays of one day set to the given values (a later entry for the same stay wins);
 * prices and other cells stay. Changed cells take the time `now`, the others keep theirs. null when nothing changes.
 */
export function patchLosDay(stored: StoredLosDay | null, cells: ReadonlyArray<{ lengthOfStay: number; unitsAvailable: number }>): LosDayPatch | null {
  const last = new Map<number, number>();
  for (const c of cells) last.set(c.lengthOfStay, c.unitsAvailable);
  if (!stored) {
    const units: Array<number | null> = [];
    for (const [los, u] of last) units[los - 1] = u;
    return { units: Array.from(units, (u) => u ?? null), cellUpdatedAt: null, changed: last.size };
  }
  const units = [...stored.units];
  const times: Array<string | null> = Array.from(units, (u, i) => (u === null ? null : stored.cellUpdatedAt?.[i] ?? stored.updatedAt));
  let changed = 0;
  for (const [los, u] of last) {
    if (units[los - 1] === u) continue;
    units[los - 1] = u;
    times[los - 1] = 'now';
    changed++;
  }
  if (changed === 0) return null;
  return { units: Array.from(units, (u) => u ?? null), cellUpdatedAt: Array.from(times, (t) => t ?? null), changed };
}
