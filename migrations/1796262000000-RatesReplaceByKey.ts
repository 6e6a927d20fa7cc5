import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * rates_replace found the resources whose hash it writes with `id = $resource OR id IN (resources the list's rates
 * were moved from)`: an OR with a subquery has no index path, so every list replacement scanned the whole resources
 * table (137 ms at 100,000 resources), holding the connection's rates lock meanwhile. Now one `id = ANY(array)`
 * (primary key). Same function otherwise (RatesWritesInFunctions); test in syncaroo-rates ("… by key …").
 */
const body = (hashed: string) => `
CREATE OR REPLACE FUNCTION rates_replace(p_provider varchar, p_connection uuid, p_resource varchar, p_ids varchar[], p_names varchar[],
                              p_prices numeric[], p_currencies varchar[], p_units varchar[], p_hash varchar)
 RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF NOT hold_mapping((SELECT location_id FROM resources WHERE id = p_resource), p_connection) THEN RETURN false; END IF;
  PERFORM pg_advisory_xact_lock(1918989413, hashtext(p_provider || ':' || p_connection::text));
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
  hashed AS (${hashed})
  INSERT INTO rates (provider, connection_id, external_id, resource_id, name, price, currency, unit, updated_at)
  SELECT p_provider, p_connection, t.e, p_resource, t.n, t.p, t.c, t.u, now() FROM t
   WHERE NOT EXISTS (SELECT 1 FROM rates x WHERE x.provider = p_provider AND x.connection_id = p_connection AND x.external_id = t.e)
  ON CONFLICT (provider, connection_id, external_id) DO NOTHING;
  RETURN true;
END $$`;

const BY_KEY = `
    UPDATE resources SET rates_hash = CASE WHEN id = p_resource THEN p_hash END
     WHERE id = ANY (ARRAY(SELECT resource_id FROM moved) || p_resource)
       AND CASE WHEN id = p_resource THEN rates_hash IS DISTINCT FROM p_hash ELSE rates_hash IS NOT NULL END`;

const WITH_OR = `
    UPDATE resources SET rates_hash = CASE WHEN id = p_resource THEN p_hash END
     WHERE (id = p_resource AND rates_hash IS DISTINCT FROM p_hash) OR (id IN (SELECT resource_id FROM moved) AND rates_hash IS NOT NULL)`;

export class RatesReplaceByKey1796262000000 implements MigrationInterface {
    name = 'RatesReplaceByKey1796262000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(body(BY_KEY));
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(body(WITH_OR));
    }
}
