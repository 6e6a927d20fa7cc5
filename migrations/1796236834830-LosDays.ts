import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Length-of-stay cells are stored one row per (resource, channel, arrival date) with the stays as arrays
 * (`los_days`), instead of one row per cell: a Stratech dataset of 100 products × 365 arrivals × 28 stays is
 * 36,500 rows and index entries instead of 1,022,000 (README "Performance": the load's database time). The view
 * `los_rows` keeps the per-cell shape every reader used (same name and columns), so the read API, the console
 * and ad-hoc SQL read cells as before. The change-feed statement triggers move to los_days unchanged (they group by
 * resource, channel and arrival date, which a day row has), and a location's account change moves los_days.
 * Cells carry their position: units[n] is the stay of n nights, every array starts at subscript 1.
 */
const LOS_VIEW = `
CREATE VIEW los_rows AS
SELECT d.resource_id, d.channel, d.arrival_date, c.los::smallint AS length_of_stay, d.location_id, d.connection_id,
       d.account_id, c.units AS units_available, c.price, d.currency, d.dataset_key,
       coalesce(c.cell_updated_at, d.updated_at) AS updated_at
  FROM los_days d
 CROSS JOIN LATERAL unnest(d.units, d.prices, d.cell_updated_at) WITH ORDINALITY AS c(units, price, cell_updated_at, los)
 WHERE c.units IS NOT NULL`;

const LOCATIONS_FUNCTION = (los: string) => `
CREATE OR REPLACE FUNCTION changes_from_locations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM record_change(OLD.account_id, 'location', 'delete', OLD.id, NULL, OLD.id, change_key('location', OLD.account_id, OLD.id));
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.account_id IS NOT NULL AND OLD.account_id IS DISTINCT FROM NEW.account_id THEN
    PERFORM record_change(OLD.account_id, 'location', 'delete', OLD.id, NULL, OLD.id, change_key('location', OLD.account_id, OLD.id));
  END IF;
  PERFORM record_change(NEW.account_id, 'location', 'upsert', NEW.id, NULL, NEW.id, change_key('location', NEW.account_id, NEW.id));
  -- After the location's own items, so a consumer learns the listing before what is in it: its resources and LOS
  -- rows follow the account, and their triggers record a delete for the old account and an upsert for the new.
  IF TG_OP = 'UPDATE' AND OLD.account_id IS DISTINCT FROM NEW.account_id THEN
    UPDATE resources SET account_id = NEW.account_id WHERE location_id = NEW.id AND account_id IS DISTINCT FROM NEW.account_id;
    UPDATE ${los} SET account_id = NEW.account_id WHERE location_id = NEW.id AND account_id IS DISTINCT FROM NEW.account_id;
  END IF;
  RETURN NULL;
END $$`;

const LOS_TRIGGERS = (table: string) => `
CREATE TRIGGER trg_changes_los_insert AFTER INSERT ON ${table}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION changes_from_los_upsert();
CREATE TRIGGER trg_changes_los_update AFTER UPDATE ON ${table}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION changes_from_los_update();
CREATE TRIGGER trg_changes_los_delete AFTER DELETE ON ${table}
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION changes_from_los_delete()`;

export class LosDays1796236834830 implements MigrationInterface {
    name = 'LosDays1796236834830'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "los_days" (
                "resource_id" character varying(200) NOT NULL,
                "channel" character varying(200) NOT NULL,
                "arrival_date" date NOT NULL,
                "location_id" character varying(200) NOT NULL,
                "connection_id" uuid NOT NULL,
                "account_id" uuid,
                "units" integer array NOT NULL,
                "prices" numeric(14, 2) array NOT NULL,
                "currency" character varying(3),
                "dataset_key" character varying(200),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "cell_updated_at" TIMESTAMP WITH TIME ZONE array,
                CONSTRAINT "PK_55c2d47a808cbfd66bbefa02bbb" PRIMARY KEY ("resource_id", "channel", "arrival_date")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_los_days_account" ON "los_days" (
                "account_id",
                "resource_id",
                "channel",
                "arrival_date"
            )
            WHERE account_id IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_los_days_channel_arrival" ON "los_days" ("channel", "arrival_date")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_los_days_location_arrival" ON "los_days" ("location_id", "arrival_date")
        `);
        // Cells into days, before the triggers exist (moving storage is not a change of the inventory).
        await queryRunner.query(`
            INSERT INTO los_days (resource_id, channel, arrival_date, location_id, connection_id, account_id, units, prices,
                                  currency, dataset_key, updated_at, cell_updated_at)
            SELECT g.resource_id, g.channel, g.arrival_date, g.location_id, g.connection_id, g.account_id,
                   array(SELECT c.units_available FROM generate_series(1, g.max_los) n
                           LEFT JOIN los_rows c ON (c.resource_id, c.channel, c.arrival_date, c.length_of_stay) = (g.resource_id, g.channel, g.arrival_date, n)
                          ORDER BY n),
                   array(SELECT c.price FROM generate_series(1, g.max_los) n
                           LEFT JOIN los_rows c ON (c.resource_id, c.channel, c.arrival_date, c.length_of_stay) = (g.resource_id, g.channel, g.arrival_date, n)
                          ORDER BY n),
                   g.currency, g.dataset_key, g.updated_at,
                   CASE WHEN g.times > 1 THEN array(SELECT c.updated_at FROM generate_series(1, g.max_los) n
                           LEFT JOIN los_rows c ON (c.resource_id, c.channel, c.arrival_date, c.length_of_stay) = (g.resource_id, g.channel, g.arrival_date, n)
                          ORDER BY n) END
              FROM (SELECT resource_id, channel, arrival_date, max(length_of_stay) AS max_los, max(location_id) AS location_id,
                           (array_agg(connection_id))[1] AS connection_id, (array_agg(account_id))[1] AS account_id,
                           max(currency) AS currency, max(dataset_key) AS dataset_key, max(updated_at) AS updated_at,
                           count(DISTINCT updated_at) AS times
                      FROM los_rows GROUP BY resource_id, channel, arrival_date) g
        `);
        await queryRunner.query(`DROP TABLE "los_rows"`);
        await queryRunner.query(LOS_VIEW);
        await queryRunner.query(LOS_TRIGGERS('los_days'));
        await queryRunner.query(LOCATIONS_FUNCTION('los_days'));
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP VIEW los_rows`);
        await queryRunner.query(`
            CREATE TABLE "los_rows" (
                "resource_id" character varying(200) NOT NULL,
                "channel" character varying(200) NOT NULL,
                "arrival_date" date NOT NULL,
                "length_of_stay" smallint NOT NULL,
                "location_id" character varying(200) NOT NULL,
                "connection_id" uuid NOT NULL,
                "units_available" integer NOT NULL,
                "price" numeric(14, 2),
                "currency" character varying(3),
                "dataset_key" character varying(200),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "account_id" uuid,
                CONSTRAINT "PK_a4123d363a429881c2e5f79507e" PRIMARY KEY ("resource_id", "channel", "arrival_date", "length_of_stay")
            )
        `);
        await queryRunner.query(`CREATE INDEX "ix_los_channel_arrival" ON "los_rows" ("channel", "arrival_date")`);
        await queryRunner.query(`CREATE INDEX "ix_los_location_arrival" ON "los_rows" ("location_id", "arrival_date")`);
        await queryRunner.query(`
            CREATE INDEX "ix_los_account" ON "los_rows" ("account_id", "resource_id", "channel", "arrival_date", "length_of_stay")
            WHERE account_id IS NOT NULL
        `);
        await queryRunner.query(`
            INSERT INTO los_rows (resource_id, channel, arrival_date, length_of_stay, location_id, connection_id, units_available, price,
                                  currency, dataset_key, updated_at, account_id)
            SELECT d.resource_id, d.channel, d.arrival_date, c.los, d.location_id, d.connection_id, c.units, c.price,
                   d.currency, d.dataset_key, coalesce(c.cell_updated_at, d.updated_at), d.account_id
              FROM los_days d
             CROSS JOIN LATERAL unnest(d.units, d.prices, d.cell_updated_at) WITH ORDINALITY AS c(units, price, cell_updated_at, los)
             WHERE c.units IS NOT NULL
        `);
        await queryRunner.query(LOS_TRIGGERS('los_rows'));
        await queryRunner.query(LOCATIONS_FUNCTION('los_rows'));
        await queryRunner.query(`
            DROP INDEX "public"."ix_los_days_location_arrival"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_los_days_channel_arrival"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_los_days_account"
        `);
        await queryRunner.query(`
            DROP TABLE "los_days"
        `);
    }

}
