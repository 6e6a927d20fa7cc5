import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A rate or a booking whose row moves to another resource (a Syncaroo rate id seen under another room, a booking
 * rebooked onto another room) recorded only an upsert on the new resource: the old resource's readers never learnt
 * it left. The UPDATE triggers now record a delete on the old resource first (as changes_from_resources does for
 * an account move). And a statement's LOS items come in resource and channel order (they came in the hash
 * aggregate's order, which changed with unrelated rows in the table). Written by hand: TypeORM does not diff
 * functions.
 */
const UP = `
CREATE OR REPLACE FUNCTION changes_from_los_upsert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO changes (account_id, type, op, location_id, resource_id, entity_id, channel, arrival_from, arrival_to, dedupe_key)
  SELECT account_id, 'los', 'upsert', location_id, resource_id, resource_id, channel, min(arrival_date), max(arrival_date),
         change_key('los', account_id, location_id, resource_id, channel)
    FROM new_rows GROUP BY account_id, location_id, resource_id, channel ORDER BY resource_id, channel
  ON CONFLICT (xid, dedupe_key) DO UPDATE SET op = 'upsert',
    arrival_from = least(changes.arrival_from, EXCLUDED.arrival_from), arrival_to = greatest(changes.arrival_to, EXCLUDED.arrival_to);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION changes_from_los_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO changes (account_id, type, op, location_id, resource_id, entity_id, channel, arrival_from, arrival_to, dedupe_key)
  SELECT account_id, 'los', 'delete', location_id, resource_id, resource_id, channel, min(arrival_date), max(arrival_date),
         change_key('los', account_id, location_id, resource_id, channel)
    FROM old_rows GROUP BY account_id, location_id, resource_id, channel ORDER BY resource_id, channel
  ON CONFLICT (xid, dedupe_key) DO UPDATE SET
    arrival_from = least(changes.arrival_from, EXCLUDED.arrival_from), arrival_to = greatest(changes.arrival_to, EXCLUDED.arrival_to);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION changes_from_los_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Grouped first: the groups are few (one per resource and channel), the rows may be a million.
  INSERT INTO changes (account_id, type, op, location_id, resource_id, entity_id, channel, arrival_from, arrival_to, dedupe_key)
  SELECT o.account_id, 'los', 'delete', o.location_id, o.resource_id, o.resource_id, o.channel, o.arrival_from, o.arrival_to,
         change_key('los', o.account_id, o.location_id, o.resource_id, o.channel)
    FROM (SELECT account_id, location_id, resource_id, channel, min(arrival_date) AS arrival_from, max(arrival_date) AS arrival_to
            FROM old_rows GROUP BY account_id, location_id, resource_id, channel) o
   WHERE NOT EXISTS (SELECT 1 FROM (SELECT DISTINCT account_id, location_id, resource_id, channel FROM new_rows) w
                      WHERE w.account_id IS NOT DISTINCT FROM o.account_id AND w.location_id = o.location_id
                        AND w.resource_id = o.resource_id AND w.channel = o.channel)
   ORDER BY o.resource_id, o.channel
  ON CONFLICT (xid, dedupe_key) DO UPDATE SET
    arrival_from = least(changes.arrival_from, EXCLUDED.arrival_from), arrival_to = greatest(changes.arrival_to, EXCLUDED.arrival_to);
  INSERT INTO changes (account_id, type, op, location_id, resource_id, entity_id, channel, arrival_from, arrival_to, dedupe_key)
  SELECT account_id, 'los', 'upsert', location_id, resource_id, resource_id, channel, min(arrival_date), max(arrival_date),
         change_key('los', account_id, location_id, resource_id, channel)
    FROM new_rows GROUP BY account_id, location_id, resource_id, channel ORDER BY resource_id, channel
  ON CONFLICT (xid, dedupe_key) DO UPDATE SET op = 'upsert',
    arrival_from = least(changes.arrival_from, EXCLUDED.arrival_from), arrival_to = greatest(changes.arrival_to, EXCLUDED.arrival_to);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION changes_from_bookings() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  acc uuid;
  loc text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    SELECT account_id, location_id INTO acc, loc FROM resources WHERE id = OLD.resource_id;
    IF loc IS NOT NULL THEN
      PERFORM record_change(acc, 'booking', 'delete', loc, OLD.resource_id, OLD.id::text, change_key('booking', acc, OLD.id::text));
    END IF;
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.resource_id IS DISTINCT FROM NEW.resource_id THEN
    -- Moved to another resource: the old one loses it (its readers re-read that resource's list). Its own key
    -- (with the old resource), or the upsert below would merge into it.
    SELECT account_id, location_id INTO acc, loc FROM resources WHERE id = OLD.resource_id;
    IF loc IS NOT NULL THEN
      PERFORM record_change(acc, 'booking', 'delete', loc, OLD.resource_id, OLD.id::text, change_key('booking-moved', acc, OLD.resource_id, OLD.id::text));
    END IF;
  END IF;
  SELECT account_id, location_id INTO acc, loc FROM resources WHERE id = NEW.resource_id;
  IF loc IS NOT NULL THEN
    PERFORM record_change(acc, 'booking', 'upsert', loc, NEW.resource_id, NEW.id::text, change_key('booking', acc, NEW.id::text));
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION changes_from_rates() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  acc uuid;
  loc text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    SELECT account_id, location_id INTO acc, loc FROM resources WHERE id = OLD.resource_id;
    IF loc IS NOT NULL THEN
      PERFORM record_change(acc, 'rate', 'delete', loc, OLD.resource_id, OLD.external_id, change_key('rate', acc, OLD.resource_id, OLD.external_id));
    END IF;
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.resource_id IS DISTINCT FROM NEW.resource_id THEN
    -- Moved to another resource: the old one loses it (its readers re-read that resource's list).
    SELECT account_id, location_id INTO acc, loc FROM resources WHERE id = OLD.resource_id;
    IF loc IS NOT NULL THEN
      PERFORM record_change(acc, 'rate', 'delete', loc, OLD.resource_id, OLD.external_id, change_key('rate', acc, OLD.resource_id, OLD.external_id));
    END IF;
  END IF;
  SELECT account_id, location_id INTO acc, loc FROM resources WHERE id = NEW.resource_id;
  IF loc IS NOT NULL THEN
    PERFORM record_change(acc, 'rate', 'upsert', loc, NEW.resource_id, NEW.external_id, change_key('rate', acc, NEW.resource_id, NEW.external_id));
  END IF;
  RETURN NULL;
END $$;
`;

