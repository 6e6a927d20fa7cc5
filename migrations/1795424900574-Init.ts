import { MigrationInterface, QueryRunner } from "typeorm";

export class Init1795424900574 implements MigrationInterface {
    name = 'Init1795424900574'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "connections" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "provider" character varying(16) NOT NULL,
                "external_id" character varying(200),
                "name" character varying(200),
                "status" character varying(16) NOT NULL,
                "credentials" bytea,
                "webhook_key_hash" character varying(64),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_0a1f844af3122354cbd487a8d03" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_connections_webhook_key_hash" ON "connections" ("webhook_key_hash")
            WHERE webhook_key_hash IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_connections_provider_external" ON "connections" ("provider", "external_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "location_mappings" (
                "location_id" character varying(200) NOT NULL,
                "connection_id" uuid NOT NULL,
                "external_id" character varying(200),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_59ab2596a35d6435f5989e00eca" PRIMARY KEY ("location_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_location_mappings_connection_external" ON "location_mappings" ("connection_id", "external_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "inbound_events" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "seq" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
                "provider" character varying(16) NOT NULL,
                "connection_id" uuid,
                "event_type" character varying(100) NOT NULL,
                "status" character varying(16) NOT NULL,
                "idempotency_key" character varying(300),
                "coalesce_key" character varying(64),
                "partition_key" character varying(500) NOT NULL,
                "priority" smallint NOT NULL DEFAULT '5',
                "payload" jsonb NOT NULL,
                "raw" bytea,
                "headers" jsonb NOT NULL,
                "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "processed_at" TIMESTAMP WITH TIME ZONE,
                "attempts" integer NOT NULL DEFAULT '0',
                "next_attempt_at" TIMESTAMP WITH TIME ZONE,
                "locked_until" TIMESTAMP WITH TIME ZONE,
                "last_error" text,
                CONSTRAINT "PK_b76e26fa0121da742b191b7ded0" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_inbound_events_received" ON "inbound_events" ("received_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_inbound_events_status_seq" ON "inbound_events" ("status", "seq")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_inbound_events_provider_seq" ON "inbound_events" ("provider", "seq")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_inbound_events_held_connection" ON "inbound_events" ("connection_id")
            WHERE status = 'held'
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_inbound_events_partition" ON "inbound_events" ("partition_key", "seq")
            WHERE status IN ('pending', 'failed', 'processing', 'held')
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_inbound_events_claim" ON "inbound_events" ("priority", "seq")
            WHERE status IN ('pending', 'failed', 'processing')
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_inbound_events_coalesce_pending" ON "inbound_events" ("provider", "coalesce_key")
            WHERE coalesce_key IS NOT NULL
                AND status = 'pending'
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_inbound_events_idempotency" ON "inbound_events" ("provider", "idempotency_key")
            WHERE idempotency_key IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE TABLE "availability_windows" (
                "id" BIGSERIAL NOT NULL,
                "resource_id" character varying(200) NOT NULL,
                "connection_id" uuid NOT NULL,
                "starts_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "ends_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_2b90591d83bf13eb2a2667d49ed" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_availability_resource_start" ON "availability_windows" ("resource_id", "starts_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "bookings" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "resource_id" character varying(200) NOT NULL,
                "connection_id" uuid NOT NULL,
                "provider" character varying(16) NOT NULL,
                "external_id" character varying(300) NOT NULL,
                "starts_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "ends_at" TIMESTAMP WITH TIME ZONE,
                "status" character varying(16) NOT NULL,
                "people" integer,
                "price" numeric(14, 2),
                "currency" character varying(3),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_bee6805982cc1e248e94ce94957" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_bookings_resource_start" ON "bookings" ("resource_id", "starts_at", "id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_bookings_provider_connection_external" ON "bookings" ("provider", "connection_id", "external_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "locations" (
                "id" character varying(200) NOT NULL,
                "name" character varying(500),
                "timezone" character varying(64),
                "provider" character varying(16),
                "connection_id" uuid,
                "external_id" character varying(200),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_7cc1c9e3853b94816c094825e74" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_locations_connection" ON "locations" ("connection_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "los_datasets" (
                "location_id" character varying(200) NOT NULL,
                "channel" character varying(200) NOT NULL,
                "connection_id" uuid NOT NULL,
                "dataset_key" character varying(200) NOT NULL,
                "loaded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_754129a455a77d22b14290f775d" PRIMARY KEY ("location_id", "channel")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "los_rows" (
                "resource_id" character varying(200) NOT NULL,
                "channel" character varying(200) NOT NULL,
                "arrival_date" date NOT NULL,
                "length_of_stay" smallint NOT NULL,
                "location_id" character varying(200) NOT NULL,
                "connection_id" uuid NOT NULL,
                "units_available" integer NOT NULL,
                "price" numeric(14, 2),
                "currency" character varying(3),
                "dataset_key" character varying(200),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_a4123d363a429881c2e5f79507e" PRIMARY KEY (
                    "resource_id",
                    "channel",
                    "arrival_date",
                    "length_of_stay"
                )
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_los_channel_arrival" ON "los_rows" ("channel", "arrival_date")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_los_location_arrival" ON "los_rows" ("location_id", "arrival_date")
        `);
        await queryRunner.query(`
            CREATE TABLE "resources" (
                "id" character varying(200) NOT NULL,
                "location_id" character varying(200) NOT NULL,
                "connection_id" uuid NOT NULL,
                "type" character varying(32) NOT NULL,
                "name" character varying(500),
                "capacity" integer,
                "status" character varying(16) NOT NULL,
                "provider" character varying(16) NOT NULL,
                "external_id" character varying(200) NOT NULL,
                "attributes" jsonb NOT NULL,
                "source_hash" character varying(64),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_632484ab9dff41bba94f9b7c85e" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_resources_updated_at_id" ON "resources" ("updated_at", "id")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_resources_location_id" ON "resources" ("location_id", "id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_resources_provider_connection_external" ON "resources" ("provider", "connection_id", "external_id")
        `);
        await queryRunner.query(`
            ALTER TABLE "location_mappings"
            ADD CONSTRAINT "FK_efbc7c0b0aa00ec4cb4aacfcc2d" FOREIGN KEY ("connection_id") REFERENCES "connections"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "location_mappings" DROP CONSTRAINT "FK_efbc7c0b0aa00ec4cb4aacfcc2d"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_resources_provider_connection_external"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_resources_location_id"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_resources_updated_at_id"
        `);
        await queryRunner.query(`
            DROP TABLE "resources"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_los_location_arrival"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_los_channel_arrival"
        `);
        await queryRunner.query(`
            DROP TABLE "los_rows"
        `);
        await queryRunner.query(`
            DROP TABLE "los_datasets"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_locations_connection"
        `);
        await queryRunner.query(`
            DROP TABLE "locations"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_bookings_provider_connection_external"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_bookings_resource_start"
        `);
        await queryRunner.query(`
            DROP TABLE "bookings"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_availability_resource_start"
        `);
        await queryRunner.query(`
            DROP TABLE "availability_windows"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_inbound_events_idempotency"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_inbound_events_coalesce_pending"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_inbound_events_claim"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_inbound_events_partition"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_inbound_events_held_connection"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_inbound_events_provider_seq"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_inbound_events_status_seq"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_inbound_events_received"
        `);
        await queryRunner.query(`
            DROP TABLE "inbound_events"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_location_mappings_connection_external"
        `);
        await queryRunner.query(`
            DROP TABLE "location_mappings"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_connections_provider_external"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_connections_webhook_key_hash"
        `);
        await queryRunner.query(`
            DROP TABLE "connections"
        `);
    }

}
