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
    extra: { max: poolSize, application_name: 'inventory-sync' },
  };
}