/** The bodies of ChangeFeedTriggers. */
const DOWN = `
CREATE OR REPLACE FUNCTION changes_from_los_upsert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO changes (account_id, type, op, location_id, resource_id, entity_id, channel, arrival_from, arrival_to, dedupe_key)
  SELECT account_id, 'los', 'upsert', location_id, resource_id, resource_id, channel, min(arrival_date), max(arrival_date),
         change_key('los', account_id, location_id, resource_id, channel)
    FROM new_rows GROUP BY account_id, location_id, resource_id, channel
  ON CONFLICT (xid, dedupe_key) DO UPDATE SET op = 'upsert',
    arrival_from = least(changes.arrival_from, EXCLUDED.arrival_from), arrival_to = greatest(changes.arrival_to, EXCLUDED.arrival_to);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION changes_from_los_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO changes (account_id, type, op, location_id, resource_id, entity_id, channel, arrival_from, arrival_to, dedupe_key)
  SELECT account_id, 'los', 'delete', location_id, resource_id, resource_id, channel, min(arrival_date), max(arrival_date),
         change_key('los', account_id, location_id, resource_id, channel)
    FROM old_rows GROUP BY account_id, location_id, resource_id, channel
  ON CONFLICT (xid, dedupe_key) DO UPDATE SET
    arrival_from = least(changes.arrival_from, EXCLUDED.arrival_from), arrival_to = greatest(changes.arrival_to, EXCLUDED.arrival_to);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION changes_from_los_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Grouped first: the groups are few (one per resource and channel), the rows may be a million.
  INSERT INTO changes (account_id, type, op, location_id, resource_id, entity_id, channel, arrival_from, arrival_to, dedupe_key)
  SELECT o.account_id, 'los', 'delete', o.location_id, o.resource_id, o.resource_id, o.channel, o.arrival_from, o.arrival_to,
         change_key('los', o.account_id, o.location_id, o.resource_id, o.channel)
    FROM (SELECT account_id, location_id, resource_id, channel, min(arrival_date) AS arrival_from, max(arrival_date) AS arrival_to
            FROM old_rows GROUP BY account_id, location_id, resource_id, channel) o
   WHERE NOT EXISTS (SELECT 1 FROM (SELECT DISTINCT account_id, location_id, resource_id, channel FROM new_rows) w
                      WHERE w.account_id IS NOT DISTINCT FROM o.account_id AND w.location_id = o.location_id
                        AND w.resource_id = o.resource_id AND w.channel = o.channel)
  ON CONFLICT (xid, dedupe_key) DO UPDATE SET
    arrival_from = least(changes.arrival_from, EXCLUDED.arrival_from), arrival_to = greatest(changes.arrival_to, EXCLUDED.arrival_to);
  INSERT INTO changes (account_id, type, op, location_id, resource_id, entity_id, channel, arrival_from, arrival_to, dedupe_key)
  SELECT account_id, 'los', 'upsert', location_id, resource_id, resource_id, channel, min(arrival_date), max(arrival_date),
         change_key('los', account_id, location_id, resource_id, channel)
    FROM new_rows GROUP BY account_id, location_id, resource_id, channel
  ON CONFLICT (xid, dedupe_key) DO UPDATE SET op = 'upsert',
    arrival_from = least(changes.arrival_from, EXCLUDED.arrival_from), arrival_to = greatest(changes.arrival_to, EXCLUDED.arrival_to);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION changes_from_bookings() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  acc uuid;
  loc text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    SELECT account_id, location_id INTO acc, loc FROM resources WHERE id = OLD.resource_id;
    IF loc IS NOT NULL THEN
      PERFORM record_change(acc, 'booking', 'delete', loc, OLD.resource_id, OLD.id::text, change_key('booking', acc, OLD.id::text));
    END IF;
    RETURN NULL;
  END IF;
  SELECT account_id, location_id INTO acc, loc FROM resources WHERE id = NEW.resource_id;
  IF loc IS NOT NULL THEN
    PERFORM record_change(acc, 'booking', 'upsert', loc, NEW.resource_id, NEW.id::text, change_key('booking', acc, NEW.id::text));
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION changes_from_rates() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  acc uuid;
  loc text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    SELECT account_id, location_id INTO acc, loc FROM resources WHERE id = OLD.resource_id;
    IF loc IS NOT NULL THEN
      PERFORM record_change(acc, 'rate', 'delete', loc, OLD.resource_id, OLD.external_id, change_key('rate', acc, OLD.resource_id, OLD.external_id));
    END IF;
    RETURN NULL;
  END IF;
  SELECT account_id, location_id INTO acc, loc FROM resources WHERE id = NEW.resource_id;
  IF loc IS NOT NULL THEN
    PERFORM record_change(acc, 'rate', 'upsert', loc, NEW.resource_id, NEW.external_id, change_key('rate', acc, NEW.resource_id, NEW.external_id));
  END IF;
  RETURN NULL;
END $$;
`;

export class FeedMovedRatesAndBookings1796175100000 implements MigrationInterface {
    name = 'FeedMovedRatesAndBookings1796175100000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(UP);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(DOWN);
    }
}
