import { Injectable } from '@nestjs/common';
import { sha256Hex } from '../common/crypto.util';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { PoolClient } from 'pg';
import type { RateUnit } from './entities/rate.entity';

export interface RateWrite {
  externalId: string;
  name: string | null;
  price: number | null;
  currency: string | null;
  unit: RateUnit;
}

/**
 * The identity of a price list as a resource JSON carries it: order does not matter (a list replaces the
 * resource's rates whole), every written field does.
 */
export function ratesHash(rates: RateWrite[]): string {
  const rows = rates.map((r) => [r.externalId, r.name, r.price, r.currency, r.unit]).sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
  return sha256Hex(JSON.stringify(rows));
}

/**
 * Deletes the resource's rates not in the list, updates those that differ, inserts the new ones, and records the
 * list's hash on the resource in the same statement, so the hash never names a list that was not written. A rate
 * taken over from another resource clears that resource's hash (its list changed). No row is locked when nothing
 * differs (an `ON CONFLICT DO UPDATE … WHERE` locks the row it skips). A rate inserted by another transaction
 * after this statement's snapshot is left as that one wrote it (ON CONFLICT DO NOTHING).
 */
const REPLACE_RATES_SQL = `
  WITH t AS (
    SELECT * FROM unnest($4::varchar[], $5::varchar[], $6::numeric[], $7::varchar[], $8::varchar[]) AS t(e, n, p, c, u)),
  gone AS (
    DELETE FROM rates WHERE resource_id = $3 AND provider = $1 AND connection_id = $2 AND NOT (external_id = ANY($4::varchar[]))),
  moved AS (
    SELECT DISTINCT r.resource_id FROM rates r JOIN t ON r.provider = $1 AND r.connection_id = $2 AND r.external_id = t.e
     WHERE r.resource_id <> $3),
  changed AS (
    UPDATE rates r SET resource_id = $3, name = t.n, price = t.p, currency = t.c, unit = t.u, updated_at = now()
      FROM t
     WHERE r.provider = $1 AND r.connection_id = $2 AND r.external_id = t.e
       AND (r.resource_id, r.name, r.price, r.currency, r.unit) IS DISTINCT FROM ($3::varchar, t.n, t.p, t.c, t.u)),
  hashed AS (
    UPDATE resources SET rates_hash = CASE WHEN id = $3 THEN $9 END
     WHERE (id = $3 AND rates_hash IS DISTINCT FROM $9) OR (id IN (SELECT resource_id FROM moved) AND rates_hash IS NOT NULL))
  INSERT INTO rates (provider, connection_id, external_id, resource_id, name, price, currency, unit, updated_at)
  SELECT $1, $2, t.e, $3, t.n, t.p, t.c, t.u, now() FROM t
   WHERE NOT EXISTS (SELECT 1 FROM rates x WHERE x.provider = $1 AND x.connection_id = $2 AND x.external_id = t.e)
  ON CONFLICT (provider, connection_id, external_id) DO NOTHING`;

/** A rate written or removed one at a time: the list hash of every resource it was or is on is cleared. */
const CLEAR_HASHES = (resourceIds: string) =>
  `UPDATE resources SET rates_hash = NULL WHERE id IN (${resourceIds}) AND rates_hash IS NOT NULL`;

/**
 * Every rate write of a connection takes this transaction-scoped advisory lock first (first key: 'rate'), so each one
 * reads the rates as the one before it committed them. Without it a list replacement whose snapshot missed a rate
 * written meanwhile (INSERT … ON CONFLICT DO NOTHING skips it) recorded the list's hash over a rate the list does
 * not have, and the next fetch of the same list skipped the write. Rates move between the resources of a connection,
 * so the lock is the connection's, not a resource's; rate writes are rare and short (a statement each).
 */
const RATES_LOCK_SQL = `SELECT pg_advisory_xact_lock(1918989413, hashtext($1 || ':' || $2))`;

/** Rates of resources; updated_at moves only on a real change (the change feed carries pricing). */
@Injectable()
export class RatesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** `write` under the connection's rates lock: in the caller's transaction when it has one, else in its own. */
  private async locked<T>(provider: string, connectionId: string, manager: EntityManager | undefined, write: (m: EntityManager) => Promise<T>): Promise<T> {
    const run = async (m: EntityManager) => {
      await m.query(RATES_LOCK_SQL, [provider, connectionId]);
      return write(m);
    };
    return manager?.queryRunner?.isTransactionActive ? run(manager) : this.dataSource.transaction(run);
  }

  async upsert(owner: { provider: string; connectionId: string; resourceId: string }, rate: RateWrite, manager?: EntityManager): Promise<void> {
    await this.locked(owner.provider, owner.connectionId, manager, (m) => m.query(
      `WITH before AS (SELECT resource_id FROM rates WHERE provider = $1 AND connection_id = $2 AND external_id = $3),
       written AS (
         INSERT INTO rates (provider, connection_id, external_id, resource_id, name, price, currency, unit, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
         ON CONFLICT (provider, connection_id, external_id) DO UPDATE SET
           resource_id = EXCLUDED.resource_id, name = EXCLUDED.name, price = EXCLUDED.price, currency = EXCLUDED.currency,
           unit = EXCLUDED.unit, updated_at = now()
         WHERE (rates.resource_id, rates.name, rates.price, rates.currency, rates.unit)
               IS DISTINCT FROM (EXCLUDED.resource_id, EXCLUDED.name, EXCLUDED.price, EXCLUDED.currency, EXCLUDED.unit)
         RETURNING resource_id)
       ${CLEAR_HASHES('SELECT resource_id FROM written UNION ALL SELECT resource_id FROM before WHERE EXISTS (SELECT 1 FROM written)')}`,
      [owner.provider, owner.connectionId, rate.externalId, owner.resourceId, rate.name, rate.price, rate.currency, rate.unit],
    ));
  }

  async remove(provider: string, connectionId: string, externalId: string, manager?: EntityManager): Promise<number> {
    const [{ n }] = (await this.locked(provider, connectionId, manager, (m) => m.query(
      `WITH gone AS (DELETE FROM rates WHERE provider = $1 AND connection_id = $2 AND external_id = $3 RETURNING resource_id),
       cleared AS (${CLEAR_HASHES('SELECT resource_id FROM gone')})
       SELECT count(*)::int AS n FROM gone`, [provider, connectionId, externalId]))) as Array<{ n: number }>;
    return n;
  }

  /**
   * A resource JSON with a `rates` array: the resource's rates become exactly these, in one statement (its own
   * transaction), which also records the list's hash on the resource. `storedHash`, the hash the resource carried
   * when the event read it: an equal list was written by an earlier fetch and nothing changed it since (every
   * other writer clears the hash), so there is nothing to do, not even a statement. Returns whether it wrote.
   */
  async replaceForResource(owner: { provider: string; connectionId: string; resourceId: string }, rates: RateWrite[], storedHash: string | null = null): Promise<boolean> {
    const hash = ratesHash(rates);
    if (hash === storedHash) return false;
    const values = [owner.provider, owner.connectionId, owner.resourceId, rates.map((r) => r.externalId), rates.map((r) => r.name),
      rates.map((r) => r.price), rates.map((r) => r.currency), rates.map((r) => r.unit), hash];
    await this.locked(owner.provider, owner.connectionId, undefined, async (m) => {
      // Named, on the transaction's own connection: prepared once per pooled connection (parse and plan were half its
      // database time).
      const client = (await m.queryRunner!.connect()) as PoolClient;
      await client.query({ name: 'rates-replace-for-resource', text: REPLACE_RATES_SQL, values });
    });
    return true;
  }
}
