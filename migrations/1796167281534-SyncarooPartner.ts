import { MigrationInterface, QueryRunner } from "typeorm";

export class SyncarooPartner1796167281534 implements MigrationInterface {
    name = 'SyncarooPartner1796167281534'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "syncaroo_grants" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "account_id" uuid NOT NULL,
                "user_id" uuid,
                "scope" character varying(200),
                "connection_id" uuid,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "revoked_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_479d43f9ba43aae442f185a9c14" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_syncaroo_grants_account" ON "syncaroo_grants" ("account_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "syncaroo_auth_codes" (
                "code_hash" character varying(64) NOT NULL,
                "grant_id" uuid NOT NULL,
                "redirect_uri" character varying(2000) NOT NULL,
                "code_challenge" character varying(128),
                "code_challenge_method" character varying(8),
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "used_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_61350a9c9bc39a691c6ed1e73a5" PRIMARY KEY ("code_hash")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_syncaroo_auth_codes_expires" ON "syncaroo_auth_codes" ("expires_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "syncaroo_tokens" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "grant_id" uuid NOT NULL,
                "access_hash" character varying(64) NOT NULL,
                "access_expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "refresh_hash" character varying(64),
                "refresh_expires_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "revoked_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_3fbf02aa3f2da25556ad3829102" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_syncaroo_tokens_access" ON "syncaroo_tokens" ("access_hash")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_syncaroo_tokens_refresh" ON "syncaroo_tokens" ("refresh_hash")
            WHERE refresh_hash IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_syncaroo_tokens_grant" ON "syncaroo_tokens" ("grant_id")
        `);
        await queryRunner.query(`
            ALTER TABLE "syncaroo_grants"
            ADD CONSTRAINT "FK_05039603211c34eea1e5f6b7daf" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "syncaroo_auth_codes"
            ADD CONSTRAINT "FK_1156974a2b2aa1c273e7003b9f1" FOREIGN KEY ("grant_id") REFERENCES "syncaroo_grants"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "syncaroo_tokens"
            ADD CONSTRAINT "FK_6a9664821640cd0b1ad96c66d39" FOREIGN KEY ("grant_id") REFERENCES "syncaroo_grants"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "syncaroo_tokens" DROP CONSTRAINT "FK_6a9664821640cd0b1ad96c66d39"
        `);
        await queryRunner.query(`
            ALTER TABLE "syncaroo_auth_codes" DROP CONSTRAINT "FK_1156974a2b2aa1c273e7003b9f1"
        `);
        await queryRunner.query(`
            ALTER TABLE "syncaroo_grants" DROP CONSTRAINT "FK_05039603211c34eea1e5f6b7daf"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_syncaroo_tokens_grant"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_syncaroo_tokens_refresh"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_syncaroo_tokens_access"
        `);
        await queryRunner.query(`
            DROP TABLE "syncaroo_tokens"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_syncaroo_auth_codes_expires"
        `);
        await queryRunner.query(`
            DROP TABLE "syncaroo_auth_codes"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_syncaroo_grants_account"
        `);
        await queryRunner.query(`
            DROP TABLE "syncaroo_grants"
        `);
    }

}
