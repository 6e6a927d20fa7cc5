// npm run bench — intake vs a bare INSERT server, end-to-end delay, drain rate, claim cost vs backlog,
// processing with a provider fetch vs a bare pg loop, read API latency, peak RSS.
// Everything runs on this machine: embedded PostgreSQL in a temp dir, servers on 127.0.0.1, autocannon here.
//
// Smaller runs (all optional; `--quick` = 1/10 scale where a size is not given):
//   BENCH_SECTIONS=intake,e2e,claims,processing,read,changes,dataset   which parts run (intake includes the drain)
//   BENCH_FEED_RATE=500  BENCH_FEED_READ=100000  BENCH_FEED_DELIVER=20000   (change feed: changes/s, feed read, delivery)
//   BENCH_DURATION=10                                  seconds per intake round and of the steady 500/s run
//   BENCH_CLAIM_BACKLOGS=100,10000,100000  BENCH_CLAIM_HOT=10000  BENCH_CLAIM_HOT_OTHERS=100
//   BENCH_CLAIM_SAMPLES=300  BENCH_CLAIM_MAX_SECONDS=15                  (claim cost: samples, and seconds, per row at most)
//   BENCH_CLAIM_HISTORY=100000  BENCH_HOT_HISTORY=100000               (done events kept meanwhile; beyond the second, in the archive)
//   BENCH_HISTORY_FIRST=1                      (that history is added before intake, e2e and drain run too, not only for the claims)
//   BENCH_EVENTS=5000  BENCH_ITEMS=500  BENCH_ROUNDS=2  BENCH_CONCURRENCY=8   (processing with a provider fetch)
//   BENCH_PROC_FEED_AB=1                                                 (processing also with the change-feed triggers off)
//   BENCH_PGSS=1                                                         (processing: each loop's statements, pg_stat_statements)
//   BENCH_PG_SETTINGS="checkpoint_timeout=1h work_mem=8MB"               (more settings of the embedded server)
//   BENCH_PG_LOG=/tmp/pg.log                                             (its log lines, e.g. with BENCH_PG_SETTINGS="shared_preload_libraries=auto_explain
//                                                                         auto_explain.log_min_duration=2 auto_explain.log_nested_statements=on auto_explain.log_analyze=on")
//   BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"                (node options of every server process it starts)
import { fork, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { ACCOUNTS, cannonTimed, cpuDelta, cpuSnapshot, createKey, keyVerificationCost, ownerOf, revocationDelay, seedReadData } from './bench/account-reads.mjs';
import { benchChangeFeed, reportChangeFeed } from './bench/changes-feed.mjs';
import { benchClaimCost, ensureHistory } from './bench/claim-cost.mjs';
import { benchDatasetLoad, reportDatasetLoad } from './bench/dataset-load.mjs';
import { dropBareTables, runAppProcessing, runBareProcessing, startProviderFake } from './bench/processing.mjs';

const require = createRequire(import.meta.url);
const { startEmbeddedDatabase } = require('../dist/src/database/embedded-database.js');
const QUICK = process.argv.includes('--quick');
const env = process.env;
const int = (name, dflt) => (env[name] ? Number(env[name]) : dflt);
const ints = (name, dflt) => (env[name] ? env[name].split(',').filter(Boolean).map(Number) : dflt);
const SECTIONS = new Set((env.BENCH_SECTIONS ?? 'intake,e2e,claims,processing,read,changes,dataset').split(',').map((x) => x.trim()));
for (const x of SECTIONS) if (!['intake', 'e2e', 'claims', 'processing', 'read', 'changes', 'dataset'].includes(x)) throw new Error(`BENCH_SECTIONS: unknown part ${x}`);
const DURATION = int('BENCH_DURATION', QUICK ? 5 : 10);
const CLAIMS = {
  backlogs: ints('BENCH_CLAIM_BACKLOGS', QUICK ? [100, 1000, 10000] : [100, 10000, 100000]),
  hot: int('BENCH_CLAIM_HOT', QUICK ? 1000 : 10000),
  hotOthers: int('BENCH_CLAIM_HOT_OTHERS', 100),
  samples: int('BENCH_CLAIM_SAMPLES', QUICK ? 100 : 300),
  maxSeconds: int('BENCH_CLAIM_MAX_SECONDS', QUICK ? 6 : 15),
  history: int('BENCH_CLAIM_HISTORY', QUICK ? 10000 : 100000),
  hotHistory: int('BENCH_HOT_HISTORY', 100000),
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
const db = await startEmbeddedDatabase(root, 'bench', () => {}, 'bench', [
  ...(env.BENCH_PGSS === '1' ? ['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track=all'] : []),
  ...(env.BENCH_PG_SETTINGS ?? '').split(' ').filter(Boolean),
], env.BENCH_PG_LOG ? (line) => appendFileSync(env.BENCH_PG_LOG, `${line}\n`) : undefined);
const admin = new pg.Client({ connectionString: db.url });
await admin.connect();

let port = 4300;
const children = new Set();
// A run that fails half way leaves no server behind.
process.on('exit', () => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL'); });
function startApp(extraEnv = {}) {
  const p = ++port;
  const child = spawn(process.execPath, [...(env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), 'dist/src/main.js'], {
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
if (env.BENCH_HISTORY_FIRST === '1') {
  // The schema comes from the app's own migrations: one start on the empty database, then the history.
  const migrator = startApp({ WORKER: 'off' });
  await waitHealthy(migrator.url);
  await stop(migrator.child);
  await ensureHistory(admin, CLAIMS.history, log, CLAIMS.hotHistory);
}

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

let procResults = [], procStatements = [], fakeStats = null;
if (SECTIONS.has('processing')) {
  // ---- 5. processing with a provider fetch: the real worker + Syncaroo handler vs a bare pg loop, alternating ----
  const fake = await startProviderFake();
  const setup = { externalId: 9001, locationId: 'bench-loc-1', syncLoc: '61116b1ad9fa63170734b694', connectionId: null };
  const deps = { startApp, waitHealthy, stop, peakRssMb, adminToken: ADMIN_TOKEN };
  // BENCH_PROC_FEED_AB=1: each round also runs the worker with the change-feed triggers disabled (their cost).
  const feedTriggers = async (on) => {
    const { rows } = await admin.query(`SELECT tgname, tgrelid::regclass::text AS t FROM pg_trigger WHERE tgname LIKE 'trg_changes_%'`);
    for (const r of rows) await admin.query(`ALTER TABLE ${r.t} ${on ? 'ENABLE' : 'DISABLE'} TRIGGER ${r.tgname}`);
  };
  // BENCH_PGSS=1: the statements of each loop, by execution time (pg_stat_statements, nested ones too).
  // Around each loop: the server's WAL and checkpoints (a checkpoint meanwhile makes every first write of a page a
  // full-page image); BENCH_PGSS=1: its statements by execution time (pg_stat_statements, nested ones too).
  const walNow = async () => (await admin.query(
    `SELECT wal_records::float8 AS records, wal_fpi::float8 AS fpi, wal_bytes::float8 AS bytes,
            (SELECT (num_timed + num_requested)::float8 FROM pg_stat_checkpointer) AS checkpoints,
            (SELECT sum(autovacuum_count + autoanalyze_count)::float8 FROM pg_stat_user_tables) AS autovacuums,
            (SELECT json_object_agg(relname, seq_scan) FROM pg_stat_user_tables) AS seqScans FROM pg_stat_wal`)).rows[0];
  const statements = async (run) => {
    if (env.BENCH_PGSS === '1') {
      await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await admin.query('SELECT pg_stat_statements_reset()');
    }
    const walBefore = await walNow();
    const r = await run();
    const walAfter = await walNow();
    const { seqScans: scansAfter, ...after } = walAfter;
    r.wal = Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - walBefore[k]]));
    // Tables read by a sequential scan meanwhile (the bench's own polls use indexes): a plan that scans as tables grow.
    r.seqScans = Object.entries(scansAfter ?? {}).map(([t, n]) => [t, n - (walBefore.seqScans?.[t] ?? 0)]).filter(([, n]) => n > 0);
    if (env.BENCH_PGSS !== '1') return r;
    const { rows } = await admin.query(
      `SELECT calls::int, total_exec_time AS ms, toplevel, wal_bytes::float8 AS wal,
              left(regexp_replace(query, '\\s+', ' ', 'g'), 100) AS q
         FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC LIMIT 15`);
    procStatements.push({ name: r.name, round: r.round, done: r.done, rows });
    return r;
  };
  for (let round = 1; round <= PROC.rounds; round++) {
    procResults.push(await statements(() => runBareProcessing(db.url, fake, { ...PROC, round, setup, log })));
    procResults.push(await statements(() => runAppProcessing(db.url, fake, deps, { ...PROC, round, webhookSecret: SECRET, setup, log })));
    if (env.BENCH_PROC_FEED_AB === '1') {
      await feedTriggers(false);
      const r = await runAppProcessing(db.url, fake, deps, { ...PROC, round, webhookSecret: SECRET, setup, log });
      await feedTriggers(true);
      procResults.push({ ...r, name: `${r.name}, change-feed triggers off` });
    }
  }
  fakeStats = await fake.stats();
  await fake.stop();
  await dropBareTables(db.url);
}

const SCALE = QUICK ? 10 : 1;
const reads = [], keyKinds = [];
let readerRss = NaN, keyCost = [], keyCostOthers = NaN, revocation = null;
if (SECTIONS.has('read')) {
  // ---- 6. read API on 100k resources, 1M bookings, 1M LOS rows, the 1000 locations split over 100 accounts ----
  log(`seeding read data (${100000 / SCALE} resources, ${1000000 / SCALE} bookings, ${1000000 / SCALE} LOS rows, ${ACCOUNTS} accounts)`);
  await seedReadData(admin, SCALE);
  const reader = startApp({ WORKER: 'off' });
  await waitHealthy(reader.url);
  // Each route runs with ADMIN_TOKEN (every account) and with a key of the account owning what the path names;
  // the last three with an account key only (the account filter alone, no location or resource in the path).
  const routes = [
    ['GET /resources?locationId', '/resources?locationId=L500&limit=100', { location: 'L500' }],
    ['GET /resources/{id}/bookings', '/resources/R777/bookings?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z', { resource: 'R777' }],
    ['GET /los?resourceId&arrival range', '/los?resourceId=R50&channel=ch1&arrivalFrom=2026-02-01&arrivalTo=2026-02-14&minUnits=1', { resource: 'R50' }],
    ['GET /los?locationId&lengthOfStay', '/los?locationId=L51&arrivalFrom=2026-05-01&arrivalTo=2026-05-31&lengthOfStay=7', { location: 'L51' }],
    ['GET /resources (account filter alone)', '/resources?limit=100', { location: 'L500' }, 'account only'],
    ['GET /los?arrival range (account filter alone)', '/los?arrivalFrom=2026-02-01&arrivalTo=2026-02-14', { location: 'L51' }, 'account only'],
    ['GET /los (account filter alone, no other filter)', '/los?limit=100', { location: 'L51' }, 'account only'],
  ];
  const keys = new Map();
  const keyOf = async (accountId) => {
    if (!keys.has(accountId)) keys.set(accountId, await createKey(reader.url, ADMIN_TOKEN, admin, { name: `bench ${accountId}`, accountId }));
    return keys.get(accountId);
  };
  const plan = [];
  for (const [name, path, owner, only] of routes) {
    const accountId = await ownerOf(admin, owner);
    const key = await keyOf(accountId);
    if (!only) plan.push({ name, path, credential: 'ADMIN_TOKEN', token: ADMIN_TOKEN });
    plan.push({ name, path, credential: `account key (${owner.location ?? owner.resource}'s account, ${Number(accountId.slice(-12))})`, token: key.key });
  }
  // Not reported: the first seconds of a fresh process (JIT, pool connections, cold buffers) would fall on the first row only.
  for (const { path, token } of plan) await cannon({ url: `${reader.url}${path}`, headers: { authorization: `Bearer ${token}` }, connections: 10, duration: 1 });
  for (const { name, path, credential, token } of plan) {
    log(`${name} — ${credential}`);
    const before = cpuSnapshot(reader.child.pid);
    const { res: r, statuses } = await cannonTimed({ url: `${reader.url}${path}`, headers: { authorization: `Bearer ${token}` }, connections: 10, duration: QUICK ? 3 : 5 });
    const cpu = cpuDelta(before, cpuSnapshot(reader.child.pid), r.requests.total);
    reads.push({ name, credential, path, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx + r.errors, statuses, cpu });
  }
  // Key verification: the same cheap route with ADMIN_TOKEN, a global key (the same SQL: verification alone) and
  // an account key (verification + the account filter).
  const globalKey = await createKey(reader.url, ADMIN_TOKEN, admin, { name: 'bench global read' });
  const l1Key = await keyOf(await ownerOf(admin, { location: 'L1' }));
  keyKinds.push(globalKey.via, ...[...keys.values()].map((k) => k.via));
  const keyCostStart = cpuSnapshot(reader.child.pid);
  keyCost = await keyVerificationCost(reader.url, '/locations/L1', [
    { name: 'ADMIN_TOKEN', token: ADMIN_TOKEN },
    { name: 'global key (inventory:read)', token: globalKey.key },
    { name: "account key (L1's account)", token: l1Key.key },
  ], { rounds: QUICK ? 3 : 8, seconds: QUICK ? 2 : 3, log });
  keyCostOthers = cpuDelta(keyCostStart, cpuSnapshot(reader.child.pid), 1).othersPct;
  revocation = await revocationDelay(reader.url, ADMIN_TOKEN, admin, { accountId: await ownerOf(admin, { location: 'L1' }), path: '/locations/L1', log });
  readerRss = peakRssMb(reader.child.pid);
  await stop(reader.child);
}
let feed = null;
if (SECTIONS.has('changes')) {
  log('change feed');
  const app = startApp({ SUBSCRIPTIONS_ALLOW_HTTP: 'true', SUBSCRIPTIONS_ALLOW_PRIVATE: 'true' });
  await waitHealthy(app.url);
  feed = await benchChangeFeed({
    url: app.url, token: ADMIN_TOKEN, databaseUrl: db.url, seconds: DURATION, rate: int('BENCH_FEED_RATE', 500),
    readChanges: int('BENCH_FEED_READ', QUICK ? 20000 : 100000), deliverChanges: int('BENCH_FEED_DELIVER', QUICK ? 5000 : 20000),
  });
  await stop(app.child);
}
await admin.end();
await db.stop();
rmSync(root, { recursive: true, force: true });
// Last, after the bench's own database is stopped: it runs its own (and its own server process).
const dataset = SECTIONS.has('dataset') ? await benchDatasetLoad({ loads: QUICK ? 1 : 2, log }) : null;

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
  console.log(`session after ANALYZE. ${CLAIMS.history.toLocaleString('en-US')} done events are kept meanwhile (history, as retention keeps), ${Math.min(CLAIMS.history, CLAIMS.hotHistory).toLocaleString('en-US')} of them in the queue table, the rest in its archive.`);
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
  console.log('"CPU ms/event": CPU time of the process running the loop (the worker process; the bench process for bare), of PostgreSQL');
  console.log('(every server process) and of the fake provider, per event. WAL: what the server wrote per event meanwhile (for inventory-sync');
  console.log('the intake of its webhooks too); checkpoints: how many ran meanwhile (after one, the first write of each page is a full-page image); autovacuum: vacuums and analyzes of tables meanwhile.');
  console.log('| loop | round | events | done | not done | GETs | rows | seconds | events/s | loop CPU ms/event | PostgreSQL CPU ms/event | fake CPU ms/event | WAL bytes/event | full-page images/event | checkpoints | autovacuum |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of procResults) {
    console.log(`| ${r.name} | ${r.round} | ${r.events} | ${r.done} | ${r.other}${r.why ? ` (${r.why.slice(0, 120)})` : ''} | ${r.gets} | ${r.resources} | ${fmt(r.seconds)} | ${int0(r.eps)} | ${fmt((r.cpu * 1000) / r.done, 2)} | ${fmt((r.pgCpu * 1000) / r.done, 2)} | ${fmt((r.fakeCpu * 1000) / r.done, 2)} | ${int0(r.wal?.bytes / r.done)} | ${fmt(r.wal?.fpi / r.done, 2)} | ${r.wal ? r.wal.checkpoints : '–'} | ${r.wal ? r.wal.autovacuums : '–'} |`);
  }
  for (const r of procResults.filter((x) => x.seqScans?.length)) console.log(`sequential scans during "${r.name}", round ${r.round}: ${r.seqScans.map(([t, n]) => `${t} ${n}`).join(', ')}`);
  const avgEps = (prefix) => { const rs = procResults.filter((r) => r.name.startsWith(prefix) && !r.name.endsWith('triggers off')); return rs.reduce((a, r) => a + r.eps, 0) / rs.length; };
  const appEps = avgEps('inventory-sync'), bareEps = avgEps('bare');
  const rss = procResults.filter((r) => r.rss !== null).map((r) => r.rss);
  console.log(`\ninventory-sync / bare = ${fmt(appEps / bareEps)} (${int0(appEps)} vs ${int0(bareEps)} events/s, mean of ${PROC.rounds} round${PROC.rounds > 1 ? 's' : ''}; goal ratio ≥ 0.7 and ≥ 1,000 events/s);`
    + ` fake answered ${fakeStats.gets} GETs, ${fakeStats.tokens} tokens, ${fakeStats.unauthorized} 401s; worker peak RSS ${Math.max(...rss)} MB`);
  for (const s of procStatements) {
    console.log(`\nStatements of "${s.name}", round ${s.round} (pg_stat_statements; "nested": run inside a function or trigger;`
      + ` the worker's rows include the intake of its webhooks, stored before the drain):`);
    console.log('| calls | total ms | ms per event | WAL bytes per event | nested | statement |');
    console.log('|---|---|---|---|---|---|');
    for (const x of s.rows) console.log(`| ${x.calls} | ${fmt(x.ms, 1)} | ${fmt(x.ms / s.done, 3)} | ${int0(x.wal / s.done)} | ${x.toplevel ? '' : 'nested'} | \`${x.q.replace(/\|/g, '\\|')}\` |`);
  }
}
if (SECTIONS.has('read')) {
  console.log(`\nRead API (${100000 / SCALE} resources, ${1000000 / SCALE} bookings, ${1000000 / SCALE} LOS rows; 1000 locations over ${ACCOUNTS} accounts, L{n} → account n % ${ACCOUNTS}; 10 connections, ${QUICK ? 3 : 5} s a row after 1 s unreported warm-up of each):`);
  console.log('| route | credential | req/s | p50 ms | p99 ms | non-2xx |');
  console.log('|---|---|---|---|---|---|');
  for (const r of reads) {
    const codes = Object.entries(r.statuses).map(([k, v]) => `${v}× ${k}`).join(', ');
    console.log(`| ${r.name} | ${r.credential} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.non2xx}${codes ? ` (${codes})` : ''} |`);
  }
  const over = reads.filter((r) => r.p99 > 20);
  console.log(`target: every route p99 ≤ 20 ms — ${over.length ? `above: ${over.map((r) => `${r.name} / ${r.credential.split(' (')[0]} ${r.p99} ms`).join('; ')}` : 'all rows within'}`);
  const vias = [...new Set(keyKinds)];
  console.log(`API keys made by ${vias.map((v) => (v === 'http' ? 'POST /admin/api-keys' : v)).join('; ')}`);
  console.log('\nServer CPU per request in those rows (CPU time of the app process and of PostgreSQL ÷ requests). "others": CPU that processes');
  console.log('outside this bench used meanwhile, % of all cores: where it is high, the row above was measured on a shared machine.');
  console.log('| route | credential | app CPU ms/req | PostgreSQL CPU ms/req | others % |');
  console.log('|---|---|---|---|---|');
  for (const r of reads) console.log(`| ${r.name} | ${r.credential} | ${fmt(r.cpu.appMs, 3)} | ${fmt(r.cpu.pgMs, 3)} | ${fmt(r.cpu.othersPct, 0)} |`);
  const [base, ...others] = keyCost;
  console.log(`\nKey verification, GET /locations/L1, 1 connection, credentials alternating round by round (others meanwhile ${fmt(keyCostOthers, 0)} % of the machine):`);
  console.log('| credential | requests | req/s | mean ms | p50 ms | p99 ms | non-2xx | mean − ADMIN_TOKEN ms | median of per-round differences ms |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const k of keyCost) {
    console.log(`| ${k.name} | ${k.requests} | ${Math.round(k.rps)} | ${fmt(k.mean, 3)} | ${fmt(k.p50, 3)} | ${fmt(k.p99, 3)} | ${k.non2xx} | ${k === base ? '–' : fmt(k.diff, 3)} | ${k === base ? '–' : fmt(k.diffRounds, 3)} |`);
  }
  for (const k of others) console.log(`key verification overhead, ${k.name}: ${fmt(k.diff, 3)} ms per request (median of rounds ${fmt(k.diffRounds, 3)} ms; target ≤ 0.2 ms)`);
  if (revocation) {
    const r = (x) => `${x.before} before, ${x.deleted}, 401 after ${fmt(x.seconds, 2)} s`;
    console.log(`Revocation: in this process (DELETE /admin/api-keys/{id}) ${r(revocation.http)}; by another process (row deleted by SQL) ${r(revocation.sql)} (target ≤ 5 s)`);
  }
}
if (feed) reportChangeFeed(feed, fmt);
if (dataset) reportDatasetLoad(dataset, fmt);
const mb = (x) => (Number.isFinite(x) ? `${x} MB` : 'not run');
console.log(`\nPeak RSS (VmHWM): intake ${mb(intakeRss)}, worker ${mb(workerRss)}, intake+worker ${mb(bothRss)}, reader ${mb(readerRss)} (target ≤ 300 MB)`);
