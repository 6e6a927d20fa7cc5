import { Injectable } from '@nestjs/common';
import { poolOf } from '../database/leader-lock';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { RateUnit } from './entities/rate.entity';

export interface RateWrite {
  externalId: string;
  name: string | null;
  price: number | null;
  currency: string | null;
  unit: RateUnit;
}

/**
 * Deletes the resource's rates not in the list, updates those that differ, inserts the new ones. No row is
 * locked when nothing differs (an `ON CONFLICT DO UPDATE … WHERE` locks the row it skips), so an unchanged price
 * list, the common case on every resource fetch, writes no WAL and commits without a flush. A rate inserted by
 * another transaction after this statement's snapshot is left as that one wrote it (ON CONFLICT DO NOTHING).
 */
const REPLACE_RATES_SQL = `
  WITH t AS (
    SELECT * FROM unnest($4::varchar[], $5::varchar[], $6::numeric[], $7::varchar[], $8::varchar[]) AS t(e, n, p, c, u)),
  gone AS (
    DELETE FROM rates WHERE resource_id = $3 AND provider = $1 AND connection_id = $2 AND NOT (external_id = ANY($4::varchar[]))),
  changed AS (
    UPDATE rates r SET resource_id = $3, name = t.n, price = t.p, currency = t.c, unit = t.u, updated_at = now()
      FROM t
     WHERE r.provider = $1 AND r.connection_id = $2 AND r.external_id = t.e
       AND (r.resource_id, r.name, r.price, r.currency, r.unit) IS DISTINCT FROM ($3::varchar, t.n, t.p, t.c, t.u))
  INSERT INTO rates (provider, connection_id, external_id, resource_id, name, price, currency, unit, updated_at)
  SELECT $1, $2, t.e, $3, t.n, t.p, t.c, t.u, now() FROM t
   WHERE NOT EXISTS (SELECT 1 FROM rates x WHERE x.provider = $1 AND x.connection_id = $2 AND x.external_id = t.e)
  ON CONFLICT (provider, connection_id, external_id) DO NOTHING`;

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
  async replaceForResource(owner: { provider: string; connectionId: string; resourceId: string }, rates: RateWrite[]): Promise<void> {
    const values = [owner.provider, owner.connectionId, owner.resourceId, rates.map((r) => r.externalId), rates.map((r) => r.name),
      rates.map((r) => r.price), rates.map((r) => r.currency), rates.map((r) => r.unit)];
    // Named: it runs on every Syncaroo resource fetch; prepared once per pooled connection (parse and plan
    // were half its database time).
    await poolOf(this.dataSource).query({ name: 'rates-replace-for-resource', text: REPLACE_RATES_SQL, values });
  }
}
