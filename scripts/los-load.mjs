// node scripts/los-load.mjs (after `npm run build`) — a Stratech LOS dataset loaded end to end by the real server,
// with the read API sampled while it loads, then GET /los latency and the query plans on the loaded rows.
//
// Everything runs on this machine: embedded PostgreSQL in a temp dir, a fake Stratech (identity server + dataset
// endpoint) in this process, and the server (`dist/src/main.js`, WORKER=on) as a child process, so its peak RSS is
// the server's alone. The organization is authorized through the real `Authorization.code.created` webhook, the
// resort mapped through the admin API, then each `PriceAvailability.los.created` webhook makes the server fetch the
// dataset over HTTP, parse, map and write it. Load N replaces load N-1 (other units and prices).
//
// Printed per load: 202 → `done` time and the handler's own time (its log line), peak RSS of the server
// (VmHWM, and the highest VmRSS sampled every 50 ms during that load), and GET /los and GET /health latency
// p50/p99/max, each sampled one request at a time every --sample-ms while the load runs.
//
// Options: --products N (100) --days N (365) --stays N (28) --loads N (2) --requests N (200, quiet GET /los after)
//          --sample-ms N (20) --parallel N (1: N datasets of N channels at once, to see the per-process limit)
//          --scalars-last (key, resort, channel and currency after products in the document)
//          --writers N (0: after the loads, N rounds of LosRepository writing the same rows by COPY and by INSERT,
//                       in this process, into another channel: wall time, this process's and the backend's CPU)
//          --dist DIR (the build to run, default ./dist) --no-plans
//          --feed-ab (loads alternate: odd ones with the change-feed triggers of los_rows disabled, the baseline; even
//                     ones with them, as in production; prints the mean 202 → done of each and the ratio)
// LOS_LOAD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" passes node options to the server (e.g. to profile it).
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const argv = process.argv;
const arg = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? Number(argv[i + 1]) : dflt;
};
const flag = (name) => argv.includes(`--${name}`);
const DIST = resolve(argv.includes('--dist') ? argv[argv.indexOf('--dist') + 1] : new URL('../dist', import.meta.url).pathname);
const PRODUCTS = arg('products', 100);
const DAYS = arg('days', 365);
const STAYS = arg('stays', 28);
const LOADS = arg('loads', 2);
const REQUESTS = arg('requests', 200);
const SAMPLE_MS = arg('sample-ms', 20);
const PARALLEL = arg('parallel', 1);
const SCALARS_LAST = flag('scalars-last');
const main = join(DIST, 'src/main.js');
if (!existsSync(main)) {
  console.error(`missing ${main}: run \`npm run build\` first`);
  process.exit(2);
}
require('reflect-metadata');
const { startEmbeddedDatabase } = require(join(DIST, 'src/database/embedded-database.js'));
const pg = require('pg');

const log = (...a) => console.log(...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const procStatus = (pid, field) => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};

/** CPU seconds (user + system) a process has used, from /proc (0 once it is gone). */
const cpuSeconds = (pid) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
};

const ADMIN_TOKEN = 'los-load-admin-token-0123456789';
const READ_TOKEN = 'los-load-read-token-0123456789';
const SECRET = 'los-load-webhook-secret';
const ORG = 'org_load';
const RESORT = 'rst_load';
const LOCATION = 'park-load';
const channelOf = (i) => (i === 0 ? 'dc_load' : `dc_load_${i}`);

