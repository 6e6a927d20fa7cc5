// node scripts/los-load.mjs (after `npm run build`) — the 511,000-row Stratech LOS load and GET /los latency.
// Embedded PostgreSQL in a temp dir; the dataset goes through the real code path: JSON text → JSON.parse once →
// the Stratech mapper → LosRepository.replaceDataset in one transaction. Then the app serves 200 random filtered
// GET /los requests (one at a time) and the plans of the main /los queries are printed.
// Options: --products N (100) --days N (365) --stays N (14) --requests N (200)
import { existsSync, mkdtempSync, rmSync, chmodSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const dist = (p) => {
  const file = new URL(`../dist/${p}`, import.meta.url).pathname;
  if (!existsSync(file)) {
    console.error(`missing ${file}: run \`npm run build\` first`);
    process.exit(2);
  }
  return require(file);
};
require('reflect-metadata');
const { startEmbeddedDatabase } = dist('src/database/embedded-database.js');
const { buildDataSourceOptions } = dist('src/database/data-source.options.js');
const { LosRepository } = dist('src/inventory/los.repository.js');
const { toLosCells } = dist('src/providers/stratech/stratech.mapper.js');
const { createApp } = dist('src/app.factory.js');
const { validateEnvironment } = dist('src/config/app-config.js');
const { createRootLogger } = dist('src/common/logger.js');
const { DataSource } = require('typeorm');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const PRODUCTS = arg('products', 100);
const DAYS = arg('days', 365);
const STAYS = arg('stays', 14);
const REQUESTS = arg('requests', 200);
const log = (...a) => console.log(...a);
const ms = (t0) => Math.round(performance.now() - t0);
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const rssMb = () => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : Math.round(process.memoryUsage().rss / 1048576);
};

