// npm run bench — intake vs a bare INSERT server, end-to-end delay, drain rate, claim cost vs backlog,
// processing with a provider fetch vs a bare pg loop, read API latency, peak RSS.
// Everything runs on this machine: embedded PostgreSQL in a temp dir, servers on 127.0.0.1, autocannon here.
//
// Smaller runs (all optional; `--quick` = 1/10 scale where a size is not given):
//   BENCH_SECTIONS=intake,e2e,claims,processing,read   which parts run (intake includes the drain)
//   BENCH_DURATION=10                                  seconds per intake round and of the steady 500/s run
//   BENCH_CLAIM_BACKLOGS=100,10000,100000  BENCH_CLAIM_HOT=10000  BENCH_CLAIM_HOT_OTHERS=100
//   BENCH_CLAIM_SAMPLES=300  BENCH_CLAIM_MAX_SECONDS=15                  (claim cost: samples, and seconds, per row at most)
//   BENCH_CLAIM_HISTORY=100000                                           (done events kept in inbound_events meanwhile)
//   BENCH_EVENTS=5000  BENCH_ITEMS=500  BENCH_ROUNDS=2  BENCH_CONCURRENCY=8   (processing with a provider fetch)
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { benchClaimCost } from './bench/claim-cost.mjs';
import { dropBareTables, runAppProcessing, runBareProcessing, startProviderFake } from './bench/processing.mjs';

