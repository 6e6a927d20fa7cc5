import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/** The advisory lock key of one housekeeping job (`hashtext` of it is locked). */
export function leaderLockName(name: string): string {
  return `inventory-sync:${name}`;
}

/** The pg pool under a TypeORM data source. */
export function poolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as PostgresDriver).master as Pool;
}

/**
 * Runs `fn` only if no other process is running the housekeeping job `name` now (a transaction-scoped advisory
 * lock, held on a connection of its own while `fn` runs); null when another process holds it.
 */
export async function asLeader<T>(pool: Pool, name: string, fn: () => Promise<T>): Promise<T | null> {
  const client = await pool.connect();
  // A checked-out client has no listener of the pool's: a connection lost meanwhile (the database stopping)
  // would be an unhandled 'error' that ends the process. The query in flight reports it instead.
  const lost = () => undefined;
  client.on('error', lost);
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok`, [leaderLockName(name)]);
    if (!rows[0].ok) return null;
    return await fn();
  } finally {
    await client.query('COMMIT').catch(() => undefined);
    client.off('error', lost);
    client.release();
  }
}
