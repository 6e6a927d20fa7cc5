import { MigrationInterface, QueryRunner } from "typeorm";
import { RatesReplaceByKey1796262000000 } from "./1796262000000-RatesReplaceByKey";

/**
 * Lists of different resources of one connection are written at once. rates_replace took the connection's rates
 * lock exclusively, so every list of a connection waited for the one before it to commit (its WAL flush included):
 * in the processing bench the first event of each of 500 items replaces a list, and those ran at 110–250 events/s
 * while neither the worker nor PostgreSQL was busy. Now a list takes that lock shared, then its resource's lock, then
 * one lock per rate it writes or drops (the list's ids and the ids the resource has now, in key order), and only
 * then writes in a statement of its own. A single rate's write (rates_upsert, rates_remove) still takes the
 * connection's lock exclusively, so it never runs beside a list (the race of 4c5c64d). Two lists meet only over a
 * rate both touch (one takes it from the other, or both carry it): then the second waits for the first. The ids a
 * resource has now cannot grow meanwhile: only its own list (its resource lock) or a single rate's write (the
 * exclusive lock) can give it one. Different first keys keep the three kinds of lock apart. Tests in syncaroo-rates
 * ("lists of two resources of one connection").
 *
 * Every lookup of rates is by key whatever the statistics say: the list's ids (external_id = ANY) where it looks up
 * the list, the resource index where it looks up the resource's rates. Joined with the list alone, or with the
 * connection's columns as equalities, a plan made while rates had no statistics read every rate of the connection
 * (1,511 of them, 10 ms, in the processing bench's fourth round; test "… nor of the connection's 20,000 other rates").
 */
const HEAD = `
CREATE OR REPLACE FUNCTION rates_replace(p_provider varchar, p_connection uuid, p_resource varchar, p_ids varchar[], p_names varchar[],
                              p_prices numeric[], p_currencies varchar[], p_units varchar[], p_hash varchar)
 RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$`;

const CONNECTION_KEY = `hashtext(p_provider || ':' || p_connection::text)`;

/**
 * A resource's rates are found by ix_rates_resource. Written as equalities, the connection's two columns made the
 * primary key look better to a plan made without statistics, and it read every rate of the connection.
 */
const SAME_CONNECTION = `(provider, connection_id) IS NOT DISTINCT FROM (p_provider, p_connection)`;

const WRITE = `
  WITH t AS (
    SELECT * FROM unnest(p_ids, p_names, p_prices, p_currencies, p_units) AS t(e, n, p, c, u)),
  gone AS (
    DELETE FROM rates WHERE resource_id = p_resource AND ${SAME_CONNECTION} AND NOT (external_id = ANY(p_ids))),
  moved AS (
    SELECT DISTINCT r.resource_id FROM rates r
     WHERE r.provider = p_provider AND r.connection_id = p_connection AND r.external_id = ANY(p_ids) AND r.resource_id <> p_resource),
  changed AS (
    UPDATE rates r SET resource_id = p_resource, name = t.n, price = t.p, currency = t.c, unit = t.u, updated_at = now()
      FROM t
     WHERE r.provider = p_provider AND r.connection_id = p_connection AND r.external_id = ANY(p_ids) AND r.external_id = t.e
       AND (r.resource_id, r.name, r.price, r.currency, r.unit) IS DISTINCT FROM (p_resource, t.n, t.p, t.c, t.u)),
  hashed AS (
    UPDATE resources SET rates_hash = CASE WHEN id = p_resource THEN p_hash END
     WHERE id = ANY (ARRAY(SELECT resource_id FROM moved) || p_resource)
       AND CASE WHEN id = p_resource THEN rates_hash IS DISTINCT FROM p_hash ELSE rates_hash IS NOT NULL END)
  INSERT INTO rates (provider, connection_id, external_id, resource_id, name, price, currency, unit, updated_at)
  SELECT p_provider, p_connection, t.e, p_resource, t.n, t.p, t.c, t.u, now() FROM t
   WHERE NOT EXISTS (SELECT 1 FROM rates x WHERE x.provider = p_provider AND x.connection_id = p_connection AND x.external_id = ANY(p_ids) AND x.external_id = t.e)
  ON CONFLICT (provider, connection_id, external_id) DO NOTHING;
  RETURN true;
END $$`;

const PER_RESOURCE = `${HEAD}
DECLARE
  k int;
BEGIN
  IF NOT hold_mapping((SELECT location_id FROM resources WHERE id = p_resource), p_connection) THEN RETURN false; END IF;
  PERFORM pg_advisory_xact_lock_shared(1918989413, ${CONNECTION_KEY});
  PERFORM pg_advisory_xact_lock(1918989414, hashtext(p_provider || ':' || p_connection::text || ':' || p_resource));
  FOR k IN
    SELECT DISTINCT hashtext(p_provider || ':' || p_connection::text || ':' || x)
      FROM (SELECT unnest(p_ids) UNION SELECT external_id FROM rates WHERE resource_id = p_resource AND ${SAME_CONNECTION}) ids(x)
     ORDER BY 1
  LOOP
    PERFORM pg_advisory_xact_lock(1918989415, k);
  END LOOP;
  ${WRITE}`;

export class RatesListsPerResource1796263000000 implements MigrationInterface {
    name = 'RatesListsPerResource1796263000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(PER_RESOURCE);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        // The function as RatesReplaceByKey left it.
        await new RatesReplaceByKey1796262000000().up(queryRunner);
    }
}
