import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import type { RateUnit } from './entities/rate.entity';

export interface RateWrite {
  externalId: string;
  name: string | null;
  price: number | null;
  currency: string | null;
  unit: RateUnit;
}

const REPLACE_RATES_SQL = `
  WITH gone AS (
    DELETE FROM rates WHERE resource_id = $3 AND provider = $1 AND connection_id = $2 AND NOT (external_id = ANY($4::varchar[])))
  INSERT INTO rates (provider, connection_id, external_id, resource_id, name, price, currency, unit, updated_at)
  SELECT $1, $2, e, $3, n, p, c, u, now() FROM unnest($4::varchar[], $5::varchar[], $6::numeric[], $7::varchar[], $8::varchar[]) AS t(e, n, p, c, u)
  ON CONFLICT (provider, connection_id, external_id) DO UPDATE SET
    resource_id = EXCLUDED.resource_id, name = EXCLUDED.name, price = EXCLUDED.price, currency = EXCLUDED.currency,
    unit = EXCLUDED.unit, updated_at = now()
  WHERE (rates.resource_id, rates.name, rates.price, rates.currency, rates.unit)
        IS DISTINCT FROM (EXCLUDED.resource_id, EXCLUDED.name, EXCLUDED.price, EXCLUDED.currency, EXCLUDED.unit)`;

/** Rates of resources; updated_at moves only on a real change (the change feed carries pricing). */
@Injectable()
export class RatesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async upsert(owner: { provider: string; connectionId: string; resourceId: string }, rate: RateWrite, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query(
      `INSERT INTO rates (provider, connection_id, external_id, resource_id, name, price, currency, unit, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
       ON CONFLICT (provider, connection_id, external_id) DO UPDATE SET
         resource_id = EXCLUDED.resource_id, name = EXCLUDED.name, price = EXCLUDED.price, currency = EXCLUDED.currency,
         unit = EXCLUDED.unit, updated_at = now()
       WHERE (rates.resource_id, rates.name, rates.price, rates.currency, rates.unit)
             IS DISTINCT FROM (EXCLUDED.resource_id, EXCLUDED.name, EXCLUDED.price, EXCLUDED.currency, EXCLUDED.unit)`,
      [owner.provider, owner.connectionId, rate.externalId, owner.resourceId, rate.name, rate.price, rate.currency, rate.unit],
    );
  }

  async remove(provider: string, connectionId: string, externalId: string, manager: EntityManager = this.dataSource.manager): Promise<number> {
    const [, n] = (await manager.query(`DELETE FROM rates WHERE provider = $1 AND connection_id = $2 AND external_id = $3`, [provider, connectionId, externalId])) as [unknown[], number];
    return n;
  }

  /**
   * A resource JSON with a `rates` array: the resource's rates become exactly these, in one statement (its own
   * transaction). Idempotent and cheap when nothing changed (identical rows are not rewritten), so it can run on
   * every fetch: a retry after the resource was written but its rates were not applies them.
   */
  async replaceForResource(owner: { provider: string; connectionId: string; resourceId: string }, rates: RateWrite[], manager?: EntityManager): Promise<void> {
    const values = [owner.provider, owner.connectionId, owner.resourceId, rates.map((r) => r.externalId), rates.map((r) => r.name),
      rates.map((r) => r.price), rates.map((r) => r.currency), rates.map((r) => r.unit)];
    if (manager) {
      await manager.query(REPLACE_RATES_SQL, values);
      return;
    }
    // Named: it runs on every Syncaroo resource fetch; prepared once per pooled connection (parse and plan
    // were half its database time).
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    await pool.query({ name: 'rates-replace-for-resource', text: REPLACE_RATES_SQL, values });
  }
}
