import { QueueGaugesService } from '../src/ingestion/queue-gauges.service';
import { startTestApp, TestContext } from './support/test-app';

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
});
