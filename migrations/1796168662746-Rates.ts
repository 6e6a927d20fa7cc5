import { MigrationInterface, QueryRunner } from "typeorm";

export class Rates1796168662746 implements MigrationInterface {
    name = 'Rates1796168662746'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "rates" (
                "provider" character varying(16) NOT NULL,
                "connection_id" uuid NOT NULL,
                "external_id" character varying(300) NOT NULL,
                "resource_id" character varying(200) NOT NULL,
                "name" character varying(500),
                "price" numeric(14, 2),
                "currency" character varying(3),
                "unit" character varying(16) NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_fd5a3356c7087323d4f81cfe271" PRIMARY KEY ("provider", "connection_id", "external_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_rates_resource" ON "rates" ("resource_id", "external_id")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."ix_rates_resource"
        `);
        await queryRunner.query(`
            DROP TABLE "rates"
        `);
    }

}
