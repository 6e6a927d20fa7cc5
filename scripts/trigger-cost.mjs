// node scripts/trigger-cost.mjs (after `npm run build`) — what the change-feed triggers cost a writer: 8 connections
// upserting changed resources (as the Syncaroo handler does) with the triggers off, on with a NOTIFY in record_change
// (the first design), and on without it (today), two rounds each, three LISTEN connections open as in production.
import { createRequire } from 'node:module';
import { mkdtempSync, chmodSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
const require = createRequire(import.meta.url);
const pg = require('pg');
const { startEmbeddedDatabase } = require('../dist/src/database/embedded-database.js');
const root = mkdtempSync(join(os.tmpdir(), 'trig-')); chmodSync(root, 0o711);
const db = await startEmbeddedDatabase(root, 'trig', () => {}, 'trig');
// migrate via the app's data source
const { DataSource } = require('typeorm');
const { buildDataSourceOptions } = require('../dist/src/database/data-source.options.js');
const ds = await new DataSource(buildDataSourceOptions(db.url, 4)).initialize(); await ds.runMigrations(); await ds.destroy();
const c = new pg.Client({ connectionString: db.url }); await c.connect();
await c.query(`INSERT INTO connections (id, provider, external_id, status) VALUES ('00000000-0000-4000-8000-000000000001', 'syncaroo', '1', 'active')`);
await c.query(`INSERT INTO locations (id, name) VALUES ('L1', 'L1')`);
await c.query(`INSERT INTO resources (id, location_id, connection_id, type, name, capacity, status, provider, external_id, attributes, source_hash) SELECT 'R'||g, 'L1', '00000000-0000-4000-8000-000000000001', 'meeting-room', 'Room '||g, 4, 'active', 'syncaroo', 'x'||g, '{}', 'h' FROM generate_series(1,500) g`);
const clients = []; for (let i = 0; i < 8; i++) { const k = new pg.Client({ connectionString: db.url }); await k.connect(); clients.push(k); }
const listeners = []; for (let i = 0; i < 3; i++) { const k = new pg.Client({ connectionString: db.url }); await k.connect(); await k.query(i === 0 ? 'LISTEN inbound_events' : 'LISTEN inventory_changes'); k.on('notification', () => {}); listeners.push(k); }
const SQL = `INSERT INTO resources AS r (id, location_id, connection_id, type, name, capacity, status, provider, external_id, attributes, source_hash, updated_at)
  VALUES ($1, 'L1', '00000000-0000-4000-8000-000000000001', 'meeting-room', $2, 4, 'active', 'syncaroo', $3, '{}', $2, now())
  ON CONFLICT (provider, connection_id, external_id) DO UPDATE SET name = EXCLUDED.name, source_hash = EXCLUDED.source_hash, updated_at = now()
  WHERE r.source_hash IS DISTINCT FROM EXCLUDED.source_hash`;
let n = 0;
async function round(label, N = 8000) {
  const t = performance.now(); let i = 0;
  await Promise.all(clients.map(async (k) => { while (i < N) { const j = i++; n++; await k.query(SQL, ['R' + (j % 500 + 1), 'v' + n, 'x' + (j % 500 + 1)]); } }));
  const s = (performance.now() - t) / 1000; console.log(label.padEnd(40), Math.round(N / s), 'upserts/s');
}
const trig = async (on) => { for (const t of ['trg_changes_resources', 'trg_changes_resources_update', 'trg_resources_account', 'trg_resources_account_moved']) await c.query(`ALTER TABLE resources ${on ? 'ENABLE' : 'DISABLE'} TRIGGER ${t}`); };
const notify = async (on) => c.query(`CREATE OR REPLACE FUNCTION record_change(p_account uuid, p_type text, p_op text, p_location text, p_resource text, p_entity text, p_key text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO changes (account_id, type, op, location_id, resource_id, entity_id, dedupe_key) VALUES (p_account, p_type, p_op, p_location, p_resource, p_entity, p_key)
  ON CONFLICT (xid, dedupe_key) DO UPDATE SET op = EXCLUDED.op, location_id = EXCLUDED.location_id, resource_id = EXCLUDED.resource_id;
  ${on ? "SELECT pg_notify('inventory_changes', '');" : ''} $$`);
await round('warm-up');
for (let r = 0; r < 2; r++) {
  await trig(false); await round('triggers off');
  await trig(true); await notify(true); await round('triggers on (notify)');
  await notify(false); await round('triggers on, no notify');
  await notify(true);
}
for (const k of [...clients, ...listeners, c]) await k.end();
await db.stop();
