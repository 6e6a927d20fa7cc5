import { MigrationInterface, QueryRunner } from "typeorm";

/** Subscriptions (outbound webhooks of the change feed) and their delivery log (CONTRACT.md section 10). Generated, then reviewed. */

export class Subscriptions1796174953943 implements MigrationInterface {
    name = 'Subscriptions1796174953943'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "subscriptions" (
                "id" uuid NOT NULL,
                "account_id" uuid,
                "url" text NOT NULL,
                "types" text array,
                "description" character varying(500),
                "status" character varying(16) NOT NULL,
                "failing_reason" text,
                "secret" bytea NOT NULL,
                "previous_secret" bytea,
                "previous_expires_at" TIMESTAMP(3) WITH TIME ZONE,
                "cursor_xid" bigint NOT NULL,
                "cursor_seq" bigint NOT NULL,
                "lease_token" uuid,
                "lease_expires_at" TIMESTAMP(3) WITH TIME ZONE,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_a87248d73155605cf782be9ee5e" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_subscriptions_claim" ON "subscriptions" ("lease_expires_at")
            WHERE status = 'active'
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_subscriptions_created" ON "subscriptions" ("created_at", "id")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_subscriptions_account" ON "subscriptions" ("account_id", "created_at", "id")
        `);
        await queryRunner.query(`
            CREATE TABLE "subscription_deliveries" (
                "id" uuid NOT NULL,
                "seq" BIGSERIAL NOT NULL,
                "subscription_id" uuid NOT NULL,
                "webhook_id" character varying(64) NOT NULL,
                "status" character varying(16) NOT NULL,
                "attempts" integer NOT NULL DEFAULT '0',
                "cursor" character varying(120) NOT NULL,
                "change_count" integer NOT NULL,
                "body" text NOT NULL,
                "next_attempt_at" TIMESTAMP(3) WITH TIME ZONE,
                "last_status" integer,
                "last_error" text,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "delivered_at" TIMESTAMP(3) WITH TIME ZONE,
                CONSTRAINT "PK_bf91699004ec888470adefca1d6" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_subscription_deliveries_webhook_id" ON "subscription_deliveries" ("webhook_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_subscription_deliveries_due" ON "subscription_deliveries" ("next_attempt_at")
            WHERE status = 'pending'
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_subscription_deliveries_list" ON "subscription_deliveries" ("subscription_id", "seq")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_subscription_deliveries_pending" ON "subscription_deliveries" ("subscription_id")
            WHERE status = 'pending'
        `);
        await queryRunner.query(`
            ALTER TABLE "subscriptions"
            ADD CONSTRAINT "FK_7c7bc85becc85aec89c103784e6" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "subscription_deliveries"
            ADD CONSTRAINT "FK_68a308339f1a2ccdc9d93e43b44" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "subscription_deliveries" DROP CONSTRAINT "FK_68a308339f1a2ccdc9d93e43b44"
        `);
        await queryRunner.query(`
            ALTER TABLE "subscriptions" DROP CONSTRAINT "FK_7c7bc85becc85aec89c103784e6"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_subscription_deliveries_pending"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_subscription_deliveries_list"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_subscription_deliveries_due"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_subscription_deliveries_webhook_id"
        `);
        await queryRunner.query(`
            DROP TABLE "subscription_deliveries"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_subscriptions_account"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_subscriptions_created"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_subscriptions_claim"
        `);
        await queryRunner.query(`
            DROP TABLE "subscriptions"
        `);
    }

}
