// Claim cost vs backlog: how long one `isq_claim(16, 60000, 10, {1,5})` takes with 100 … 100,000 events
// waiting on distinct items, and with 10,000 queued behind one item (plus 100 other items). Events are
// inserted straight into inbound_events with SQL (the isq_* triggers keep event_partitions). Each sample:
// claim → settle the claimed events done (isq_settle, timed too) → insert as many new events on new items
// (another session), so the backlog stays what the row says. The baseline, alternating with it sample by
// sample: a bare `UPDATE … WHERE id IN (SELECT … LIMIT 16 FOR UPDATE SKIP LOCKED)` on a scratch table
// holding the same number of pending rows (no items, no order), then its own settle and refill.
//
// Every backlog is measured in three sessions, the statistics being those of the empty queue before it:
//   warm      the session claimed and settled on the empty queue before the backlog arrived (a worker's pooled
//             connection that idled, then got a burst): plpgsql caches each statement's plan per session, so
//             this is what a running worker meets after a burst until something invalidates those plans
//             (autovacuum's ANALYZE of the table)
//   new       a new session after the burst, before any ANALYZE (a worker started on a fresh backlog, as the
//             drain row does)
//   analyzed  a new session after ANALYZE (steady state)
// inbound_events also holds `history` done events (added when fewer are there), as a live one keeps its done
// events for EVENT_RETENTION_DAYS.
import pg from 'pg';

const PROVIDER = 'benchq';
const BATCH = 10_000;
const WARMUP_EMPTY = 10;
const CLAIM = `SELECT * FROM isq_claim(16, 60000, 10, ARRAY[1,5]::smallint[])`;
const SETTLE = `SELECT * FROM isq_settle($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::bigint[], $7::text[])`;
const BARE_CLAIM = `UPDATE bench_claim_bare b SET status = 'processing', claim_token = gen_random_uuid(), locked_until = now() + interval '60 seconds'
  WHERE b.id IN (SELECT id FROM bench_claim_bare WHERE status = 'pending' ORDER BY id LIMIT 16 FOR UPDATE SKIP LOCKED) RETURNING b.*`;
const BARE_SETTLE = `UPDATE bench_claim_bare SET status = 'done', claim_token = NULL, locked_until = NULL, processed_at = now()
  WHERE id = ANY($1::bigint[]) AND claim_token = ANY($2::uuid[]) AND status = 'processing'`;

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const since = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const sorted = (a) => [...a].sort((x, y) => x - y);

