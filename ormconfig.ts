import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './src/database/data-source.options';

/** The DataSource the TypeORM CLI uses (scripts/migration.mjs provides DATABASE_URL). */
if (!process.env.DATABASE_URL) throw new Error('ormconfig: DATABASE_URL is not set (use npm run migration:*)');
export default new DataSource(buildDataSourceOptions(process.env.DATABASE_URL, 2));
