import type { DataSource } from 'typeorm';

const LOCK = 'inventory-sync:migrations';

/**
 * Pending migrations, one process at a time: several processes starting at once against one (empty)
 * database wait for each other's migrations on a session advisory lock instead of racing the same
 * CREATE TABLEs. The wait is not bound by the pool's statement_timeout.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SET statement_timeout = 0`);
    await runner.query(`SELECT pg_advisory_lock(hashtext($1))`, [LOCK]);
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [LOCK]).catch(() => undefined);
    }
  } finally {
    await runner.query(`RESET statement_timeout`).catch(() => undefined);
    await runner.release();
  }
}
