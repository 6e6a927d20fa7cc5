import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A resource's account is looked up from its location when it is inserted and when it moves to another location,
 * not on every update: every upsert names location_id in its SET list, so `BEFORE UPDATE OF location_id` ran the
 * lookup (a plpgsql call and an index scan of locations) for each resource event of the processing bench. A
 * location's own account change still reaches its resources (trg_locations_account). Test in change-feed ("a resource
 * moved to a location of another account …").
 */
export class ResourceAccountOnMoveOnly1796264000000 implements MigrationInterface {
    name = 'ResourceAccountOnMoveOnly1796264000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER trg_resources_account ON resources`);
        await queryRunner.query(`CREATE TRIGGER trg_resources_account BEFORE INSERT ON resources FOR EACH ROW EXECUTE FUNCTION resource_account()`);
        await queryRunner.query(`CREATE TRIGGER trg_resources_account_moved BEFORE UPDATE OF location_id ON resources
          FOR EACH ROW WHEN (OLD.location_id IS DISTINCT FROM NEW.location_id) EXECUTE FUNCTION resource_account()`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER trg_resources_account_moved ON resources`);
        await queryRunner.query(`DROP TRIGGER trg_resources_account ON resources`);
        await queryRunner.query(`CREATE TRIGGER trg_resources_account BEFORE INSERT OR UPDATE OF location_id ON resources FOR EACH ROW EXECUTE FUNCTION resource_account()`);
    }
}
