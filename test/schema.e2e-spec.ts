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

  it('partial indexes carry the predicates the entities declare (TypeORM does not diff a changed WHERE)', async () => {
    const db = await createTestDatabase();
    const ds = new DataSource({ ...buildDataSourceOptions(db.url, 1), migrations: [] });
    await ds.initialize();
    try {
      const declared = ds.entityMetadatas.flatMap((m) => m.indices.filter((i) => i.where).map((i) => ({ name: i.name, where: i.where! })));
      expect(declared.length).toBeGreaterThan(0);
      // Compared as words: PostgreSQL rewrites `IN (...)` to `= ANY (ARRAY[...])` and adds casts.
      const NOISE = new Set(['in', 'any', 'array', 'text', 'character', 'varying']);
      const words = (w: string) => (w.toLowerCase().match(/[a-z_]+/g) ?? []).filter((x) => !NOISE.has(x)).sort();
      for (const index of declared) {
        const [row] = await ds.query(`SELECT indexdef FROM pg_indexes WHERE indexname = $1`, [index.name]);
        const actual = /WHERE (.*)$/.exec(row.indexdef)![1];
        expect({ index: index.name, where: words(actual) }).toEqual({ index: index.name, where: words(index.where) });
      }
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });

  it('the event archive has the queue table\'s columns, in order and of the same types, then archived_at (isq_archive and inbound_events_all rely on it)', async () => {
    const db = await createTestDatabase();
    const ds = new DataSource({ ...buildDataSourceOptions(db.url, 1), migrations: [] });
    await ds.initialize();
    try {
      const columns = async (table: string) => (await ds.query(
        `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
          WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, [table])) as Array<{ attname: string; type: string }>;
      const hot = await columns('inbound_events');
      expect(hot.length).toBeGreaterThan(10);
      expect(await columns('inbound_events_archive')).toEqual([...hot, { attname: 'archived_at', type: 'timestamp with time zone' }]);
      // TypeORM does not diff an identity's kind: a replay from the archive writes its event's seq back (BY DEFAULT).
      const seq = ds.getMetadata('inbound_events').findColumnWithDatabaseName('seq')!;
      const [identity] = await ds.query(
        `SELECT identity_generation FROM information_schema.columns WHERE table_name = 'inbound_events' AND column_name = 'seq'`);
      expect(identity.identity_generation).toBe(seq.generatedIdentity);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });
});
