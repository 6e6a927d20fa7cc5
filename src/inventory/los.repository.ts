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

@Injectable()
export class LosRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async currentDatasetKey(locationId: string, channel: string, manager?: EntityManager): Promise<string | null> {
    const [row] = await (manager ?? this.dataSource.manager).query(
      `SELECT dataset_key FROM los_datasets WHERE location_id = $1 AND channel = $2`, [locationId, channel]);
    return row?.dataset_key ?? null;
  }

  /**
   * The LOS rows of (location, channel) become exactly `cells`, in the caller's transaction: one DELETE,
   * then multi-row INSERTs from arrays (20k rows per statement), then the dataset key is remembered.
   */
  async replaceDataset(
    m: EntityManager,
    target: { locationId: string; channel: string; connectionId: string; datasetKey: string; currency: string | null },
    cells: LosCell[],
  ): Promise<void> {
    await m.query(`DELETE FROM los_rows WHERE location_id = $1 AND channel = $2`, [target.locationId, target.channel]);
    for (let i = 0; i < cells.length; i += CHUNK) {
      const part = cells.slice(i, i + CHUNK);
      await m.query(
        `INSERT INTO los_rows (resource_id, channel, arrival_date, length_of_stay, location_id, connection_id, units_available, price, currency, dataset_key, updated_at)
         SELECT r, $5, a, l, $6, $7, u, p, $8, $9, now()
           FROM unnest($1::varchar[], $2::date[], $3::smallint[], $4::int[], $10::numeric[]) AS t(r, a, l, u, p)
         ON CONFLICT (resource_id, channel, arrival_date, length_of_stay) DO UPDATE SET
           units_available = EXCLUDED.units_available, price = EXCLUDED.price, currency = EXCLUDED.currency,
           dataset_key = EXCLUDED.dataset_key, location_id = EXCLUDED.location_id, updated_at = now()`,
        [part.map((c) => c.resourceId), part.map((c) => c.arrivalDate), part.map((c) => c.lengthOfStay), part.map((c) => c.unitsAvailable),
          target.channel, target.locationId, target.connectionId, target.currency, target.datasetKey, part.map((c) => c.price)],
      );
    }
    await m.query(
      `INSERT INTO los_datasets (location_id, channel, connection_id, dataset_key, loaded_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (location_id, channel) DO UPDATE SET dataset_key = EXCLUDED.dataset_key, connection_id = EXCLUDED.connection_id, loaded_at = now()`,
      [target.locationId, target.channel, target.connectionId, target.datasetKey],
    );
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