const require = createRequire(import.meta.url);
const { startEmbeddedDatabase } = require('../dist/src/database/embedded-database.js');
const QUICK = process.argv.includes('--quick');
const env = process.env;
const int = (name, dflt) => (env[name] ? Number(env[name]) : dflt);
const ints = (name, dflt) => (env[name] ? env[name].split(',').filter(Boolean).map(Number) : dflt);
const SECTIONS = new Set((env.BENCH_SECTIONS ?? 'intake,e2e,claims,processing,read').split(',').map((x) => x.trim()));
for (const x of SECTIONS) if (!['intake', 'e2e', 'claims', 'processing', 'read'].includes(x)) throw new Error(`BENCH_SECTIONS: unknown part ${x}`);
const DURATION = int('BENCH_DURATION', QUICK ? 5 : 10);
const CLAIMS = {
  backlogs: ints('BENCH_CLAIM_BACKLOGS', QUICK ? [100, 1000, 10000] : [100, 10000, 100000]),
  hot: int('BENCH_CLAIM_HOT', QUICK ? 1000 : 10000),
  hotOthers: int('BENCH_CLAIM_HOT_OTHERS', 100),
  samples: int('BENCH_CLAIM_SAMPLES', QUICK ? 100 : 300),
  maxSeconds: int('BENCH_CLAIM_MAX_SECONDS', QUICK ? 6 : 15),
  history: int('BENCH_CLAIM_HISTORY', QUICK ? 10000 : 100000),
};
const PROC = {
  events: int('BENCH_EVENTS', QUICK ? 1000 : 5000),
  items: int('BENCH_ITEMS', QUICK ? 100 : 500),
  rounds: int('BENCH_ROUNDS', QUICK ? 1 : 2),
  concurrency: int('BENCH_CONCURRENCY', 8),
};
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
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
const children = new Set();
// A run that fails half way leaves no server behind.
process.on('exit', () => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL'); });
function startApp(extraEnv = {}) {
  const p = ++port;
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      ...process.env, DATABASE_URL: db.url, PORT: String(p), LOG_LEVEL: 'warn',
      ADMIN_TOKEN, ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
      STRATECH_CLIENT_ID: 'bench', STRATECH_CLIENT_SECRET: 'bench', STRATECH_WEBHOOK_SECRET: SECRET,
      STRATECH_API_URL: 'http://127.0.0.1:9', STRATECH_TOKEN_URL: 'http://127.0.0.1:9/{organizationReference}/token',
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
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

let rows = [], backlog = 0, drainSeconds = NaN, intakeRss = NaN, workerRss = NaN;
if (SECTIONS.has('intake')) {
  // ---- 1. intake vs bare, alternating ----
  const bare = fork('scripts/bench-bare-server.mjs', [], { env: { ...process.env, DATABASE_URL: db.url, PORT: '4299' } });
  await new Promise((r) => bare.once('message', r));
  const intakeOnly = startApp({ WORKER: 'off' });
  await waitHealthy(intakeOnly.url);
  for (const round of [1, 2]) {
    for (const [name, url] of [['bare node:http + INSERT', 'http://127.0.0.1:4299/'], ['inventory-sync intake', `${intakeOnly.url}/webhooks/stratech/${SECRET}`]]) {
      log(`round ${round}: ${name}`);
      const r = await cannon(postOpts(url));
      rows.push({ name, round, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors });
    }
  }
  intakeRss = peakRssMb(intakeOnly.child.pid);
  await stop(intakeOnly.child);
  bare.kill('SIGTERM');

  // ---- 2. drain: the backlog left by intake, worked off by a fresh worker process ----
  backlog = (await admin.query(`SELECT count(*)::int AS n FROM inbound_events WHERE status = 'pending'`)).rows[0].n;
  log(`draining ${backlog} events`);
  const worker = startApp({ INTAKE: 'off' });
  const drainStart = Date.now();
  await waitHealthy(worker.url);
  let left = backlog;
  while (left > 0) {
    await sleep(200);
    left = (await admin.query(`SELECT count(*)::int AS n FROM inbound_events WHERE status IN ('pending', 'processing')`)).rows[0].n;
  }
  drainSeconds = (Date.now() - drainStart) / 1000;
  workerRss = peakRssMb(worker.child.pid);
  await stop(worker.child);
} else {
  // The schema comes from the server's migrations at start.
  const migrate = startApp({ WORKER: 'off' });
  await waitHealthy(migrate.url);
  await stop(migrate.child);
}

let delays = [], unfinished = NaN, steady = null, bothRss = NaN;
if (SECTIONS.has('e2e')) {
  // ---- 3. end-to-end delay at a steady 500 events/s, intake and worker in one process ----
  const both = startApp();
  await waitHealthy(both.url);
  const marker = new Date();
  log('steady 500 events/s');
  steady = await cannon({ ...postOpts(`${both.url}/webhooks/stratech/${SECRET}`), overallRate: 500, connections: 10 });
  await sleep(2000);
  delays = (await admin.query(
    `SELECT EXTRACT(EPOCH FROM processed_at - received_at) * 1000 AS ms FROM inbound_events WHERE received_at >= $1 AND processed_at IS NOT NULL ORDER BY 1`, [marker])).rows.map((r) => Number(r.ms));
  unfinished = (await admin.query(`SELECT count(*)::int AS n FROM inbound_events WHERE received_at >= $1 AND processed_at IS NULL`, [marker])).rows[0].n;
  bothRss = peakRssMb(both.child.pid);
  await stop(both.child);
}

let claimResults = [];
if (SECTIONS.has('claims')) {
  // ---- 4. claim cost vs backlog: isq_claim with 100 … 100,000 waiting, and a long queue behind one item ----
  claimResults = await benchClaimCost(db.url, { ...CLAIMS, log });
}

let procResults = [], fakeStats = null;
if (SECTIONS.has('processing')) {
  // ---- 5. processing with a provider fetch: the real worker + Syncaroo handler vs a bare pg loop, alternating ----
  const fake = await startProviderFake();
  const setup = { externalId: 9001, locationId: 'bench-loc-1', syncLoc: '61116b1ad9fa63170734b694', connectionId: null };
  const deps = { startApp, waitHealthy, stop, peakRssMb, adminToken: ADMIN_TOKEN };
  for (let round = 1; round <= PROC.rounds; round++) {
    procResults.push(await runBareProcessing(db.url, fake, { ...PROC, round, setup, log }));
    procResults.push(await runAppProcessing(db.url, fake, deps, { ...PROC, round, webhookSecret: SECRET, setup, log }));
  }
  fakeStats = await fake.stats();
  await fake.stop();
  await dropBareTables(db.url);
}

const SCALE = QUICK ? 10 : 1;
const reads = [];
let readerRss = NaN;
if (SECTIONS.has('read')) {
  // ---- 6. read API on 100k resources, 1M bookings, 1M LOS rows ----
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
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
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
  readerRss = peakRssMb(reader.child.pid);
  await stop(reader.child);
}
await admin.end();
await db.stop();
rmSync(root, { recursive: true, force: true });

// ---- report ----
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const int0 = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
console.log(`\ninventory-sync bench — ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${QUICK ? 'quick' : 'full'} run, sections ${[...SECTIONS].join(',')}\n`);
if (SECTIONS.has('intake')) {
  const avg = (name) => { const rs = rows.filter((r) => r.name === name); return rs.reduce((a, r) => a + r.rps, 0) / rs.length; };
  const bareRps = avg('bare node:http + INSERT');
  const appRps = avg('inventory-sync intake');
  console.log('Intake (20 connections, unique bodies, alternating):');
  console.log('| server | round | req/s | p50 ms | p99 ms | non-2xx |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${r.round} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.non2xx + r.errors} |`);
  console.log(`\nintake / bare = ${(appRps / bareRps).toFixed(2)} (target ≥ 0.5, stretch 0.7)`);
}
if (SECTIONS.has('e2e')) {
  console.log(`\nEnd-to-end (2xx → done) at a steady 500 events/s for ${DURATION} s: ${delays.length} events, p50 ${fmt(pct(delays, 50), 1)} ms, p99 ${fmt(pct(delays, 99), 1)} ms, unfinished ${unfinished}, sent ${steady.requests.total} (target p99 ≤ 250 ms)`);
}
if (SECTIONS.has('intake')) {
  console.log(`Drain: ${backlog} events in ${drainSeconds.toFixed(1)} s = ${Math.round(backlog / drainSeconds)} events/s, including process start (target ≥ 1,000/s)`);
}
if (SECTIONS.has('claims')) {
  console.log(`\nClaim cost vs backlog: \`isq_claim(16, 60000, 10, {1,5})\`, each claim's events then settled done (isq_settle) and as many new`);
  console.log(`ones inserted on new items, so the backlog stays as named; up to ${CLAIMS.samples} samples or ${CLAIMS.maxSeconds} s per row. Baseline in the`);
  console.log('same loop, sample by sample: a bare `UPDATE … WHERE id IN (SELECT … ORDER BY id LIMIT 16 FOR UPDATE SKIP LOCKED)` on a scratch');
  console.log('table with as many pending rows. The statistics are those of the empty queue before the backlog arrived. Session "warm": claimed');
  console.log('on that empty queue (a pooled worker connection after an idle spell, then a burst: plpgsql keeps the plans it made then);');
  console.log('"new": a new session after the burst, before ANALYZE (a worker started on a fresh backlog, as in the drain row); "analyzed": a new');
  console.log(`session after ANALYZE. inbound_events holds at least ${CLAIMS.history.toLocaleString('en-US')} done events meanwhile (history, as retention keeps).`);
  console.log('| waiting events | session | samples | isq_claim p50 ms | p99 ms | rows/claim | isq_settle p50 ms | p99 ms | first 10 claim+settle, mean ms | bare claim p50 ms | p99 ms | claim / bare p50 |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of claimResults) {
    const rowsCol = `${fmt(r.rowsPerClaim, 1)}${r.hotClaims !== null ? ` (long item in ${r.hotClaims})` : ''}`;
    const sess = `${r.session}${r.autoanalyzed ? ' (autoanalyze ran)' : ''}`;
    console.log(`| ${r.name} | ${sess} | ${r.samples} | ${fmt(r.claimP50)} | ${fmt(r.claimP99)} | ${rowsCol} | ${fmt(r.settleP50)} | ${fmt(r.settleP99)} | ${fmt(r.first10, 1)} | ${fmt(r.bareP50)} | ${fmt(r.bareP99)} | ${fmt(r.claimP50 / r.bareP50, 1)} |`);
  }
  for (const session of ['warm', 'new', 'analyzed']) {
    const rs = claimResults.filter((r) => r.session === session);
    if (rs.length < 2) continue;
    const hi = rs.reduce((a, r) => (r.claimP50 > a.claimP50 ? r : a), rs[0]);
    console.log(`${session}: isq_claim p50 of the slowest row / of the first = ${fmt(hi.claimP50 / rs[0].claimP50, 1)} (${hi.name}; goal: flat, ≈ 1)`);
  }
}
if (SECTIONS.has('processing')) {
  console.log(`\nProcessing with a provider fetch: ${PROC.events} Syncaroo \`resources\` events over ${PROC.items} items (each fetched from a fake Syncaroo API`);
  console.log(`on 127.0.0.1 with a Bearer token, then upserted), ${PROC.concurrency} at a time; events/s from the first claim to the last done.`);
  console.log('inventory-sync: stored by a WORKER=off process first, drained by a WORKER=on INTAKE=off process. Bare: a loop in the bench process,');
  console.log('plain pg, claim one job by FOR UPDATE SKIP LOCKED → same GET → upsert into a scratch table → done (no per-item order, no tenant checks).');
  console.log('"CPU ms/event": CPU time of the process running the loop (the worker process; the bench process for bare), per event.');
  console.log('| loop | round | events | done | not done | GETs | rows | seconds | events/s | CPU ms/event |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of procResults) {
    console.log(`| ${r.name} | ${r.round} | ${r.events} | ${r.done} | ${r.other}${r.why ? ` (${r.why.slice(0, 120)})` : ''} | ${r.gets} | ${r.resources} | ${fmt(r.seconds)} | ${int0(r.eps)} | ${fmt((r.cpu * 1000) / r.done, 2)} |`);
  }
  const avgEps = (prefix) => { const rs = procResults.filter((r) => r.name.startsWith(prefix)); return rs.reduce((a, r) => a + r.eps, 0) / rs.length; };
  const appEps = avgEps('inventory-sync'), bareEps = avgEps('bare');
  const rss = procResults.filter((r) => r.rss !== null).map((r) => r.rss);
  console.log(`\ninventory-sync / bare = ${fmt(appEps / bareEps)} (${int0(appEps)} vs ${int0(bareEps)} events/s, mean of ${PROC.rounds} round${PROC.rounds > 1 ? 's' : ''}; goal ratio ≥ 0.7 and ≥ 1,000 events/s);`
    + ` fake answered ${fakeStats.gets} GETs, ${fakeStats.tokens} tokens, ${fakeStats.unauthorized} 401s; worker peak RSS ${Math.max(...rss)} MB`);
}
if (SECTIONS.has('read')) {
  console.log(`\nRead API (${100000 / SCALE} resources, ${1000000 / SCALE} bookings, ${1000000 / SCALE} LOS rows; 10 connections):`);
  console.log('| route | req/s | p50 ms | p99 ms | non-2xx |');
  console.log('|---|---|---|---|---|');
  for (const r of reads) console.log(`| ${r.name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.non2xx} |`);
}
const mb = (x) => (Number.isFinite(x) ? `${x} MB` : 'not run');
console.log(`\nPeak RSS (VmHWM): intake ${mb(intakeRss)}, worker ${mb(workerRss)}, intake+worker ${mb(bothRss)}, reader ${mb(readerRss)} (target ≤ 300 MB)`);
