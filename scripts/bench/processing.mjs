// Processing with a provider fetch: N Syncaroo `resources` events over M items, worked end to end by a real
// inventory-sync worker (claim → GET apiUrl with the Bearer token from the fake → upsert the resource →
// settle), against a bare loop in this process with plain `pg` doing the same claim → GET → upsert → done on
// scratch tables at the same concurrency. Both fetch from the same fake (scripts/bench/provider-fake.mjs, its
// own process).
import { fork } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { cpuSnapshot } from './account-reads.mjs';

export const FAKE_CLIENT_ID = 'bench-syncaroo-client';
export const FAKE_CLIENT_SECRET = 'bench-syncaroo-client-secret';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** PostgreSQL's CPU seconds (every server process) and the fake's, between two snapshots. */
function otherCpu(a, b) {
  return { pgCpu: (b.pg - a.pg) / 100, fakeCpu: b.fake - a.fake };
}
const snapshot = (pid, fake) => ({ ...cpuSnapshot(pid), fake: cpuSeconds(fake.child.pid) });

/** The fake Syncaroo API in its own process; `stats()` asks it how many calls it answered. */
export async function startProviderFake() {
  const child = fork(new URL('./provider-fake.mjs', import.meta.url), [], {
    env: { ...process.env, FAKE_CLIENT_ID, FAKE_CLIENT_SECRET },
  });
  const { port } = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`provider fake exited ${code}`)));
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    child,
    baseUrl,
    apiUrl: `${baseUrl}/api/v1`,
    stats: () => new Promise((resolve) => {
      const on = (m) => { if (m && m.stats) { child.off('message', on); resolve(m.stats); } };
      child.on('message', on);
      child.send('stats');
    }),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** CONTRACT.md section 4 (as test/fakes/syncaroo-fake.server.ts signs): HMAC-SHA256 hex of JSON.stringify(body without hash). */
function signSyncaroo(body, secret) {
  const { hash: _old, ...rest } = body;
  return { ...rest, hash: createHmac('sha256', secret).update(JSON.stringify(rest)).digest('hex') };
}

/** The `i`-th event: item i % items; `n` keeps every body distinct (an identical pending body would coalesce). */
function webhook({ apiUrl, connectionId, locationId, syncLoc, tag, i, items }) {
  const sid = `${tag}-item-${i % items}`;
  return {
    connectionId,
    webhookType: 'data',
    locationId,
    metaData: {
      syncarooId: sid,
      resourceType: 'meeting-room',
      resourceId: '',
      attributeType: 'resources',
      apiUrl: `${apiUrl}/${connectionId}/locations/${syncLoc}/resources/${sid}`,
    },
    n: i,
  };
}