async function connect(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

/** `count` pending events, one per item `${prefix}${from}` … (or all on `oneKey`), in batches. */
async function insertEvents(c, { prefix, from, count, oneKey = null }) {
  for (let done = 0; done < count; done += BATCH) {
    const n = Math.min(BATCH, count - done);
    await c.query(
      `INSERT INTO inbound_events (id, provider, event_type, status, partition_key, priority, payload, headers, next_attempt_at)
       SELECT gen_random_uuid(), $1, 'bench.claim', 'pending', COALESCE($5::text, $2::text || g::text), 5, '{}'::jsonb, '{}'::jsonb, now()
         FROM generate_series($3::int, $4::int) g`,
      [PROVIDER, prefix, from + done, from + done + n - 1, oneKey],
    );
  }
}

const insertBare = (c, count) =>
  c.query(`INSERT INTO bench_claim_bare (item, status) SELECT 'b' || g, 'pending' FROM generate_series(1, $1::int) g`, [count]);

const settleDone = (c, rows) =>
  c.query(SETTLE, [rows.map((r) => r.id), rows.map((r) => r.claim_token), rows.map(() => 'done'),
    rows.map(() => null), rows.map(() => null), rows.map(() => null), rows.map(() => null)]);

/**
 * An empty queue: no bench events, no idle item rows (housekeeping's job; earlier bench parts leave some),
 * statistics to match. Only bench data is touched; no server runs during this part.
 */
async function emptyQueue(c) {
  await c.query(`DELETE FROM inbound_events WHERE provider = $1`, [PROVIDER]);
  await c.query(`DELETE FROM event_partitions WHERE key LIKE $1 OR (head_seq IS NULL AND claim_token IS NULL)`, [`${PROVIDER}:%`]);
  await c.query(`TRUNCATE bench_claim_bare`);
  await c.query(`VACUUM ANALYZE inbound_events, event_partitions, bench_claim_bare`);
}

/** One backlog in one kind of session; see the header. */
async function measureCase(url, { name, distinct, hot, samples, maxSeconds, session, log }) {
  const loader = await connect(url);
  // The loader's own trigger plans would otherwise be made on the empty table (a seq scan per row: quadratic
  // in one big INSERT); what is measured is the other session.
  await loader.query(`SET enable_seqscan = off`);
  await emptyQueue(loader);
  const prefix = `${PROVIDER}:item:`;
  const hotKey = `${PROVIDER}:hot`;
  let next = 1;
  let c = null;
  if (session === 'warm') {
    c = await connect(url);
    for (let i = 0; i < WARMUP_EMPTY; i++) {
      await insertEvents(loader, { prefix: `${PROVIDER}:warm:`, from: i, count: 1 });
      await settleDone(c, (await c.query(CLAIM)).rows);
      await insertBare(loader, 1);
      const bare = await c.query(BARE_CLAIM);
      await c.query(BARE_SETTLE, [bare.rows.map((r) => r.id), bare.rows.map((r) => r.claim_token)]);
    }
  }
  const t0 = Date.now();
  // The long item first: its head is due first, so every sample claims it, settles it and brings its next event up.
  if (hot > 0) await insertEvents(loader, { prefix, from: 0, count: hot, oneKey: hotKey });
  await insertEvents(loader, { prefix, from: next, count: distinct });
  next += distinct;
  await insertBare(loader, distinct + hot);
  if (session === 'analyzed') await loader.query(`ANALYZE inbound_events, event_partitions, bench_claim_bare`);
  if (session !== 'warm') c = await connect(url);
  log(`claims: ${name}, ${session} session: loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const claims = [], settles = [], bareClaims = [], rowsPerClaim = [];
  let hotClaims = 0;
  const started = Date.now();
  // The first claims of a new session plan their statements (plpgsql caches them): not counted.
  const warmup = session === 'warm' ? 0 : 10;
  for (let i = 0; i < warmup + samples && Date.now() - started < maxSeconds * 1000; i++) {
    const measured = i >= warmup;
    let t = process.hrtime.bigint();
    const { rows } = await c.query(CLAIM);
    const claimMs = since(t);
    t = process.hrtime.bigint();
    await settleDone(c, rows);
    const settleMs = since(t);
    const refill = rows.filter((r) => r.partition_key !== hotKey).length;
    if (measured) {
      claims.push(claimMs);
      settles.push(settleMs);
      rowsPerClaim.push(rows.length);
      if (rows.length > refill) hotClaims += 1;
    }
    await insertEvents(loader, { prefix, from: next, count: refill });
    next += refill;

    t = process.hrtime.bigint();
    const bare = await c.query(BARE_CLAIM);
    const bareMs = since(t);
    await c.query(BARE_SETTLE, [bare.rows.map((r) => r.id), bare.rows.map((r) => r.claim_token)]);
    await insertBare(loader, bare.rows.length);
    if (measured) bareClaims.push(bareMs);
  }
  const [{ waiting, analyzed }] = (await loader.query(
    `SELECT (SELECT count(*)::int FROM inbound_events WHERE provider = $1 AND status = 'pending') AS waiting,
            (SELECT last_autoanalyze > to_timestamp($2 / 1000.0) FROM pg_stat_user_tables WHERE relname = 'event_partitions') AS analyzed`,
    [PROVIDER, t0])).rows;
  await c.end();
  await emptyQueue(loader);
  await loader.end();
  const first = claims.slice(0, 10).map((x, i) => x + settles[i]);
  const [cs, ss, bs] = [sorted(claims), sorted(settles), sorted(bareClaims)];
  return {
    name, session, backlog: distinct + hot, waiting, samples: claims.length, autoanalyzed: session !== 'analyzed' && !!analyzed,
    claimP50: pct(cs, 50), claimP99: pct(cs, 99), settleP50: pct(ss, 50), settleP99: pct(ss, 99),
    bareP50: pct(bs, 50), bareP99: pct(bs, 99), first10: first.reduce((a, b) => a + b, 0) / Math.max(1, first.length),
    rowsPerClaim: rowsPerClaim.reduce((a, b) => a + b, 0) / Math.max(1, rowsPerClaim.length),
    hotClaims: hot > 0 ? hotClaims : null,
  };
}

/**
 * History: the queue table keeps the last EVENT_ARCHIVE_AFTER_MINUTES of done events and the archive the rest for
 * EVENT_RETENTION_DAYS, so a live queue is never just its backlog. Adds done events (provider `benchh`, 1,000
 * items) until `history` are there: up to `hotHistory` in inbound_events (through its triggers), the rest straight
 * into today's archive partition, as the mover leaves them. The claims part removes them.
 */
export async function ensureHistory(c, history, log, hotHistory = 100_000) {
  const count = async (table) => (await c.query(`SELECT count(*)::int AS n FROM ${table} WHERE status IN ('done', 'ignored')`)).rows[0].n;
  const hotHave = await count('inbound_events');
  const archiveHave = await count('inbound_events_archive');
  const addHot = Math.max(0, Math.min(history, hotHistory) - hotHave);
  const addArchive = Math.max(0, history - Math.min(history, hotHistory) - archiveHave);
  if (addHot + addArchive === 0) return;
  log(`claims: adding ${addHot} done events to the queue table and ${addArchive} to the archive as history (${hotHave} / ${archiveHave} there)`);
  for (let done = 0; done < addHot; done += BATCH) {
    await c.query(
      `INSERT INTO inbound_events (id, provider, event_type, status, partition_key, priority, payload, headers, processed_at)
       SELECT gen_random_uuid(), 'benchh', 'bench.history', 'done', 'benchh:' || (g % 1000), 5, '{}'::jsonb, '{}'::jsonb, now()
         FROM generate_series($1::int, $2::int) g`, [done, Math.min(addHot, done + BATCH) - 1]);
  }
  if (addArchive > 0) await c.query(`SELECT isq_archive_partition((now() AT TIME ZONE 'UTC')::date)`);
  for (let done = 0; done < addArchive; done += BATCH * 10) {
    await c.query(
      `INSERT INTO inbound_events_archive (id, seq, provider, event_type, status, partition_key, priority, payload, headers, received_at, processed_at, attempts, archived_at)
       SELECT gen_random_uuid(), nextval('inbound_events_seq_seq'), 'benchh', 'bench.history', 'done', 'benchh:' || (g % 1000), 5, '{}'::jsonb, '{}'::jsonb,
              now(), now(), 1, now()
         FROM generate_series($1::int, $2::int) g`, [done, Math.min(addArchive, done + BATCH * 10) - 1]);
  }
  await c.query('ANALYZE inbound_events_archive');
}

/**
 * `backlogs`: distinct-item backlogs; `hot`: events behind one item (with `hotOthers` other items).
 * `samples` per row at most, `maxSeconds` per row at most. One result per backlog and session kind.
 */
export async function benchClaimCost(url, { backlogs, hot, hotOthers, samples, maxSeconds, history, hotHistory, sessions = ['warm', 'new', 'analyzed'], log }) {
  const setup = await connect(url);
  await setup.query(`SET enable_seqscan = off`);
  await setup.query(`CREATE TABLE IF NOT EXISTS bench_claim_bare (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, item text NOT NULL,
    status text NOT NULL, claim_token uuid, locked_until timestamptz, processed_at timestamptz)`);
  await setup.query(`CREATE INDEX IF NOT EXISTS bench_claim_bare_pending ON bench_claim_bare (id) WHERE status = 'pending'`);
  await ensureHistory(setup, history, log, hotHistory);
  const cases = [
    ...backlogs.map((n) => ({ name: `${n.toLocaleString('en-US')} on distinct items`, distinct: n, hot: 0 })),
    ...(hot > 0 ? [{ name: `${hot.toLocaleString('en-US')} behind one item + ${hotOthers} items`, distinct: hotOthers, hot }] : []),
  ];
  const results = [];
  for (const cs of cases) {
    for (const session of sessions) results.push(await measureCase(url, { ...cs, samples, maxSeconds, session, log }));
  }
  await setup.query(`DROP TABLE IF EXISTS bench_claim_bare`);
  await setup.query(`DELETE FROM inbound_events WHERE provider = 'benchh'`);
  await setup.query(`DELETE FROM inbound_events_archive WHERE provider = 'benchh'`);
  await setup.query(`DELETE FROM event_partitions WHERE key LIKE 'benchh:%'`);
  await setup.query(`VACUUM ANALYZE inbound_events, event_partitions`);
  await setup.end();
  return results;
}
