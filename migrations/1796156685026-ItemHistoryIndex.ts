import { MigrationInterface, QueryRunner } from "typeorm";

export class ItemHistoryIndex1796156685026 implements MigrationInterface {
    name = 'ItemHistoryIndex1796156685026'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE INDEX "ix_inbound_events_item" ON "inbound_events" ("partition_key", "seq")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."ix_inbound_events_item"
        `);
    }

}
