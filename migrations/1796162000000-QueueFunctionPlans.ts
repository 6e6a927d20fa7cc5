import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The isq_* functions plan their statements once per session and keep the plan: made while the queue was
 * empty, it scanned event_partitions / inbound_events in full once they held 100,000 rows (claims 150 ms,
 * settles 300–600 ms until autovacuum re-analysed; measured by scripts/bench claim-cost). Re-planned on every
 * call, and kept off sequential and bitmap scans (stale statistics after a burst), each statement stays an
 * index probe whatever the statistics say. Written by hand: TypeORM does not diff functions.
 */
const FUNCTIONS = [
  'isq_before_insert()', 'isq_after_insert()', 'isq_refresh(text[])', 'isq_claim(int, int, int, smallint[])',
  'isq_settle(uuid[], uuid[], text[], text[], uuid[], bigint[], text[])', 'isq_heartbeat(uuid[], uuid[], int)',
  'isq_release(uuid[], uuid[])', 'isq_release_held(text[], text)', 'isq_replay(uuid, boolean)', 'isq_lock_item(text)',
];

export class QueueFunctionPlans1796162000000 implements MigrationInterface {
    name = 'QueueFunctionPlans1796162000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        for (const f of FUNCTIONS) {
            await queryRunner.query(`ALTER FUNCTION ${f} SET plan_cache_mode = force_custom_plan SET enable_seqscan = off SET enable_bitmapscan = off`);
        }
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        for (const f of FUNCTIONS) {
            await queryRunner.query(`ALTER FUNCTION ${f} RESET ALL`);
        }
    }
}
