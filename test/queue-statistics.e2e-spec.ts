import { Client } from 'pg';
import { QueueGaugesService } from '../src/ingestion/queue-gauges.service';
import { startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * The queue functions keep a plan per session; one made on a near-empty queue can scan a whole index after a burst
 * until the tables are analysed again. The queue gauges' leader analyses them as soon as a backlog has outgrown
 * their statistics, instead of waiting for autovacuum.
 */
describe('queue statistics after a burst', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await startTestApp({ WORKER: 'off' });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const plannerRows = async () =>
    Number((await ctx.db.query(`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'inbound_events'::regclass`))[0].n);

  it('a backlog more than twice what the statistics describe is analysed by the next gauges round; a small one is not', async () => {
    await ctx.db.query(`ANALYZE inbound_events, event_partitions`);
    const gauges = ctx.app.get(QueueGaugesService);
    const burst = (n: number, tag: string) => ctx.db.query(
      `INSERT INTO inbound_events (id, provider, event_type, status, partition_key, priority, payload, headers, next_attempt_at)
       SELECT gen_random_uuid(), 'burstprov', 'burst', 'pending', $1 || g, 5, '{}'::jsonb, '{}'::jsonb, now() FROM generate_series(1, $2::int) g`,
      [`burstprov:${tag}:`, n]);

    // Under the threshold (1,000 waiting): statistics left to autovacuum.
    await burst(500, 'small');
    expect(await gauges.refresh()).toBe(true);
    expect(await plannerRows()).toBeLessThan(500);

    await burst(3000, 'big');
    expect(await plannerRows()).toBeLessThan(500);
    expect(await gauges.refresh()).toBe(true);
    expect(await plannerRows()).toBeGreaterThanOrEqual(3500);

    // Analysed once: the next round finds the statistics in line and leaves them.
    const [{ at }] = await ctx.db.query(`SELECT pg_stat_get_last_analyze_time('inbound_events'::regclass) AS at`);
    expect(await gauges.refresh()).toBe(true);
    const [{ at: again }] = await ctx.db.query(`SELECT pg_stat_get_last_analyze_time('inbound_events'::regclass) AS at`);
    expect(again).toEqual(at);
  });

  it('a settle in a session that planned it on an empty queue reads only its own events after a burst of 20,000', async () => {
    await ctx.db.query(`DELETE FROM inbound_events WHERE provider LIKE 'burst%' OR provider = 'plannedprov'`);
    await ctx.db.query(`DELETE FROM event_partitions WHERE key LIKE 'burst%' OR key LIKE 'plannedprov:%'`);
    await ctx.db.query(`ANALYZE inbound_events, event_partitions`);
    const worker = new Client({ connectionString: ctx.databaseUrl });
    await worker.connect();
    const insert = (n: number, tag: string) => ctx.db.query(
      `INSERT INTO inbound_events (id, provider, event_type, status, partition_key, priority, payload, headers, next_attempt_at)
       SELECT gen_random_uuid(), 'plannedprov', 'burst', 'pending', $1 || g, 5, '{}'::jsonb, '{}'::jsonb, now() FROM generate_series(1, $2::int) g`,
      [`plannedprov:${tag}:`, n]);
    const claimAndSettle = async () => {
      const { rows } = await worker.query(`SELECT id, claim_token FROM isq_claim(16, 60000, 10, '{1,5}'::smallint[])`);
      const before = await indexReads();
      const { rows: settled } = await worker.query(
        `SELECT * FROM isq_settle($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::bigint[], $7::text[])`,
        [rows.map((r) => r.id), rows.map((r) => r.claim_token), rows.map(() => 'done'), rows.map(() => null), rows.map(() => null), rows.map(() => null), rows.map(() => null)]);
      return { settled: settled.filter((r) => r.status === 'done').length, indexReads: (await indexReads()) - before };
    };
    // Index entries this session's scans of inbound_events' indexes returned (its counts not yet flushed).
    const indexReads = async () => Number((await worker.query(
      `SELECT COALESCE(sum(pg_stat_get_xact_tuples_returned(indexrelid)), 0) AS n FROM pg_index WHERE indrelid = 'inbound_events'::regclass`)).rows[0].n);
    try {
      // The session's plans are made on a near-empty queue (the functions keep them: a pooled connection after a quiet spell).
      await insert(20, 'quiet');
      for (let i = 0; i < 2; i++) expect((await claimAndSettle()).settled).toBeGreaterThan(0);
      await insert(20000, 'burst');
      const after = await claimAndSettle();
      expect(after.settled).toBe(16);
      // Its 16 events and their items' next heads, not the 20,000 waiting.
      expect(after.indexReads).toBeLessThan(500);
    } finally {
      await worker.end();
      await ctx.db.query(`DELETE FROM inbound_events WHERE provider = 'plannedprov'`);
      await ctx.db.query(`DELETE FROM event_partitions WHERE key LIKE 'plannedprov:%'`);
    }
  });

  it('one INSERT of many events sets the new items\' heads in one statement, creates their item rows without reading them back, wakes workers once', async () => {
    const session = new Client({ connectionString: ctx.databaseUrl });
    const listener = new Client({ connectionString: ctx.databaseUrl });
    await Promise.all([session.connect(), listener.connect()]);
    const notes: string[] = [];
    listener.on('notification', (n) => notes.push(n.channel));
    await listener.query('LISTEN inbound_events');
    try {
      // An item already waiting: its head stays where it is.
      await session.query(
        `INSERT INTO inbound_events (id, provider, event_type, status, partition_key, priority, payload, headers, next_attempt_at)
         VALUES (gen_random_uuid(), 'stmtprov', 'first', 'pending', 'stmtprov:old', 5, '{}'::jsonb, '{}'::jsonb, now())`);
      const [{ seq: oldHead }] = (await session.query(`SELECT head_seq AS seq FROM event_partitions WHERE key = 'stmtprov:old'`)).rows;
      await waitFor(async () => notes.length === 1);
      await session.query(`SET track_functions = 'pl'`);
      await session.query('BEGIN');
      const scansBefore = Number((await session.query(
        `SELECT COALESCE(sum(pg_stat_get_xact_numscans(indexrelid)), 0) AS n FROM pg_index WHERE indrelid = 'event_partitions'::regclass`)).rows[0].n);
      // 40 new items with two events each, and one more event of the waiting item, in one statement.
      await session.query(
        `INSERT INTO inbound_events (id, provider, event_type, status, partition_key, priority, payload, headers, next_attempt_at)
         SELECT gen_random_uuid(), 'stmtprov', 'n' || g, 'pending', CASE WHEN g = 0 THEN 'stmtprov:old' ELSE 'stmtprov:new:' || ((g + 1) / 2) END,
                5, '{}'::jsonb, '{}'::jsonb, now()
           FROM generate_series(0, 80) g`);
      const scans = Number((await session.query(
        `SELECT COALESCE(sum(pg_stat_get_xact_numscans(indexrelid)), 0) AS n FROM pg_index WHERE indrelid = 'event_partitions'::regclass`)).rows[0].n) - scansBefore;
      const [{ calls }] = (await session.query(
        `SELECT COALESCE((SELECT calls FROM pg_stat_xact_user_functions WHERE funcname = 'isq_after_insert'), 0)::int AS calls`)).rows;
      await session.query('COMMIT');
      expect(calls).toBe(1);
      // Per event: the key's probe, its tail's update, and a read of the row only where it existed before the event
      // (81 events: 244 index scans; 324 when every row was read back and its head set one row at a time).
      expect(scans).toBeLessThanOrEqual(3 * 81 + 1);
      // Each new item's head is its first event; the waiting item's head did not move.
      const { rows } = await session.query(
        `SELECT p.key, p.head_seq = (SELECT min(e.seq) FROM inbound_events e WHERE e.partition_key = p.key) AS first, p.head_seq, p.ready_at IS NOT NULL AS ready
           FROM event_partitions p WHERE p.key LIKE 'stmtprov:%' ORDER BY p.key`);
      expect(rows).toHaveLength(41);
      expect(rows.every((r) => r.first && r.ready)).toBe(true);
      expect(rows.find((r) => r.key === 'stmtprov:old')!.head_seq).toBe(oldHead);
      await waitFor(async () => notes.length === 2);
    } finally {
      await Promise.all([session.end(), listener.end()]);
      await ctx.db.query(`DELETE FROM inbound_events WHERE provider = 'stmtprov'`);
      await ctx.db.query(`DELETE FROM event_partitions WHERE key LIKE 'stmtprov:%'`);
    }
  });
});
