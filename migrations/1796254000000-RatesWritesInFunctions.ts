import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Every rate write of a connection as one function call that takes the connection's rates lock (advisory,
 * transaction-scoped; first key 'rate') and then writes in a statement of its own. The lock was a statement of
 * its own in a client transaction (BEGIN, lock, write, COMMIT: four round trips), so it was held across three
 * trips through the worker's event loop: in the processing bench the 500 list replacements of one connection
 * waited 11.3 s on it in all (22 ms each), holding worker slots meanwhile. In a plpgsql function (VOLATILE)
 * each statement takes a fresh snapshot, so the write still sees every rate committed by the holder before it:
 * the reason the lock comes first (4c5c64d; test in syncaroo-rates). rates_replace and rates_upsert first hold the
 * mapping of the resource's location to the connection (hold_mapping, migration MappingAdvisoryLocks), as the
 * resource upsert does: after an unmapping committed they write nothing and answer false. Written by hand: TypeORM
 * does not diff functions. The write statements are RatesRepository's, unchanged.
 */
const CLEAR_HASHES = (resourceIds: string) =>
  `UPDATE resources SET rates_hash = NULL WHERE id IN (${resourceIds}) AND rates_hash IS NOT NULL`;

const MAPPED = `IF NOT hold_mapping((SELECT location_id FROM resources WHERE id = p_resource), p_connection) THEN RETURN false; END IF;`;

const LOCK = `PERFORM pg_advisory_xact_lock(1918989413, hashtext(p_provider || ':' || p_connection::text));`;

const UP = [`
CREATE FUNCTION rates_replace(p_provider varchar, p_connection uuid, p_resource varchar, p_ids varchar[], p_names varchar[],
                              p_prices numeric[], p_currencies varchar[], p_units varchar[], p_hash varchar)
 RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  ${MAPPED}
  ${LOCK}
  WITH t AS (
    SELECT * FROM unnest(p_ids, p_names, p_prices, p_currencies, p_units) AS t(e, n, p, c, u)),
  gone AS (
    DELETE FROM rates WHERE resource_id = p_resource AND provider = p_provider AND connection_id = p_connection AND NOT (external_id = ANY(p_ids))),
  moved AS (
    SELECT DISTINCT r.resource_id FROM rates r JOIN t ON r.provider = p_provider AND r.connection_id = p_connection AND r.external_id = t.e
     WHERE r.resource_id <> p_resource),
  changed AS (
    UPDATE rates r SET resource_id = p_resource, name = t.n, price = t.p, currency = t.c, unit = t.u, updated_at = now()
      FROM t
     WHERE r.provider = p_provider AND r.connection_id = p_connection AND r.external_id = t.e
       AND (r.resource_id, r.name, r.price, r.currency, r.unit) IS DISTINCT FROM (p_resource, t.n, t.p, t.c, t.u)),
  hashed AS (
    UPDATE resources SET rates_hash = CASE WHEN id = p_resource THEN p_hash END
     WHERE (id = p_resource AND rates_hash IS DISTINCT FROM p_hash) OR (id IN (SELECT resource_id FROM moved) AND rates_hash IS NOT NULL))
  INSERT INTO rates (provider, connection_id, external_id, resource_id, name, price, currency, unit, updated_at)
  SELECT p_provider, p_connection, t.e, p_resource, t.n, t.p, t.c, t.u, now() FROM t
   WHERE NOT EXISTS (SELECT 1 FROM rates x WHERE x.provider = p_provider AND x.connection_id = p_connection AND x.external_id = t.e)
  ON CONFLICT (provider, connection_id, external_id) DO NOTHING;
  RETURN true;
END $$`, `
CREATE FUNCTION rates_upsert(p_provider varchar, p_connection uuid, p_external varchar, p_resource varchar, p_name varchar,
                             p_price numeric, p_currency varchar, p_unit varchar)
 RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  ${MAPPED}
  ${LOCK}
  WITH before AS (SELECT resource_id FROM rates WHERE provider = p_provider AND connection_id = p_connection AND external_id = p_external),
  written AS (
    INSERT INTO rates (provider, connection_id, external_id, resource_id, name, price, currency, unit, updated_at)
    VALUES (p_provider, p_connection, p_external, p_resource, p_name, p_price, p_currency, p_unit, now())
    ON CONFLICT (provider, connection_id, external_id) DO UPDATE SET
      resource_id = EXCLUDED.resource_id, name = EXCLUDED.name, price = EXCLUDED.price, currency = EXCLUDED.currency,
      unit = EXCLUDED.unit, updated_at = now()
    WHERE (rates.resource_id, rates.name, rates.price, rates.currency, rates.unit)
          IS DISTINCT FROM (EXCLUDED.resource_id, EXCLUDED.name, EXCLUDED.price, EXCLUDED.currency, EXCLUDED.unit)
    RETURNING resource_id)
  ${CLEAR_HASHES('SELECT resource_id FROM written UNION ALL SELECT resource_id FROM before WHERE EXISTS (SELECT 1 FROM written)')};
  RETURN true;
END $$`, `
CREATE FUNCTION rates_remove(p_provider varchar, p_connection uuid, p_external varchar)
 RETURNS int LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  n int;
BEGIN
  ${LOCK}
  WITH gone AS (DELETE FROM rates WHERE provider = p_provider AND connection_id = p_connection AND external_id = p_external RETURNING resource_id),
  cleared AS (${CLEAR_HASHES('SELECT resource_id FROM gone')})
  SELECT count(*)::int INTO n FROM gone;
  RETURN n;
END $$`];

export class RatesWritesInFunctions1796254000000 implements MigrationInterface {
    name = 'RatesWritesInFunctions1796254000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        for (const sql of UP) await queryRunner.query(sql);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP FUNCTION rates_remove(varchar, uuid, varchar)`);
        await queryRunner.query(`DROP FUNCTION rates_upsert(varchar, uuid, varchar, varchar, varchar, numeric, varchar, varchar)`);
        await queryRunner.query(`DROP FUNCTION rates_replace(varchar, uuid, varchar, varchar[], varchar[], numeric[], varchar[], varchar[], varchar)`);
    }
}