const root = mkdtempSync(join(os.tmpdir(), 'los-load-'));
chmodSync(root, 0o711);
let db;
let ds;
let app;
try {
  let t0 = performance.now();
  db = await startEmbeddedDatabase(root, 'los-load', () => {}, 'inventory');
  ds = new DataSource(buildDataSourceOptions(db.url, 4));
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  log(`database ready and migrated in ${ms(t0)} ms`);

  // One Stratech connection with one mapped resort and its products as resources.
  const [{ id: connectionId }] = await ds.query(
    `INSERT INTO connections (provider, external_id, status) VALUES ('stratech', 'org_load', 'active') RETURNING id`);
  const locationId = 'park-load';
  await ds.query(`INSERT INTO location_mappings (location_id, connection_id, external_id) VALUES ($1, $2, 'rst_load')`, [locationId, connectionId]);
  await ds.query(`INSERT INTO locations (id, name, timezone, provider, connection_id, external_id) VALUES ($1, 'Load park', 'Europe/Amsterdam', 'stratech', $2, 'rst_load')`, [locationId, connectionId]);
  const resourceIds = Array.from({ length: PRODUCTS }, (_, i) => `r_load_${String(i).padStart(4, '0')}`);
  await ds.query(
    `INSERT INTO resources (id, location_id, connection_id, type, name, status, provider, external_id, attributes)
     SELECT id, $2, $3, 'accommodation', 'Lodge ' || ext, 'active', 'stratech', ext, '{}'::jsonb FROM unnest($1::varchar[], $4::varchar[]) AS t(id, ext)`,
    [resourceIds, locationId, connectionId, resourceIds.map((_, i) => `prod_${i}`)]);

  // The dataset as Stratech would send it: arrival dates with the resort's offset.
  const makeDataset = (key, seed) => {
    const products = [];
    for (let p = 0; p < PRODUCTS; p++) {
      const cells = [];
      for (let d = 0; d < DAYS; d++) {
        const day = new Date(Date.UTC(2026, 0, 1 + d));
        const offset = day.getUTCMonth() >= 3 && day.getUTCMonth() <= 9 ? '+02:00' : '+01:00';
        const arrivalDate = `${day.toISOString().slice(0, 10)}T00:00:00${offset}`;
        for (let los = 1; los <= STAYS; los++) {
          cells.push({ arrivalDate, lengthOfStay: los, unitsAvailable: (p * 7 + d * 3 + los + seed) % 12, price: Math.round((60 + los * 55 + (d % 30)) * 100) / 100 });
        }
      }
      products.push({ productId: `prod_${p}`, name: `Lodge ${p}`, losPriceAvailability: cells });
    }
    return JSON.stringify({ key, organizationReference: 'org_load', resortReference: 'rst_load', channelReference: 'dc_load', currency: 'EUR', products });
  };

  const repo = new LosRepository(ds);
  const idOf = new Map(resourceIds.map((id, i) => [`prod_${i}`, id]));
  const loadOnce = async (key, seed) => {
    let text = makeDataset(key, seed);
    const bytes = Buffer.byteLength(text);
    let t = performance.now();
    let parsed = JSON.parse(text);
    text = null;
    const parseMs = ms(t);
    t = performance.now();
    const cells = toLosCells(parsed, (productId) => idOf.get(productId));
    parsed = null;
    const mapMs = ms(t);
    t = performance.now();
    await ds.transaction((m) => repo.replaceDataset(m, { locationId, channel: 'dc_load', connectionId, datasetKey: key, currency: 'EUR' }, cells));
    const loadMs = ms(t);
    return { rows: cells.length, mb: (bytes / 1048576).toFixed(1), parseMs, mapMs, loadMs };
  };

  const first = await loadOnce('k1', 0);
  log(`\nfirst load:  ${first.rows.toLocaleString('en')} rows (${first.mb} MB JSON) — JSON.parse ${first.parseMs} ms, map ${first.mapMs} ms, replaceDataset (one transaction) ${first.loadMs} ms`);
  const second = await loadOnce('k2', 5);
  log(`second load: ${second.rows.toLocaleString('en')} rows replacing ${first.rows.toLocaleString('en')} — JSON.parse ${second.parseMs} ms, map ${second.mapMs} ms, replaceDataset ${second.loadMs} ms`);
  const [{ n, keys }] = await ds.query(`SELECT count(*)::int AS n, array_agg(DISTINCT dataset_key) AS keys FROM los_rows WHERE location_id = $1`, [locationId]);
  log(`rows in los_rows: ${n.toLocaleString('en')}, dataset keys: ${keys}; peak RSS of this process: ${rssMb()} MB`);
  if (n !== first.rows) throw new Error(`expected ${first.rows} rows after the replace, found ${n}`);
  await ds.query('ANALYZE los_rows');

  // ---- GET /los through the real app ----
  const config = validateEnvironment({
    DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'silent',
    ADMIN_TOKEN: 'los-load-admin-token-0123456789', READ_TOKEN: 'los-load-read-token-0123456789',
    ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'), WORKER: 'off',
  });
  app = await createApp(config, db.url, createRootLogger('silent'));
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
  const rand = (n) => Math.floor(Math.random() * n);
  const dateAt = (d) => new Date(Date.UTC(2026, 0, 1 + d)).toISOString().slice(0, 10);
  const shapes = [
    // The booking-site search: a park, a channel, an arrival window, a stay length, at least N units.
    () => { const d = rand(DAYS - 14); return `locationId=${locationId}&channel=dc_load&arrivalFrom=${dateAt(d)}&arrivalTo=${dateAt(d + 13)}&lengthOfStay=${1 + rand(STAYS)}&minUnits=${1 + rand(4)}`; },
    // One accommodation's calendar for a month.
    () => { const d = rand(DAYS - 31); return `resourceId=${resourceIds[rand(PRODUCTS)]}&channel=dc_load&arrivalFrom=${dateAt(d)}&arrivalTo=${dateAt(d + 30)}`; },
    // A park for one arrival date.
    () => { const d = rand(DAYS); return `locationId=${locationId}&arrivalFrom=${dateAt(d)}&arrivalTo=${dateAt(d)}&minUnits=1`; },
    // A park, no other filter (first page).
    () => `locationId=${locationId}`,
  ];
  const headers = { authorization: 'Bearer los-load-read-token-0123456789' };
  for (let i = 0; i < 20; i++) await (await fetch(`${base}/los?${shapes[i % shapes.length]()}`, { headers })).arrayBuffer();
  const timings = [];
  const byShape = shapes.map(() => []);
  let items = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const s = i % shapes.length;
    const qs = shapes[s]();
    const t = performance.now();
    const res = await fetch(`${base}/los?${qs}&limit=100`, { headers });
    const body = await res.json();
    const took = performance.now() - t;
    if (res.status !== 200) throw new Error(`GET /los?${qs} → ${res.status} ${JSON.stringify(body)}`);
    items += body.items.length;
    timings.push(took);
    byShape[s].push(took);
  }
  timings.sort((a, b) => a - b);
  log(`\nGET /los, ${REQUESTS} random filtered requests one at a time over ${n.toLocaleString('en')} rows (avg ${Math.round(items / REQUESTS)} items/answer):`);
  log(`  all      p50 ${pct(timings, 50).toFixed(1)} ms  p99 ${pct(timings, 99).toFixed(1)} ms  max ${timings.at(-1).toFixed(1)} ms`);
  const names = ['location+channel+window+stay+minUnits', 'resource+channel+month', 'location+one date+minUnits', 'location only'];
  byShape.forEach((t, i) => {
    t.sort((a, b) => a - b);
    log(`  ${names[i].padEnd(38)} p50 ${pct(t, 50).toFixed(1)} ms  p99 ${pct(t, 99).toFixed(1)} ms`);
  });

  // ---- plans: the SQL GET /los runs (a copy of InventoryQueryRepository.listLos, parameters as it binds them) ----
  const select = `SELECT resource_id, channel, to_char(arrival_date, 'YYYY-MM-DD') AS arrival_day, length_of_stay, units_available, price, currency, updated_at FROM los_rows`;
  // A location or channel query pages by arrival date; a resource query by resource (see listLos).
  const byArrival = (n) => `ORDER BY arrival_date, resource_id, channel, length_of_stay LIMIT $${n}`;
  const byResource = (n) => `ORDER BY resource_id, channel, arrival_date, length_of_stay LIMIT $${n}`;
  const plans = [
    ['location + channel + window + stay + minUnits', `${select} WHERE location_id = $1 AND channel = $2 AND arrival_date >= $3::date AND arrival_date <= $4::date AND length_of_stay = $5::smallint AND units_available >= $6::int ${byArrival(7)}`, [locationId, 'dc_load', dateAt(100), dateAt(113), 7, 1, 101]],
    ['resource + channel + month', `${select} WHERE resource_id = $1 AND channel = $2 AND arrival_date >= $3::date AND arrival_date <= $4::date ${byResource(5)}`, [resourceIds[42], 'dc_load', dateAt(100), dateAt(130), 101]],
    ['location only', `${select} WHERE location_id = $1 ${byArrival(2)}`, [locationId, 101]],
  ];
  for (const [name, sql, params] of plans) {
    const rows = await ds.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, params);
    log(`\nEXPLAIN ${name}:`);
    for (const r of rows) log(`  ${r['QUERY PLAN']}`);
  }
} finally {
  await app?.close().catch(() => {});
  await ds?.destroy().catch(() => {});
  await db?.stop().catch(() => {});
  rmSync(root, { recursive: true, force: true });
}
