import { MigrationInterface, QueryRunner } from "typeorm";

export class ResourceRatesHash1796203420356 implements MigrationInterface {
    name = 'ResourceRatesHash1796203420356'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "resources"
            ADD "rates_hash" character varying(64)
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "resources" DROP COLUMN "rates_hash"
        `);
    }

}
