// npm run bench — intake vs a bare INSERT server, end-to-end delay, drain rate, read API latency, peak RSS.
// Everything runs on this machine: embedded PostgreSQL in a temp dir, servers on 127.0.0.1, autocannon here.
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';

const require = createRequire(import.meta.url);
const { startEmbeddedDatabase } = require('../dist/src/database/embedded-database.js');
const QUICK = process.argv.includes('--quick');
const DURATION = QUICK ? 5 : 10;
const SECRET = 'bench-webhook-secret';
const root = mkdtempSync(join(os.tmpdir(), 'inventory-bench-'));
const { chmodSync } = await import('node:fs');
chmodSync(root, 0o711);

const log = (...a) => console.error('[bench]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, p) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;

log('starting embedded PostgreSQL');
const db = await startEmbeddedDatabase(root, 'bench', () => {}, 'bench');
const admin = new pg.Client({ connectionString: db.url });
await admin.connect();

let port = 4300;
function startApp(extraEnv = {}) {
  const p = ++port;
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      ...process.env, DATABASE_URL: db.url, PORT: String(p), LOG_LEVEL: 'warn',
      ADMIN_TOKEN: 'bench-admin-token-0123456789', ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
      STRATECH_CLIENT_ID: 'bench', STRATECH_CLIENT_SECRET: 'bench', STRATECH_WEBHOOK_SECRET: SECRET,
      STRATECH_API_URL: 'http://127.0.0.1:9', STRATECH_TOKEN_URL: 'http://127.0.0.1:9/{organizationReference}/token',
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { child, url: `http://127.0.0.1:${p}` };
}
async function waitHealthy(url) {
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${url}/health`)).ok) return; } catch {}
    await sleep(100);
  }
  throw new Error(`${url} did not become healthy`);
}
function peakRssMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}
async function stop(child) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}
function cannon(opts) {
  return new Promise((resolve, reject) => autocannon(opts, (err, res) => (err ? reject(err) : resolve(res))));
}
const body = JSON.stringify({ eventType: 'Bench.noop', eventData: { organizationReference: 'org_bench', n: '[<id>]' } });
const postOpts = (url) => ({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, idReplacement: true, connections: 20, duration: DURATION });

// ---- 1. intake vs bare, alternating ----
const bare = fork('scripts/bench-bare-server.mjs', [], { env: { ...process.env, DATABASE_URL: db.url, PORT: '4299' } });
await new Promise((r) => bare.once('message', r));
const intakeOnly = startApp({ WORKER: 'off' });
await waitHealthy(intakeOnly.url);
const rows = [];
for (const round of [1, 2]) {
  for (const [name, url] of [['bare node:http + INSERT', 'http://127.0.0.1:4299/'], ['inventory-sync intake', `${intakeOnly.url}/webhooks/stratech/${SECRET}`]]) {
    log(`round ${round}: ${name}`);
    const r = await cannon(postOpts(url));
    rows.push({ name, round, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors });
  }
}
const intakeRss = peakRssMb(intakeOnly.child.pid);
await stop(intakeOnly.child);
bare.kill('SIGTERM');

// ---- 2. drain: the backlog left by intake, worked off by a fresh worker process ----
const [{ n: backlog }] = (await admin.query(`SELECT count(*)::int AS n FROM inbound_events WHERE status = 'pending'`)).rows;
log(`draining ${backlog} events`);
const worker = startApp({ INTAKE: 'off' });
const drainStart = Date.now();
await waitHealthy(worker.url);
let left = backlog;
while (left > 0) {
  await sleep(200);
  left = (await admin.query(`SELECT count(*)::int AS n FROM inbound_events WHERE status IN ('pending', 'processing')`)).rows[0].n;
}
const drainSeconds = (Date.now() - drainStart) / 1000;
const workerRss = peakRssMb(worker.child.pid);
await stop(worker.child);

// ---- 3. end-to-end delay at a steady 500 events/s, intake and worker in one process ----
const both = startApp();
await waitHealthy(both.url);
const marker = new Date();
log('steady 500 events/s');
const steady = await cannon({ ...postOpts(`${both.url}/webhooks/stratech/${SECRET}`), overallRate: 500, connections: 10 });
await sleep(2000);
const delays = (await admin.query(
  `SELECT EXTRACT(EPOCH FROM processed_at - received_at) * 1000 AS ms FROM inbound_events WHERE received_at >= $1 AND processed_at IS NOT NULL ORDER BY 1`, [marker])).rows.map((r) => Number(r.ms));
const [{ n: unfinished }] = (await admin.query(`SELECT count(*)::int AS n FROM inbound_events WHERE received_at >= $1 AND processed_at IS NULL`, [marker])).rows;
const bothRss = peakRssMb(both.child.pid);
await stop(both.child);

// ---- 4. read API on 100k resources, 1M bookings, 1M LOS rows ----
const SCALE = QUICK ? 10 : 1;
log(`seeding read data (${100000 / SCALE} resources, ${1000000 / SCALE} bookings, ${1000000 / SCALE} LOS rows)`);
await admin.query(`INSERT INTO connections (id, provider, external_id, status) VALUES ('00000000-0000-4000-8000-000000000001', 'syncaroo', '1', 'active') ON CONFLICT DO NOTHING`);
await admin.query(`INSERT INTO locations (id, name, provider, connection_id) SELECT 'L' || g, 'Location ' || g, 'syncaroo', '00000000-0000-4000-8000-000000000001' FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING`);
await admin.query(`INSERT INTO resources (id, location_id, connection_id, type, name, capacity, status, provider, external_id, attributes, updated_at)
  SELECT 'R' || g, 'L' || (g % 1000 + 1), '00000000-0000-4000-8000-000000000001', (ARRAY['meeting-room','hot-desk','office'])[g % 3 + 1], 'Room ' || g, g % 20, 'active', 'syncaroo', 'x' || g, '{}', now() - (g || ' seconds')::interval
  FROM generate_series(1, $1::int) g ON CONFLICT DO NOTHING`, [100000 / SCALE]);
await admin.query(`INSERT INTO bookings (resource_id, connection_id, provider, external_id, starts_at, ends_at, status)
  SELECT 'R' || (g % $2::int + 1), '00000000-0000-4000-8000-000000000001', 'syncaroo', 'b' || g, timestamptz '2026-01-01' + (g % 8760 || ' hours')::interval, timestamptz '2026-01-01' + (g % 8760 + 1 || ' hours')::interval, 'confirmed'
  FROM generate_series(1, $1::int) g ON CONFLICT DO NOTHING`, [1000000 / SCALE, 100000 / SCALE]);
await admin.query(`INSERT INTO los_rows (resource_id, channel, arrival_date, length_of_stay, location_id, connection_id, units_available, price, currency, dataset_key)
  SELECT 'R' || (g / 5000 + 1), 'ch1', date '2026-01-01' + (g / 14 % 365), g % 14 + 1, 'L' || ((g / 5000 + 1) % 1000 + 1), '00000000-0000-4000-8000-000000000001', g % 7, 100 + g % 50, 'EUR', 'k'
  FROM generate_series(0, $1::int - 1) g ON CONFLICT DO NOTHING`, [1000000 / SCALE]);
await admin.query('ANALYZE');
const reader = startApp({ WORKER: 'off' });
await waitHealthy(reader.url);
const auth = { authorization: 'Bearer bench-admin-token-0123456789' };
const reads = [];
for (const [name, path] of [
  ['GET /resources?locationId', '/resources?locationId=L500&limit=100'],
  ['GET /resources/{id}/bookings', '/resources/R777/bookings?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z'],
  ['GET /los?resourceId&arrival range', '/los?resourceId=R50&channel=ch1&arrivalFrom=2026-02-01&arrivalTo=2026-02-14&minUnits=1'],
  ['GET /los?locationId&lengthOfStay', '/los?locationId=L51&arrivalFrom=2026-05-01&arrivalTo=2026-05-31&lengthOfStay=7'],
]) {
  log(name);
  const r = await cannon({ url: `${reader.url}${path}`, headers: auth, connections: 10, duration: QUICK ? 3 : 5 });
  reads.push({ name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx });
}
const readerRss = peakRssMb(reader.child.pid);
await stop(reader.child);
await admin.end();
await db.stop();
rmSync(root, { recursive: true, force: true });

// ---- report ----
const avg = (name) => { const rs = rows.filter((r) => r.name === name); return rs.reduce((a, r) => a + r.rps, 0) / rs.length; };
const bareRps = avg('bare node:http + INSERT');
const appRps = avg('inventory-sync intake');
console.log(`\ninventory-sync bench — ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${QUICK ? 'quick' : 'full'} run\n`);
console.log('Intake (20 connections, unique bodies, alternating):');
console.log('| server | round | req/s | p50 ms | p99 ms | non-2xx |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.name} | ${r.round} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.non2xx + r.errors} |`);
console.log(`\nintake / bare = ${(appRps / bareRps).toFixed(2)} (target ≥ 0.5, stretch 0.7)`);
console.log(`\nEnd-to-end (2xx → done) at a steady 500 events/s for ${DURATION} s: ${delays.length} events, p50 ${pct(delays, 50).toFixed(1)} ms, p99 ${pct(delays, 99).toFixed(1)} ms, unfinished ${unfinished}, sent ${steady.requests.total} (target p99 ≤ 250 ms)`);
console.log(`Drain: ${backlog} events in ${drainSeconds.toFixed(1)} s = ${Math.round(backlog / drainSeconds)} events/s, including process start (target ≥ 1,000/s)`);
console.log(`\nRead API (${100000 / SCALE} resources, ${1000000 / SCALE} bookings, ${1000000 / SCALE} LOS rows; 10 connections):`);
console.log('| route | req/s | p50 ms | p99 ms | non-2xx |');
console.log('|---|---|---|---|---|');
for (const r of reads) console.log(`| ${r.name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.non2xx} |`);
console.log(`\nPeak RSS (VmHWM): intake ${intakeRss} MB, worker ${workerRss} MB, intake+worker ${bothRss} MB, reader ${readerRss} MB (target ≤ 300 MB)`);
