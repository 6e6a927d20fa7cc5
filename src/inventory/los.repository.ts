import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export interface LosCell {
  resourceId: string;
  /** YYYY-MM-DD, the calendar date as the provider meant it */
  arrivalDate: string;
  lengthOfStay: number;
  unitsAvailable: number;
  price: number | null;
}

export interface LosUnitsPatch {
  resourceId: string;
  arrivalDate: string;
  lengthOfStay: number;
  unitsAvailable: number;
}

const CHUNK = 20_000;

// Array parameters as PostgreSQL array literals built here: for 500k-row datasets this is several times
// cheaper than node-postgres' generic array serialisation (measured with scripts/los-load.mjs).
const PLAIN_ELEMENT = /^[A-Za-z0-9_.:+-]+$/;
function textArray(values: ReadonlyArray<string>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    out += PLAIN_ELEMENT.test(v) && !/^null$/i.test(v) ? v : `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  }
  return `${out}}`;
}
function numberArray(values: ReadonlyArray<number | null>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    out += v === null || v === undefined ? 'NULL' : String(v);
  }
  return `${out}}`;
}

@Injectable()
export class LosRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async currentDatasetKey(locationId: string, channel: string, manager?: EntityManager): Promise<string | null> {
    const [row] = await (manager ?? this.dataSource.manager).query(
      `SELECT dataset_key FROM los_datasets WHERE location_id = $1 AND channel = $2`, [locationId, channel]);
    return row?.dataset_key ?? null;
  }

  /**
   * The LOS rows of (location, channel) become exactly `cells`, in the caller's transaction: one DELETE, then
   * plain multi-row INSERTs from arrays (20k rows per statement), then the dataset key is remembered.
   * `cells` must not repeat a (resourceId, arrivalDate, lengthOfStay) (the Stratech mapper keeps the last).
   * The DELETE also takes this channel's rows of these resources under another location (a resort that was
   * mapped elsewhere before), so the INSERTs never conflict and need no ON CONFLICT, which measured ~30 %
   * slower on 511,000 rows.
   */
  async replaceDataset(
    m: EntityManager,
    target: { locationId: string; channel: string; connectionId: string; datasetKey: string; currency: string | null },
    cells: LosCell[],
  ): Promise<void> {
    const resourceIds = [...new Set(cells.map((c) => c.resourceId))];
    await m.query(
      `DELETE FROM los_rows WHERE channel = $2 AND (location_id = $1 OR resource_id = ANY($3::varchar[]))`,
      [target.locationId, target.channel, textArray(resourceIds)],
    );
    for (let i = 0; i < cells.length; i += CHUNK) {
      const end = Math.min(cells.length, i + CHUNK);
      const r: string[] = [];
      const a: string[] = [];
      const l: number[] = [];
      const u: number[] = [];
      const p: Array<number | null> = [];
      for (let k = i; k < end; k++) {
        const c = cells[k];
        r.push(c.resourceId);
        a.push(c.arrivalDate);
        l.push(c.lengthOfStay);
        u.push(c.unitsAvailable);
        p.push(c.price);
      }
      await m.query(
        `INSERT INTO los_rows (resource_id, channel, arrival_date, length_of_stay, location_id, connection_id, units_available, price, currency, dataset_key, updated_at)
         SELECT r, $5, a, l, $6, $7, u, p, $8, $9, now()
           FROM unnest($1::varchar[], $2::date[], $3::smallint[], $4::int[], $10::numeric[]) AS t(r, a, l, u, p)`,
        [textArray(r), textArray(a), numberArray(l), numberArray(u), target.channel, target.locationId, target.connectionId,
          target.currency, target.datasetKey, numberArray(p)],
      );
    }
    await m.query(
      `INSERT INTO los_datasets (location_id, channel, connection_id, dataset_key, loaded_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (location_id, channel) DO UPDATE SET dataset_key = EXCLUDED.dataset_key, connection_id = EXCLUDED.connection_id, loaded_at = now()`,
      [target.locationId, target.channel, target.connectionId, target.datasetKey],
    );
  }

  /**
   * Unmapping: this connection's LOS rows and loaded datasets in the location are deleted, in the caller's
   * transaction, so the next connection mapped there starts clean (its first partials are not "stale" against
   * the old dataset key, and its dataset load finds nothing of the old connection to replace).
   */
  async retireConnectionInLocation(connectionId: string, locationId: string, manager: EntityManager): Promise<{ rows: number; datasets: number }> {
    const rows = await manager.query(`DELETE FROM los_rows WHERE location_id = $1 AND connection_id = $2`, [locationId, connectionId]);
    const datasets = await manager.query(`DELETE FROM los_datasets WHERE location_id = $1 AND connection_id = $2`, [locationId, connectionId]);
    return { rows: (rows as [unknown[], number])[1], datasets: (datasets as [unknown[], number])[1] };
  }

  /**
   * Partial update: only unitsAvailable of the listed cells of this (location, channel) changes; prices and
   * other cells stay. Cells not loaded yet are inserted without a price. Returns the number of cells written.
   */
  async patchUnits(
    m: EntityManager,
    target: { locationId: string; channel: string; connectionId: string },
    cells: LosUnitsPatch[],
  ): Promise<number> {
    if (cells.length === 0) return 0;
    const rows: unknown[] = await m.query(
      `INSERT INTO los_rows AS l (resource_id, channel, arrival_date, length_of_stay, location_id, connection_id, units_available, updated_at)
       SELECT r, $5, a, los, $6, $7, u, now()
         FROM unnest($1::varchar[], $2::date[], $3::smallint[], $4::int[]) AS t(r, a, los, u)
       ON CONFLICT (resource_id, channel, arrival_date, length_of_stay) DO UPDATE SET
         units_available = EXCLUDED.units_available, updated_at = now()
       WHERE l.units_available IS DISTINCT FROM EXCLUDED.units_available
       RETURNING 1`,
      [cells.map((c) => c.resourceId), cells.map((c) => c.arrivalDate), cells.map((c) => c.lengthOfStay), cells.map((c) => c.unitsAvailable),
        target.channel, target.locationId, target.connectionId],
    );
    return rows.length;
  }
}