// ---- the dataset as Stratech would send it: arrival dates with the resort's offset ----
function makeDataset(key, channel, seed) {
  const parts = [];
  for (let p = 0; p < PRODUCTS; p++) {
    const cells = [];
    for (let d = 0; d < DAYS; d++) {
      const day = new Date(Date.UTC(2026, 0, 1 + d));
      const offset = day.getUTCMonth() >= 3 && day.getUTCMonth() <= 9 ? '+02:00' : '+01:00';
      const arrivalDate = `${day.toISOString().slice(0, 10)}T00:00:00${offset}`;
      for (let los = 1; los <= STAYS; los++) {
        cells.push({ arrivalDate, lengthOfStay: los, unitsAvailable: (p * 7 + d * 3 + los + seed) % 12, price: Math.round((60 + los * 55 + (d % 30) + seed) * 100) / 100 });
      }
    }
    parts.push(JSON.stringify({ productId: `prod_${p}`, name: `Lodge ${p}`, losPriceAvailability: cells }));
  }
  const scalars = `"key":${JSON.stringify(key)},"organizationReference":"${ORG}","resortReference":"${RESORT}","channelReference":${JSON.stringify(channel)},"currency":"EUR"`;
  const products = `"products":[${parts.join(',')}]`;
  return Buffer.from(SCALARS_LAST ? `{${products},${scalars}}` : `{${scalars},${products}}`);
}

// ---- fake Stratech: identity server (any code, any refresh token) and the dataset endpoint ----
const datasets = new Map();
const stratech = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'POST' && /\/connect\/token$/.test(url.pathname)) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ access_token: 'at-load', refresh_token: 'rt-load', expires_in: 3600, token_type: 'Bearer' }));
    }
    const m = /^\/v1\/channels\/([^/]+)\/los\/([^/]+)$/.exec(url.pathname);
    const body = m && datasets.get(`${decodeURIComponent(m[1])}|${decodeURIComponent(m[2])}`);
    if (req.method === 'GET' && body) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
      return res.end(body);
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"not found"}');
  });
});
await new Promise((ok) => stratech.listen(0, '127.0.0.1', ok));
const stratechUrl = `http://127.0.0.1:${stratech.address().port}`;

