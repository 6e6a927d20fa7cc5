import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';

/** Compiled (dist) or source (ts-node/jest) migrations, whichever sits beside this build. */
export const MIGRATIONS_GLOB = join(__dirname, '..', '..', 'migrations', '*.{js,ts}');

export function buildDataSourceOptions(url: string, poolSize = 20): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: [MIGRATIONS_GLOB],
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Off: TypeORM's logger prints query parameters (which can hold sealed credentials) outside pino.
    logging: false,
    // A statement or an open transaction that hangs (a lock never granted, a client that stopped mid
    // transaction) ends with an error instead of holding its connection and its locks for ever; the longest
    // statements (a 20k-row LOS insert, a migration's index) take seconds.
    extra: { max: poolSize, application_name: 'inventory-sync', statement_timeout: 120_000, idle_in_transaction_session_timeout: 60_000,
      // A database that does not answer fails a request in 5 s (a 503) instead of queueing it for ever.
      connectionTimeoutMillis: 5_000 },
  };
}
