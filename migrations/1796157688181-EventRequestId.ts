import { MigrationInterface, QueryRunner } from "typeorm";

export class EventRequestId1796157688181 implements MigrationInterface {
    name = 'EventRequestId1796157688181'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "inbound_events"
            ADD "request_id" character varying(100)
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "inbound_events" DROP COLUMN "request_id"
        `);
    }

}