const root = mkdtempSync(join(os.tmpdir(), 'los-load-'));
chmodSync(root, 0o711);
let db;
let sql;
let child;
const handlerLines = [];
try {
  let t0 = performance.now();
  db = await startEmbeddedDatabase(root, 'los-load', () => {}, 'inventory');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  log(`embedded PostgreSQL up in ${Math.round(performance.now() - t0)} ms; build ${DIST}`);

  // ---- the server under test ----
  const port = 20000 + Math.floor(Math.random() * 20000);
  const nodeArgs = (process.env.LOS_LOAD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  child = spawn(process.execPath, [...nodeArgs, main], {
    env: {
      ...process.env, DATABASE_URL: db.url, PORT: String(port), LOG_LEVEL: 'info', WORKER: 'on',
      ADMIN_TOKEN, READ_TOKEN, ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
      STRATECH_CLIENT_ID: 'load', STRATECH_CLIENT_SECRET: 'load', STRATECH_WEBHOOK_SECRET: SECRET,
      STRATECH_API_URL: stratechUrl, STRATECH_TOKEN_URL: `${stratechUrl}/{organizationReference}/connect/token`,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let tail = '';
  child.stdout.on('data', (c) => {
    tail += c.toString('utf8');
    const lines = tail.split('\n');
    tail = lines.pop();
    for (const line of lines) if (line.includes('stratech LOS dataset loaded')) handlerLines.push(JSON.parse(line));
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {}
    if (i > 300 || child.exitCode !== null) throw new Error('the server did not become healthy');
    await sleep(100);
  }
  const adminH = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const readH = { authorization: `Bearer ${READ_TOKEN}` };
  const webhook = async (body) => {
    const res = await fetch(`${base}/webhooks/stratech/${SECRET}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = await res.json();
    if (res.status !== 202) throw new Error(`webhook → ${res.status} ${JSON.stringify(json)}`);
    return json.eventId;
  };
  const settle = async (id, timeoutMs = 600_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { rows: [row] } = await sql.query(`SELECT status, last_error, connection_id, attempts FROM inbound_events WHERE id = $1`, [id]);
      if (row && ['done', 'ignored', 'held', 'dead'].includes(row.status)) return row;
      if (Date.now() > until) throw new Error(`event ${id} not settled: ${JSON.stringify(row)}`);
      await sleep(50);
    }
  };

  const auth = await settle(await webhook({ eventType: 'Authorization.code.created', eventData: { organizationReference: ORG, code: 'code-load' } }));
  if (auth.status !== 'done') throw new Error(`authorization ${auth.status}: ${auth.last_error}`);
  const mapped = await fetch(`${base}/admin/connections/${auth.connection_id}/locations`, {
    method: 'POST', headers: adminH, body: JSON.stringify({ locationId: LOCATION, externalId: RESORT, name: 'Load park', timezone: 'Europe/Amsterdam' }),
  });
  if (mapped.status !== 201) throw new Error(`mapping → ${mapped.status}`);

  const rand = (n) => Math.floor(Math.random() * n);
  const dateAt = (d) => new Date(Date.UTC(2026, 0, 1 + d)).toISOString().slice(0, 10);
  const shapes = [
    // The booking-site search: a park, a channel, an arrival window, a stay length, at least N units.
    () => { const d = rand(Math.max(1, DAYS - 14)); return `locationId=${LOCATION}&channel=dc_load&arrivalFrom=${dateAt(d)}&arrivalTo=${dateAt(d + 13)}&lengthOfStay=${1 + rand(STAYS)}&minUnits=${1 + rand(4)}`; },
    // One accommodation's calendar for a month (resource ids are looked up once the first load made them).
    () => { const d = rand(Math.max(1, DAYS - 31)); return resourceIds.length ? `resourceId=${resourceIds[rand(resourceIds.length)]}&channel=dc_load&arrivalFrom=${dateAt(d)}&arrivalTo=${dateAt(d + 30)}` : `locationId=${LOCATION}`; },
    // A park for one arrival date.
    () => { const d = rand(DAYS); return `locationId=${LOCATION}&arrivalFrom=${dateAt(d)}&arrivalTo=${dateAt(d)}&minUnits=1`; },
    // A park, no other filter (first page).
    () => `locationId=${LOCATION}`,
  ];
  let resourceIds = [];

  // One request at a time, every `SAMPLE_MS`, until stopped; latency from send to the end of the body.
  const sampler = (path, headers) => {
    const times = [];
    let errors = 0;
    let stop = false;
    let i = 0;
    const done = (async () => {
      while (!stop) {
        const url = typeof path === 'function' ? path(i++) : path;
        const t = performance.now();
        try {
          const res = await fetch(`${base}${url}`, { headers });
          await res.arrayBuffer();
          if (res.status !== 200) errors++;
        } catch {
          errors++;
        }
        times.push(performance.now() - t);
        await sleep(SAMPLE_MS);
      }
    })();
    return async () => {
      stop = true;
      await done;
      return { times: times.sort((a, b) => a - b), errors };
    };
  };
  const summary = (name, r) => `${name.padEnd(12)} n=${String(r.times.length).padStart(4)}  p50 ${f1(pct(r.times, 50)).padStart(6)} ms  p99 ${f1(pct(r.times, 99)).padStart(7)} ms  max ${f1(r.times.at(-1)).padStart(7)} ms${r.errors ? `  errors ${r.errors}` : ''}`;

  // The server's own event-loop delay (prom-client's monitorEventLoopDelay histogram, reset by every scrape).
  const loopLag = async () => {
    const text = await (await fetch(`${base}/metrics`, { headers: adminH })).text();
    const get = (name) => Number(new RegExp(`^${name} ([0-9.eE+-]+)`, 'm').exec(text)?.[1]) * 1000;
    return { p99: get('nodejs_eventloop_lag_p99_seconds'), max: get('nodejs_eventloop_lag_max_seconds') };
  };
  const expected = PRODUCTS * DAYS * STAYS;
  const rssBefore = procStatus(child.pid, 'VmRSS');
  log(`\nserver RSS before the first load: ${rssBefore} MB (pid ${child.pid})`);
  log(`dataset: ${PRODUCTS} products × ${DAYS} arrivals × ${STAYS} stays = ${expected.toLocaleString('en')} rows${PARALLEL > 1 ? ` × ${PARALLEL} channels at once` : ''}${SCALARS_LAST ? ', scalars after products' : ''}`);
  const FEED_AB = flag('feed-ab');
  const feedTimes = { off: [], on: [] };
  for (let n = 1; n <= LOADS; n++) {
    const key = `k${n}`;
    const feed = !FEED_AB || n % 2 === 0 ? 'on' : 'off';
    if (FEED_AB) {
      for (const t of ['trg_changes_los_insert', 'trg_changes_los_update', 'trg_changes_los_delete']) {
        await sql.query(`ALTER TABLE los_days ${feed === 'on' ? 'ENABLE' : 'DISABLE'} TRIGGER ${t}`);
      }
    }
    let bytes = 0;
    for (let c = 0; c < PARALLEL; c++) {
      const body = makeDataset(key, channelOf(c), n * 5);
      bytes = body.length;
      datasets.set(`${channelOf(c)}|${key}`, body);
    }
    handlerLines.length = 0;
    const pgPids = async () => (await sql.query(`SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()`)).rows.map((r) => r.pid);
    const pgBefore = new Map((await pgPids()).map((pid) => [pid, cpuSeconds(pid)]));
    const serverCpuBefore = cpuSeconds(child.pid);
    let rssMax = 0;
    const rssTimer = setInterval(() => { rssMax = Math.max(rssMax, procStatus(child.pid, 'VmRSS')); }, 50);
    const stopLos = sampler((i) => `/los?${shapes[i % shapes.length]()}&limit=100`, readH);
    const stopHealth = sampler('/health', {});
    await loopLag();
    await sleep(200);
    const t = performance.now();
    const ids = [];
    for (let c = 0; c < PARALLEL; c++) ids.push(await webhook({ eventType: 'PriceAvailability.los.created', eventData: { organizationReference: ORG, resortReference: RESORT, channelReference: channelOf(c), key } }));
    const results = [];
    for (const id of ids) results.push({ ...(await settle(id)), ms: performance.now() - t });
    const took = performance.now() - t;
    const serverCpu = cpuSeconds(child.pid) - serverCpuBefore;
    const lag = await loopLag();
    let pgCpu = 0;
    for (const pid of await pgPids()) pgCpu += cpuSeconds(pid) - (pgBefore.get(pid) ?? 0);
    await sleep(200);
    const losLat = await stopLos();
    const healthLat = await stopHealth();
    clearInterval(rssTimer);
    const hwm = procStatus(child.pid, 'VmHWM');
    const bad = results.filter((r) => r.status !== 'done');
    if (bad.length) throw new Error(`load ${n}: ${bad.map((r) => `${r.status} ${r.last_error}`).join('; ')}`);
    const { rows: [{ count, keys }] } = await sql.query(`SELECT count(*)::int AS count, array_agg(DISTINCT dataset_key) AS keys FROM los_rows WHERE location_id = $1 AND channel = 'dc_load'`, [LOCATION]);
    if (count !== expected || keys.length !== 1 || keys[0] !== key) throw new Error(`load ${n}: expected ${expected} rows of ${key}, found ${count} of ${keys}`);
    if (!resourceIds.length) resourceIds = (await sql.query(`SELECT id FROM resources WHERE location_id = $1 ORDER BY id`, [LOCATION])).rows.map((r) => r.id);
    feedTimes[feed].push(took);
    log(`\nload ${n} (${n === 1 ? 'into an empty channel' : `replacing k${n - 1}`}${FEED_AB ? `, change-feed triggers ${feed}` : ''}): ${(bytes / 1048576).toFixed(1)} MB JSON`);
    log(`  202 → done ${(took / 1000).toFixed(2)} s${PARALLEL > 1 ? ` (each: ${results.map((r) => (r.ms / 1000).toFixed(1)).join(', ')} s)` : ''}; handler ${handlerLines.map((l) => `${(l.ms / 1000).toFixed(2)} s${l.dbWaitMs !== undefined ? ` (${(l.dbWaitMs / 1000).toFixed(1)} s of it waiting for PostgreSQL to take the next chunk)` : ''}`).join(', ')} for ${handlerLines.map((l) => l.rows).join(', ')} rows`);
    log(`  CPU during the load: server ${serverCpu.toFixed(1)} s, PostgreSQL ${pgCpu.toFixed(1)} s (all its processes; the read samples' queries too); load average ${os.loadavg()[0].toFixed(1)}`);
    log(`  server peak RSS: ${rssMax} MB sampled during the load, VmHWM ${hwm} MB (before the first load ${rssBefore} MB)`);
    log(`  during the load: ${summary('GET /los', losLat)}`);
    log(`                   ${summary('GET /health', healthLat)}`);
    log(`  server event-loop delay during the load: p99 ${f1(lag.p99)} ms, max ${f1(lag.max)} ms`);
    for (let c = 0; c < PARALLEL; c++) datasets.delete(`${channelOf(c)}|${key}`);
  }

  if (FEED_AB && feedTimes.off.length && feedTimes.on.length) {
    const mean = (xs) => xs.reduce((a, x) => a + x, 0) / xs.length;
    const [off, on] = [mean(feedTimes.off), mean(feedTimes.on)];
    const { rows: [{ n: items }] } = await sql.query(`SELECT count(*)::int AS n FROM changes WHERE type = 'los'`);
    log(`\nchange feed cost: mean 202 → done ${(off / 1000).toFixed(2)} s without the LOS triggers (${feedTimes.off.length} loads), ${(on / 1000).toFixed(2)} s with them (${feedTimes.on.length}): ×${(on / off).toFixed(3)} (goal ≤ 1.05); ${items} LOS items recorded in all`);
  }

  // ---- GET /los on the loaded rows, quiet ----
  await sql.query('ANALYZE los_days');
  for (let i = 0; i < 20; i++) await (await fetch(`${base}/los?${shapes[i % shapes.length]()}`, { headers: readH })).arrayBuffer();
  const timings = [];
  const byShape = shapes.map(() => []);
  for (let i = 0; i < REQUESTS; i++) {
    const s = i % shapes.length;
    const qs = shapes[s]();
    const t = performance.now();
    const res = await fetch(`${base}/los?${qs}&limit=100`, { headers: readH });
    const body = await res.json();
    const took = performance.now() - t;
    if (res.status !== 200) throw new Error(`GET /los?${qs} → ${res.status} ${JSON.stringify(body)}`);
    timings.push(took);
    byShape[s].push(took);
  }
  timings.sort((a, b) => a - b);
  log(`\nGET /los after the loads, ${REQUESTS} random filtered requests one at a time over ${expected.toLocaleString('en')} rows:`);
  log(`  all      p50 ${f1(pct(timings, 50))} ms  p99 ${f1(pct(timings, 99))} ms  max ${f1(timings.at(-1))} ms`);
  const names = ['location+channel+window+stay+minUnits', 'resource+channel+month', 'location+one date+minUnits', 'location only'];
  byShape.forEach((t, i) => {
    t.sort((a, b) => a - b);
    log(`  ${names[i].padEnd(38)} p50 ${f1(pct(t, 50))} ms  p99 ${f1(pct(t, 99))} ms`);
  });

  const WRITER_ROUNDS = arg('writers', 0);
  if (WRITER_ROUNDS > 0) {
    // ---- COPY vs INSERT: the same 1M rows through LosRepository's writer, replacing each other ----
    const { LosRepository } = require(join(DIST, 'src/inventory/los.repository.js'));
    const { buildDataSourceOptions } = require(join(DIST, 'src/database/data-source.options.js'));
    const { DataSource } = require('typeorm');
    const ds = new DataSource(buildDataSourceOptions(db.url, 2));
    await ds.initialize();
    const repo = new LosRepository(ds);
    const { rows: [{ connection_id: connectionId }] } = await sql.query(`SELECT connection_id FROM location_mappings WHERE location_id = $1`, [LOCATION]);
    const products = resourceIds.map((resourceId, p) => {
      const r = { resourceId, arrivalDates: [], lengthsOfStay: [], units: [], prices: [] };
      for (let d = 0; d < DAYS; d++) for (let los = 1; los <= STAYS; los++) {
        r.arrivalDates.push(dateAt(d)); r.lengthsOfStay.push(los); r.units.push((p + d + los) % 12); r.prices.push(Math.round((60 + los * 55 + (d % 30)) * 100) / 100);
      }
      return r;
    });
    log(`\nwriters: ${(products.length * DAYS * STAYS).toLocaleString('en')} rows replacing the same rows, one transaction each (channel dc_writers)`);
    const modes = [];
    for (let i = 0; i < WRITER_ROUNDS; i++) modes.push('copy', 'insert');
    for (const [i, mode] of [['warm-up', 'copy'], ...modes.map((m, j) => [j, m])]) {
      const t = performance.now();
      const cpu = process.cpuUsage();
      let backend = 0;
      let rows = 0;
      await ds.transaction(async (m) => {
        const [{ pid }] = await m.query('SELECT pg_backend_pid() AS pid');
        const before = cpuSeconds(pid);
        const w = await repo.openDataset(m, { locationId: LOCATION, channel: 'dc_writers', connectionId, datasetKey: `w${i}`, currency: 'EUR' }, mode);
        for (const p of products) await w.add(p);
        rows = await w.finish();
        backend = cpuSeconds(pid) - before;
      });
      const c = process.cpuUsage(cpu);
      if (i !== 'warm-up') log(`  ${mode.padEnd(6)} ${((performance.now() - t) / 1000).toFixed(2)} s (commit included), node ${((c.user + c.system) / 1e6).toFixed(1)} s CPU, backend ${backend.toFixed(1)} s CPU, ${rows.toLocaleString('en')} rows`);
    }
    await ds.destroy();
  }

  if (!flag('no-plans')) {
    // ---- plans: the SQL GET /los runs (a copy of InventoryQueryRepository.listLos, parameters as it binds them) ----
    const select = `SELECT resource_id, channel, to_char(arrival_date, 'YYYY-MM-DD') AS arrival_day, length_of_stay, units_available, price, currency, updated_at FROM los_rows`;
    const byArrival = (n) => `ORDER BY arrival_date, resource_id, channel, length_of_stay LIMIT $${n}`;
    const byResource = (n) => `ORDER BY resource_id, channel, arrival_date, length_of_stay LIMIT $${n}`;
    const plans = [
      ['location + channel + window + stay + minUnits', `${select} WHERE location_id = $1 AND channel = $2 AND arrival_date >= $3::date AND arrival_date <= $4::date AND length_of_stay = $5::smallint AND units_available >= $6::int ${byArrival(7)}`, [LOCATION, 'dc_load', dateAt(100), dateAt(113), Math.min(7, STAYS), 1, 101]],
      ['resource + channel + month', `${select} WHERE resource_id = $1 AND channel = $2 AND arrival_date >= $3::date AND arrival_date <= $4::date ${byResource(5)}`, [resourceIds[Math.min(42, resourceIds.length - 1)], 'dc_load', dateAt(100), dateAt(130), 101]],
      ['location only', `${select} WHERE location_id = $1 ${byArrival(2)}`, [LOCATION, 101]],
    ];
    for (const [name, text, params] of plans) {
      const { rows } = await sql.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${text}`, params);
      log(`\nEXPLAIN ${name}:`);
      for (const r of rows) log(`  ${r['QUERY PLAN']}`);
    }
  }
} finally {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  await sql?.end().catch(() => {});
  await db?.stop().catch(() => {});
  stratech.close();
  rmSync(root, { recursive: true, force: true });
}
