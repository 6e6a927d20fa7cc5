import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The change feed's outbox (CONTRACT.md section 10), written by triggers so that every inventory write records
 * its change in its own transaction, whatever code path made it; and the account of resources and LOS rows
 * (issue 11: an account's lists are one index range instead of a join through locations). Written by hand:
 * TypeORM does not diff functions or triggers.
 *
 * - One item per entity per transaction (uq_changes_xid_key on a dedupe key): later writes merge into it.
 * - A write that changes nothing records nothing: the upserts skip identical rows, and the UPDATE triggers
 *   fire only when a column the API shows differs.
 * - LOS rows are recorded per statement from its transition table, one item per (account, location, resource,
 *   channel) with the arrival range written: a 511,000-cell dataset is a few hundred items, not 511,000.
 * - No NOTIFY: it serialises every writing transaction's commit (ChangeNotifier reads the sequence instead).
 * - A location that changes account: a `delete` for the old account, an `upsert` for the new, and its
 *   resources and LOS rows move with it (resources.account_id is also kept by trg_resources_account).
 */
const UP = `
CREATE FUNCTION change_key(p_type text, p_account uuid, VARIADIC p_parts text[]) RETURNS text
  LANGUAGE sql IMMUTABLE AS $$ SELECT p_type || '|' || coalesce(p_account::text, '-') || '|' || array_to_string(p_parts, '|') $$;

CREATE FUNCTION record_change(p_account uuid, p_type text, p_op text, p_location text, p_resource text, p_entity text, p_key text)
  RETURNS void LANGUAGE sql AS $$
  INSERT INTO changes (account_id, type, op, location_id, resource_id, entity_id, dedupe_key)
  VALUES (p_account, p_type, p_op, p_location, p_resource, p_entity, p_key)
  ON CONFLICT (xid, dedupe_key) DO UPDATE SET op = EXCLUDED.op, location_id = EXCLUDED.location_id, resource_id = EXCLUDED.resource_id;
$$;

CREATE FUNCTION resource_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.account_id := (SELECT account_id FROM locations WHERE id = NEW.location_id);
  RETURN NEW;
END $$;
CREATE TRIGGER trg_resources_account BEFORE INSERT OR UPDATE OF location_id ON resources
  FOR EACH ROW EXECUTE FUNCTION resource_account();

CREATE FUNCTION changes_from_locations() RETURNS trigger LANGUAGE plpgsql AS $$
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
    UPDATE los_rows SET account_id = NEW.account_id WHERE location_id = NEW.id AND account_id IS DISTINCT FROM NEW.account_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER trg_changes_locations AFTER INSERT OR DELETE ON locations
  FOR EACH ROW EXECUTE FUNCTION changes_from_locations();
CREATE TRIGGER trg_changes_locations_update AFTER UPDATE ON locations
  FOR EACH ROW WHEN ((OLD.name, OLD.timezone, OLD.provider, OLD.connection_id, OLD.external_id, OLD.account_id)
                     IS DISTINCT FROM (NEW.name, NEW.timezone, NEW.provider, NEW.connection_id, NEW.external_id, NEW.account_id))
  EXECUTE FUNCTION changes_from_locations();

CREATE FUNCTION changes_from_resources() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM record_change(OLD.account_id, 'resource', 'delete', OLD.location_id, OLD.id, OLD.id, change_key('resource', OLD.account_id, OLD.id));
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.account_id IS DISTINCT FROM NEW.account_id AND OLD.account_id IS NOT NULL THEN
    PERFORM record_change(OLD.account_id, 'resource', 'delete', OLD.location_id, OLD.id, OLD.id, change_key('resource', OLD.account_id, OLD.id));
  END IF;
  PERFORM record_change(NEW.account_id, 'resource', CASE WHEN NEW.status = 'removed' THEN 'delete' ELSE 'upsert' END,
                        NEW.location_id, NEW.id, NEW.id, change_key('resource', NEW.account_id, NEW.id));
  RETURN NULL;
END $$;
CREATE TRIGGER trg_changes_resources AFTER INSERT OR DELETE ON resources
  FOR EACH ROW EXECUTE FUNCTION changes_from_resources();
CREATE TRIGGER trg_changes_resources_update AFTER UPDATE ON resources
  FOR EACH ROW WHEN ((OLD.location_id, OLD.type, OLD.name, OLD.capacity, OLD.status, OLD.attributes, OLD.account_id)
                     IS DISTINCT FROM (NEW.location_id, NEW.type, NEW.name, NEW.capacity, NEW.status, NEW.attributes, NEW.account_id))
  EXECUTE FUNCTION changes_from_resources();

CREATE FUNCTION changes_from_bookings() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER trg_changes_bookings AFTER INSERT OR DELETE ON bookings
  FOR EACH ROW EXECUTE FUNCTION changes_from_bookings();
CREATE TRIGGER trg_changes_bookings_update AFTER UPDATE ON bookings
  FOR EACH ROW WHEN ((OLD.resource_id, OLD.starts_at, OLD.ends_at, OLD.status, OLD.people, OLD.price, OLD.currency)
                     IS DISTINCT FROM (NEW.resource_id, NEW.starts_at, NEW.ends_at, NEW.status, NEW.people, NEW.price, NEW.currency))
  EXECUTE FUNCTION changes_from_bookings();

CREATE FUNCTION changes_from_rates() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER trg_changes_rates AFTER INSERT OR DELETE ON rates
  FOR EACH ROW EXECUTE FUNCTION changes_from_rates();
CREATE TRIGGER trg_changes_rates_update AFTER UPDATE ON rates
  FOR EACH ROW WHEN ((OLD.resource_id, OLD.name, OLD.price, OLD.currency, OLD.unit)
                     IS DISTINCT FROM (NEW.resource_id, NEW.name, NEW.price, NEW.currency, NEW.unit))
  EXECUTE FUNCTION changes_from_rates();

-- Availability: the resource's windows were replaced (AvailabilityRepository skips an identical replacement).
CREATE FUNCTION changes_from_availability_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO changes (account_id, type, op, location_id, resource_id, entity_id, dedupe_key)
  SELECT r.account_id, 'availability', 'upsert', r.location_id, r.id, r.id, change_key('availability', r.account_id, r.id)
    FROM (SELECT DISTINCT resource_id FROM new_rows) w JOIN resources r ON r.id = w.resource_id
  ON CONFLICT (xid, dedupe_key) DO NOTHING;
  RETURN NULL;
END $$;
CREATE FUNCTION changes_from_availability_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO changes (account_id, type, op, location_id, resource_id, entity_id, dedupe_key)
  SELECT r.account_id, 'availability', 'upsert', r.location_id, r.id, r.id, change_key('availability', r.account_id, r.id)
    FROM (SELECT DISTINCT resource_id FROM old_rows) w JOIN resources r ON r.id = w.resource_id
  ON CONFLICT (xid, dedupe_key) DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER trg_changes_availability_insert AFTER INSERT ON availability_windows
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION changes_from_availability_new();
CREATE TRIGGER trg_changes_availability_update AFTER UPDATE ON availability_windows
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION changes_from_availability_new();
CREATE TRIGGER trg_changes_availability_delete AFTER DELETE ON availability_windows
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION changes_from_availability_old();

-- LOS: one item per (account, location, resource, channel) and statement, merged per transaction: the
-- arrival range grows to cover every statement's, and an upsert wins over a delete.
CREATE FUNCTION changes_from_los_upsert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO changes (account_id, type, op, location_id, resource_id, entity_id, channel, arrival_from, arrival_to, dedupe_key)
  SELECT account_id, 'los', 'upsert', location_id, resource_id, resource_id, channel, min(arrival_date), max(arrival_date),
         change_key('los', account_id, location_id, resource_id, channel)
    FROM new_rows GROUP BY account_id, location_id, resource_id, channel
  ON CONFLICT (xid, dedupe_key) DO UPDATE SET op = 'upsert',
    arrival_from = least(changes.arrival_from, EXCLUDED.arrival_from), arrival_to = greatest(changes.arrival_to, EXCLUDED.arrival_to);
  RETURN NULL;
END $$;
CREATE FUNCTION changes_from_los_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO changes (account_id, type, op, location_id, resource_id, entity_id, channel, arrival_from, arrival_to, dedupe_key)
  SELECT account_id, 'los', 'delete', location_id, resource_id, resource_id, channel, min(arrival_date), max(arrival_date),
         change_key('los', account_id, location_id, resource_id, channel)
    FROM old_rows GROUP BY account_id, location_id, resource_id, channel
  ON CONFLICT (xid, dedupe_key) DO UPDATE SET
    arrival_from = least(changes.arrival_from, EXCLUDED.arrival_from), arrival_to = greatest(changes.arrival_to, EXCLUDED.arrival_to);
  RETURN NULL;
END $$;
-- An UPDATE that moves cells (another resource, another account) takes them from the old key: a delete for
-- the old groups first, then the new groups' upsert (which wins where the keys are the same).
CREATE FUNCTION changes_from_los_update() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER trg_changes_los_insert AFTER INSERT ON los_rows
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION changes_from_los_upsert();
CREATE TRIGGER trg_changes_los_update AFTER UPDATE ON los_rows
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION changes_from_los_update();
CREATE TRIGGER trg_changes_los_delete AFTER DELETE ON los_rows
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION changes_from_los_delete();

INSERT INTO changes_horizon (id, pruned_xid, pruned_seq) VALUES (1, 0, 0);
`;

const BACKFILL = `
UPDATE resources r SET account_id = l.account_id FROM locations l WHERE l.id = r.location_id AND l.account_id IS NOT NULL;
UPDATE los_rows r SET account_id = l.account_id FROM locations l WHERE l.id = r.location_id AND l.account_id IS NOT NULL;
`;

const DOWN = `
DROP TRIGGER trg_changes_los_delete ON los_rows;
DROP TRIGGER trg_changes_los_update ON los_rows;
DROP TRIGGER trg_changes_los_insert ON los_rows;
DROP FUNCTION changes_from_los_update();
DROP FUNCTION changes_from_los_delete();
DROP FUNCTION changes_from_los_upsert();
DROP TRIGGER trg_changes_availability_delete ON availability_windows;
DROP TRIGGER trg_changes_availability_update ON availability_windows;
DROP TRIGGER trg_changes_availability_insert ON availability_windows;
DROP FUNCTION changes_from_availability_old();
DROP FUNCTION changes_from_availability_new();
DROP TRIGGER trg_changes_rates_update ON rates;
DROP TRIGGER trg_changes_rates ON rates;
DROP FUNCTION changes_from_rates();
DROP TRIGGER trg_changes_bookings_update ON bookings;
DROP TRIGGER trg_changes_bookings ON bookings;
DROP FUNCTION changes_from_bookings();
DROP TRIGGER trg_changes_resources_update ON resources;
DROP TRIGGER trg_changes_resources ON resources;
DROP FUNCTION changes_from_resources();
DROP TRIGGER trg_changes_locations_update ON locations;
DROP TRIGGER trg_changes_locations ON locations;
DROP FUNCTION changes_from_locations();
DROP TRIGGER trg_resources_account ON resources;
DROP FUNCTION resource_account();
DROP FUNCTION record_change(uuid, text, text, text, text, text, text);
DROP FUNCTION change_key(text, uuid, text[]);
DELETE FROM changes_horizon;
`;

export class ChangeFeedTriggers1796174100000 implements MigrationInterface {
    name = 'ChangeFeedTriggers1796174100000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(BACKFILL);
        await queryRunner.query(UP);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(DOWN);
    }
}
