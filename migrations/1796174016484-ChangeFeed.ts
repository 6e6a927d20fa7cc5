import { MigrationInterface, QueryRunner } from "typeorm";

export class ChangeFeed1796174016484 implements MigrationInterface {
    name = 'ChangeFeed1796174016484'

    public async up(queryRunner: QueryRunner): Promise<void> {
        // Added by hand before the generated statements: the xid column's default (TypeORM strips casts when it
        // reads a default back, so a cast in the entity's default would never compare equal).
        await queryRunner.query(`
            CREATE FUNCTION current_xid() RETURNS bigint LANGUAGE sql VOLATILE AS $$ SELECT pg_current_xact_id()::text::bigint $$
        `);
        await queryRunner.query(`
            CREATE TABLE "changes" (
                "xid" bigint NOT NULL DEFAULT current_xid(),
                "seq" BIGSERIAL NOT NULL,
                "account_id" uuid,
                "type" character varying(16) NOT NULL,
                "op" character varying(8) NOT NULL,
                "location_id" character varying(200) NOT NULL,
                "resource_id" character varying(200),
                "entity_id" character varying(300) NOT NULL,
                "channel" character varying(200),
                "arrival_from" date,
                "arrival_to" date,
                "dedupe_key" text NOT NULL,
                "changed_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_d07d12252b7cdb9bf079e4a4b5c" PRIMARY KEY ("xid", "seq")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_changes_xid_key" ON "changes" ("xid", "dedupe_key")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_changes_changed_at" ON "changes" ("changed_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_changes_account" ON "changes" ("account_id", "xid", "seq")
            WHERE account_id IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE TABLE "changes_horizon" (
                "id" smallint NOT NULL DEFAULT '1',
                "pruned_xid" bigint NOT NULL DEFAULT '0',
                "pruned_seq" bigint NOT NULL DEFAULT '0',
                CONSTRAINT "PK_8ea035af2733215ef060f4095d9" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "los_rows"
            ADD "account_id" uuid
        `);
        await queryRunner.query(`
            ALTER TABLE "resources"
            ADD "account_id" uuid
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_los_account" ON "los_rows" (
                "account_id",
                "resource_id",
                "channel",
                "arrival_date",
                "length_of_stay"
            )
            WHERE account_id IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_resources_account_id" ON "resources" ("account_id", "id")
            WHERE account_id IS NOT NULL
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."ix_resources_account_id"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_los_account"
        `);
        await queryRunner.query(`
            ALTER TABLE "resources" DROP COLUMN "account_id"
        `);
        await queryRunner.query(`
            ALTER TABLE "los_rows" DROP COLUMN "account_id"
        `);
        await queryRunner.query(`
            DROP TABLE "changes_horizon"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_changes_account"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_changes_changed_at"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_changes_xid_key"
        `);
        await queryRunner.query(`
            DROP TABLE "changes"
        `);
        await queryRunner.query(`
            DROP FUNCTION current_xid()
        `);
    }

}
