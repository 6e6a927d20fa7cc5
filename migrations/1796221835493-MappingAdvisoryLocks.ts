import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The Syncaroo resource upsert orders itself against an unmapping by a transaction-scoped advisory lock on the
 * location instead of a FOR KEY SHARE row lock on its mapping. With eight writers share-locking one mapping row
 * at once, every lock made a MultiXact and WAL-logged a new xmax on the mapping's tuple (~0.3 ms of database CPU
 * per event on the processing bench); a shared advisory lock lives only in the lock manager's memory.
 *
 * hold_mapping(location, connection): shared lock, then whether the mapping exists. plpgsql, so the check takes
 * its own snapshot after the lock is granted: an unmapping that held the lock has committed by then and is seen
 * (the calling statement's snapshot, taken before the wait, would still show the mapping).
 * lock_mapping_change(location): the exclusive lock an unmapping takes before it deletes the mapping; it waits
 * for every write holding the shared lock. Every handler write takes it (ConnectionsService.holdsMapping inside its
 * transaction, the Syncaroo resource upsert in its statement) instead of the mapping row's FOR KEY SHARE. Two-key form with its own first key, so it cannot
 * meet the single-key leader and migration locks. Written by hand: TypeORM does not diff functions.
 */
const UP = `
CREATE FUNCTION hold_mapping(p_location varchar, p_connection uuid) RETURNS boolean
 LANGUAGE plpgsql VOLATILE
AS $function$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(1835101296, hashtext(p_location));
  RETURN EXISTS (SELECT 1 FROM location_mappings WHERE location_id = p_location AND connection_id = p_connection);
END
$function$;

CREATE FUNCTION lock_mapping_change(p_location varchar) RETURNS void
 LANGUAGE sql VOLATILE
AS $function$ SELECT pg_advisory_xact_lock(1835101296, hashtext(p_location)) $function$;
`;

const DOWN = `
DROP FUNCTION lock_mapping_change(varchar);
DROP FUNCTION hold_mapping(varchar, uuid);
`;

export class MappingAdvisoryLocks1796221835493 implements MigrationInterface {
    name = 'MappingAdvisoryLocks1796221835493'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(UP);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(DOWN);
    }
}