/** POSTs every body, `parallel` at a time; throws unless each answers 202 accepted. */
async function sendAll(url, bodies, parallel) {
  let next = 0;
  const bad = [];
  const one = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const answer = await res.json().catch(() => null);
      if (res.status !== 202 || answer?.status !== 'accepted') bad.push(`${res.status} ${JSON.stringify(answer)}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, one));
  if (bad.length > 0) throw new Error(`${bad.length} webhooks not accepted, e.g. ${bad[0]}`);
}

async function adminPost(base, path, token, body) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body),
  });
  const json = await res.json().catch(() => null);
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * inventory-sync: a WORKER=off process takes the N signed webhooks and is stopped; then a WORKER=on,
 * INTAKE=off process drains them. Timed from the first claim (first event seen leaving `pending`, polled
 * every 5 ms) to the last `processed_at`. `app` = {startApp, waitHealthy, stop, peakRssMb, adminToken}.
 */
export async function runAppProcessing(dbUrl, fake, app, { events, items, concurrency, round, webhookSecret, setup, log }) {
  const syncEnv = {
    SYNCAROO_API_URL: fake.apiUrl, SYNCAROO_CLIENT_ID: FAKE_CLIENT_ID, SYNCAROO_CLIENT_SECRET: FAKE_CLIENT_SECRET,
    SYNCAROO_WEBHOOK_SECRET: webhookSecret, WORKER_CONCURRENCY: String(concurrency),
  };
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  const intake = app.startApp({ ...syncEnv, WORKER: 'off' });
  await app.waitHealthy(intake.url);
  if (!setup.connectionId) {
    const conn = await adminPost(intake.url, '/admin/connections', app.adminToken, { provider: 'syncaroo', externalId: String(setup.externalId), name: 'Bench coworking' });
    await adminPost(intake.url, `/admin/connections/${conn.id}/locations`, app.adminToken, {
      locationId: setup.locationId, externalId: setup.syncLoc, name: 'Bench location', timezone: 'Europe/Amsterdam',
    });
    setup.connectionId = conn.id;
  }
  const [{ s: fromSeq }] = (await db.query(`SELECT COALESCE(max(seq), 0)::text AS s FROM inbound_events`)).rows;
  const tag = `r${round}`;
  const bodies = Array.from({ length: events }, (_, i) =>
    signSyncaroo(webhook({ apiUrl: fake.apiUrl, connectionId: setup.externalId, locationId: setup.locationId, syncLoc: setup.syncLoc, tag, i, items }), webhookSecret));
  log(`processing round ${round}: sending ${events} Syncaroo webhooks (WORKER=off)`);
  await sendAll(`${intake.url}/webhooks/syncaroo`, bodies, 16);
  await app.stop(intake.child);
  const mine = `provider = 'syncaroo' AND seq > $1::bigint`;
  const [{ n: stored }] = (await db.query(`SELECT count(*)::int AS n FROM inbound_events WHERE ${mine} AND status = 'pending'`, [fromSeq])).rows;

  log(`processing round ${round}: draining ${stored} events with a WORKER=on process`);
  const getsBefore = (await fake.stats()).gets;
  const worker = app.startApp({ ...syncEnv, INTAKE: 'off' });
  const started = Date.now();
  let firstClaim = null;
  let cpuAtFirst = 0;
  let snapAtFirst = null;
  while (firstClaim === null) {
    const { rows } = await db.query(
      `SELECT 1 FROM inbound_events WHERE status IN ('processing', 'done', 'failed', 'held', 'dead', 'ignored') AND seq > $1::bigint LIMIT 1`, [fromSeq]);
    if (rows.length > 0) {
      firstClaim = Date.now();
      cpuAtFirst = cpuSeconds(worker.child.pid);
      snapAtFirst = snapshot(worker.child.pid, fake);
    }
    else if (Date.now() - started > 60_000) throw new Error('the worker claimed nothing in 60 s');
    else await sleep(5);
  }
  // EXISTS stops at the first unfinished event (ix_inbound_events_status_seq): a count of thousands every 100 ms
  // was 3 % of PostgreSQL's time in this measurement of the worker.
  const timeline = process.env.BENCH_PROC_TIMELINE === '1';
  const cpuPerSecond = [];
  let tick = snapshot(worker.child.pid, fake);
  for (;;) {
    const [{ left }] = (await db.query(`SELECT EXISTS (SELECT 1 FROM inbound_events WHERE status IN ('pending', 'processing') AND seq > $1::bigint) AS left`, [fromSeq])).rows;
    if (!left) break;
    await sleep(100);
    if (timeline && Number(process.hrtime.bigint() - tick.at) >= 1e9) {
      const now = snapshot(worker.child.pid, fake);
      const s = Number(now.at - tick.at) / 1e9;
      cpuPerSecond.push(`${Math.round((now.app - tick.app) / s)}/${Math.round((now.pg - tick.pg) / s)}`);
      tick = now;
    }
  }
  if (timeline) log(`processing round ${round}: worker / PostgreSQL CPU % per second: ${cpuPerSecond.join(' ')}`);
  const [last] = (await db.query(
    `SELECT (EXTRACT(EPOCH FROM max(processed_at)) * 1000)::float8 AS last_ms, (EXTRACT(EPOCH FROM min(processed_at)) * 1000)::float8 AS first_ms,
            count(*) FILTER (WHERE status = 'done')::int AS done, count(*) FILTER (WHERE status <> 'done')::int AS other,
            string_agg(DISTINCT status || ': ' || COALESCE(last_error, ''), '; ') FILTER (WHERE status <> 'done') AS why
       FROM inbound_events WHERE ${mine}`, [fromSeq])).rows;
  if (process.env.BENCH_PROC_TIMELINE === '1') {
    const { rows: perSecond } = await db.query(
      `SELECT floor(EXTRACT(EPOCH FROM processed_at) - $2::float8 / 1000)::int AS s, count(*)::int AS n
         FROM inbound_events WHERE ${mine} GROUP BY 1 ORDER BY 1`, [fromSeq, Math.min(firstClaim, last.first_ms)]);
    log(`processing round ${round}: events done per second: ${perSecond.map((r) => r.n).join(' ')}`);
  }
  const cpu = cpuSeconds(worker.child.pid) - cpuAtFirst;
  const others = otherCpu(snapAtFirst, snapshot(worker.child.pid, fake));
  const rss = app.peakRssMb(worker.child.pid);
  await app.stop(worker.child);
  const gets = (await fake.stats()).gets - getsBefore;
  const [{ n: resources }] = (await db.query(`SELECT count(*)::int AS n FROM resources WHERE provider = 'syncaroo' AND connection_id = $1 AND external_id LIKE $2`,
    [setup.connectionId, `${tag}-item-%`])).rows;
  await db.end();
  // The poll cannot see the first claim later than the first settle.
  const seconds = (last.last_ms - Math.min(firstClaim, last.first_ms)) / 1000;
  return { name: 'inventory-sync worker (Syncaroo resources)', round, events: stored, done: last.done, other: last.other, why: last.why, gets, resources, seconds, eps: last.done / seconds, rss, cpu, ...others };
}

/**
 * The bare loop: `concurrency` async loops in this process on one pg.Pool, each: claim one job
 * (`UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED)`) → GET its URL from the fake with a Bearer token
 * (fetched once) → upsert the document into a scratch table → mark the job done. No per-item order, no
 * retries, no tenant checks: the floor under the same fetch and the same writes.
 */
export async function runBareProcessing(dbUrl, fake, { events, items, concurrency, round, setup, log }) {
  const pool = new pg.Pool({ connectionString: dbUrl, max: concurrency + 2 });
  await pool.query(`CREATE TABLE IF NOT EXISTS bench_proc_jobs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, item text NOT NULL,
    url text NOT NULL, status text NOT NULL DEFAULT 'pending', attempts int NOT NULL DEFAULT 0, processed_at timestamptz)`);
  await pool.query(`CREATE INDEX IF NOT EXISTS bench_proc_jobs_pending ON bench_proc_jobs (id) WHERE status = 'pending'`);
  await pool.query(`CREATE TABLE IF NOT EXISTS bench_proc_items (item text PRIMARY KEY, name text, capacity int, doc jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`);
  const tag = `bare-r${round}`;
  const base = `${fake.apiUrl}/${setup.externalId}/locations/${setup.syncLoc}/resources/`;
  await pool.query(`INSERT INTO bench_proc_jobs (item, url) SELECT $1 || (g % $3), $2 || $1 || (g % $3) FROM generate_series(0, $4::int - 1) g`,
    [`${tag}-item-`, base, items, events]);
  const tokenRes = await fetch(`${fake.apiUrl}/oauth/token`, {
    method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: FAKE_CLIENT_ID, client_secret: FAKE_CLIENT_SECRET }),
  });
  const { access_token: token } = await tokenRes.json();
  log(`processing round ${round}: bare loop over ${events} jobs, ${concurrency} at a time`);
  const getsBefore = (await fake.stats()).gets;
  let firstClaim = null;
  let cpuAtFirst = null;
  let snapAtFirst = null;
  let failures = 0;
  const loop = async () => {
    for (;;) {
      const { rows } = await pool.query(
        `UPDATE bench_proc_jobs SET status = 'processing', attempts = attempts + 1
          WHERE id = (SELECT id FROM bench_proc_jobs WHERE status = 'pending' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
          RETURNING id, item, url`);
      firstClaim ??= Date.now();
      cpuAtFirst ??= process.cpuUsage();
      snapAtFirst ??= snapshot(process.pid, fake);
      if (rows.length === 0) return;
      const job = rows[0];
      try {
        const res = await fetch(job.url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
        if (res.status !== 200) throw new Error(`GET answered ${res.status}`);
        const doc = await res.json();
        await pool.query(
          `INSERT INTO bench_proc_items (item, name, capacity, doc) VALUES ($1, $2, $3, $4::jsonb)
           ON CONFLICT (item) DO UPDATE SET name = EXCLUDED.name, capacity = EXCLUDED.capacity, doc = EXCLUDED.doc, updated_at = now()`,
          [job.item, doc.name, doc.capacity, JSON.stringify(doc)]);
        await pool.query(`UPDATE bench_proc_jobs SET status = 'done', processed_at = now() WHERE id = $1`, [job.id]);
      } catch (e) {
        failures += 1;
        await pool.query(`UPDATE bench_proc_jobs SET status = 'failed' WHERE id = $1`, [job.id]);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const used = process.cpuUsage(cpuAtFirst);
  const others = otherCpu(snapAtFirst, snapshot(process.pid, fake));
  const [last] = (await pool.query(
    `SELECT (EXTRACT(EPOCH FROM max(processed_at)) * 1000)::float8 AS last_ms, count(*) FILTER (WHERE status = 'done')::int AS done,
            count(*) FILTER (WHERE status <> 'done')::int AS other FROM bench_proc_jobs WHERE item LIKE $1`, [`${tag}-item-%`])).rows;
  const gets = (await fake.stats()).gets - getsBefore;
  const [{ n: rowsWritten }] = (await pool.query(`SELECT count(*)::int AS n FROM bench_proc_items WHERE item LIKE $1`, [`${tag}-item-%`])).rows;
  await pool.end();
  const seconds = (last.last_ms - firstClaim) / 1000;
  return { name: 'bare pg loop: claim → GET → upsert → done', round, events, done: last.done, other: last.other, why: failures ? `${failures} failed` : null, gets, resources: rowsWritten, seconds, eps: last.done / seconds, rss: null, cpu: (used.user + used.system) / 1e6, ...others };
}

export async function dropBareTables(dbUrl) {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  await c.query(`DROP TABLE IF EXISTS bench_proc_jobs, bench_proc_items`);
  await c.end();
}
