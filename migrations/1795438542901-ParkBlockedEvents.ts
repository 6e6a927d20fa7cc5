import { MigrationInterface, QueryRunner } from "typeorm";

export class ParkBlockedEvents1795438542901 implements MigrationInterface {
    name = 'ParkBlockedEvents1795438542901'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "inbound_events"
            ADD "parked" boolean NOT NULL DEFAULT false
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_inbound_events_parked" ON "inbound_events" ("partition_key", "seq")
            WHERE parked
        `);
        // Added by hand: TypeORM's diff does not see a changed WHERE of an existing index.
        await queryRunner.query(`
            DROP INDEX "public"."ix_inbound_events_claim"
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_inbound_events_claim" ON "inbound_events" ("priority", "seq")
            WHERE status IN ('pending', 'failed', 'processing') AND NOT parked
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."ix_inbound_events_claim"
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_inbound_events_claim" ON "inbound_events" ("priority", "seq")
            WHERE status IN ('pending', 'failed', 'processing')
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_inbound_events_parked"
        `);
        await queryRunner.query(`
            ALTER TABLE "inbound_events" DROP COLUMN "parked"
        `);
    }

}
