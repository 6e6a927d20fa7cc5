import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source.options';
import { startEmbeddedDatabase } from '../../src/database/embedded-database';

export const TEMPLATE_DB = 'inventory_template';
const STATE_DIR = resolve(__dirname, '..', '..', '.test-data');

/**
 * Starts one PostgreSQL for the whole run (embedded unless DATABASE_URL is set), migrates a template
 * database once; each test file then clones it (CREATE DATABASE ... TEMPLATE), which takes milliseconds.
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    mkdirSync(STATE_DIR, { recursive: true, mode: 0o711 });
    const dir = join(STATE_DIR, `run-${process.pid}`);
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    const db = await startEmbeddedDatabase(dir, 'test-password', () => undefined, 'postgres');
    adminUrl = db.url;
    (globalThis as { __EMBEDDED_DB__?: unknown }).__EMBEDDED_DB__ = { db, dir };
  }
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB}`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  await admin.end();

  const templateUrl = withDatabase(adminUrl, TEMPLATE_DB);
  // Migrations are loaded from the TypeScript sources through Jest's transform.
  const ds = new DataSource({ ...buildDataSourceOptions(templateUrl, 2), migrations: migrationClasses() });
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
  process.env.TEST_ADMIN_DATABASE_URL = adminUrl;
  writeFileSync(join(STATE_DIR, 'admin-url'), adminUrl);
}

function migrationClasses(): Function[] {
  const { readdirSync } = require('node:fs') as typeof import('node:fs');
  const dir = resolve(__dirname, '..', '..', 'migrations');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .flatMap((f) => Object.values(require(join(dir, f)) as Record<string, Function>));
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
