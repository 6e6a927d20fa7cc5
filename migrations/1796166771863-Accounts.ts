import { MigrationInterface, QueryRunner } from "typeorm";

export class Accounts1796166771863 implements MigrationInterface {
    name = 'Accounts1796166771863'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "accounts" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "name" character varying(200) NOT NULL,
                "external_id" character varying(200),
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_5a7a02c20412299d198e097a8fe" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_accounts_external_id" ON "accounts" ("external_id")
            WHERE external_id IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE TABLE "account_users" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "account_id" uuid NOT NULL,
                "email" character varying(320) NOT NULL,
                "email_key" character varying(320) NOT NULL,
                "password_hash" character varying(200) NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_0de86c382786ba5239e47025221" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_account_users_email_key" ON "account_users" ("email_key")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_account_users_account" ON "account_users" ("account_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "api_keys" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "name" character varying(200) NOT NULL,
                "account_id" uuid,
                "scopes" character varying(32) array NOT NULL,
                "prefix" character varying(16) NOT NULL,
                "key_hash" character varying(64) NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "expires_at" TIMESTAMP WITH TIME ZONE,
                "last_used_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_api_keys_key_hash" ON "api_keys" ("key_hash")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_api_keys_account" ON "api_keys" ("account_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "login_failures" (
                "email_key" character varying(320) NOT NULL,
                "window_started_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "failures" integer NOT NULL,
                CONSTRAINT "PK_8daaa6e23d703131716fd74dfe9" PRIMARY KEY ("email_key")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "sessions" (
                "sid_hash" character varying(64) NOT NULL,
                "data" jsonb NOT NULL,
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "user_id" uuid,
                CONSTRAINT "PK_b63fe005613bb9fd49c0dc505a2" PRIMARY KEY ("sid_hash")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_sessions_expires_at" ON "sessions" ("expires_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_sessions_user" ON "sessions" ("user_id")
            WHERE user_id IS NOT NULL
        `);
        await queryRunner.query(`
            ALTER TABLE "connections"
            ADD "account_id" uuid
        `);
        await queryRunner.query(`
            ALTER TABLE "locations"
            ADD "account_id" uuid
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_connections_account" ON "connections" ("account_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_locations_account" ON "locations" ("account_id", "id")
        `);
        await queryRunner.query(`
            ALTER TABLE "account_users"
            ADD CONSTRAINT "FK_a8dbedf16dd542e59bbb3b510a1" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "api_keys"
            ADD CONSTRAINT "FK_decaf331589778e33441b2a8d9e" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "connections"
            ADD CONSTRAINT "FK_7d4397e9fb3dc9aa9600faf1ccd" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "locations"
            ADD CONSTRAINT "FK_18a15dc1faf8902c28bd42f2eca" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "locations" DROP CONSTRAINT "FK_18a15dc1faf8902c28bd42f2eca"
        `);
        await queryRunner.query(`
            ALTER TABLE "connections" DROP CONSTRAINT "FK_7d4397e9fb3dc9aa9600faf1ccd"
        `);
        await queryRunner.query(`
            ALTER TABLE "api_keys" DROP CONSTRAINT "FK_decaf331589778e33441b2a8d9e"
        `);
        await queryRunner.query(`
            ALTER TABLE "account_users" DROP CONSTRAINT "FK_a8dbedf16dd542e59bbb3b510a1"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_locations_account"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_connections_account"
        `);
        await queryRunner.query(`
            ALTER TABLE "locations" DROP COLUMN "account_id"
        `);
        await queryRunner.query(`
            ALTER TABLE "connections" DROP COLUMN "account_id"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_sessions_user"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_sessions_expires_at"
        `);
        await queryRunner.query(`
            DROP TABLE "sessions"
        `);
        await queryRunner.query(`
            DROP TABLE "login_failures"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_api_keys_account"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_api_keys_key_hash"
        `);
        await queryRunner.query(`
            DROP TABLE "api_keys"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_account_users_account"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_account_users_email_key"
        `);
        await queryRunner.query(`
            DROP TABLE "account_users"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_accounts_external_id"
        `);
        await queryRunner.query(`
            DROP TABLE "accounts"
        `);
    }

}
