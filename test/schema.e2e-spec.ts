import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source.options';
import { createTestDatabase } from './support/test-database';

describe('schema', () => {
  it('entities and committed migrations agree (nothing left to generate)', async () => {
    const db = await createTestDatabase();
    const ds = new DataSource({ ...buildDataSourceOptions(db.url, 1), migrations: [] });
    await ds.initialize();
    try {
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });
});
