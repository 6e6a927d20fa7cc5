import { MigrationInterface, QueryRunner } from "typeorm";

export class LockmeOauthState1796159299293 implements MigrationInterface {
    name = 'LockmeOauthState1796159299293'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "oauth_states" (
                "nonce_hash" character varying(64) NOT NULL,
                "connection_id" uuid NOT NULL,
                "browser_hash" character varying(64) NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "used_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_3a03ba9d8f75b2724a3d4db51eb" PRIMARY KEY ("nonce_hash")
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "oauth_states"
            ADD CONSTRAINT "FK_5bc6ac893299dc41430d8fb9b4c" FOREIGN KEY ("connection_id") REFERENCES "connections"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "oauth_states" DROP CONSTRAINT "FK_5bc6ac893299dc41430d8fb9b4c"
        `);
        await queryRunner.query(`
            DROP TABLE "oauth_states"
        `);
    }

}
