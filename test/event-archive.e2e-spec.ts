import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { EVERY_ACCOUNT } from '../src/auth/principal';
import { ConsoleReadRepository } from '../src/console/console-read.repository';
import { EventRetentionService } from '../src/ingestion/event-retention.service';
import { startTestApp, TestContext } from './support/test-app';
import { envelope, install, intake, ScriptedHandler } from './support/test-handler';
import { waitFor } from './support/wait-for';

const P = 'testprov';

/** Finished events leave the queue table for its archive (partitioned by day); retention drops whole days. */
describe('event archive and retention', () => {
  let ctx: TestContext;
  let handler: ScriptedHandler;
  beforeAll(async () => {
    ctx = await startTestApp({ WORKER_CONCURRENCY: '4', EVENT_RETENTION_DAYS: '30', EVENT_ARCHIVE_AFTER_MINUTES: '60' });
    handler = new ScriptedHandler(P, 'a');
    install(ctx, handler);
  });
  afterAll(async () => { await ctx.close(); });

  const retention = () => ctx.app.get(EventRetentionService);
  const where = async (id: string) => {
    const [row] = await ctx.db.query(
      `SELECT (SELECT status FROM inbound_events WHERE id = $1) AS hot,
              (SELECT status FROM inbound_events_archive WHERE id = $1) AS archived`, [id]);
    return row as { hot: string | null; archived: string | null };
  };
  /** Stored by SQL, `received` ago: a provider without a handler, so nothing runs it. */
  const stored = async (status: string, received: string, partition = `p-${randomUUID()}`) => {
    const [row] = await ctx.db.query(
      `INSERT INTO inbound_events (provider, event_type, status, partition_key, priority, payload, headers, received_at, processed_at, next_attempt_at)
       VALUES ('syncaroo', 't', $1::text, $2, 5, '{}', '{}', now() - $3::interval, CASE WHEN $1::text IN ('done', 'ignored') THEN now() END,
               CASE WHEN $1::text = 'failed' THEN now() + interval '1 day' END) RETURNING id`, [status, partition, received]);
    return row.id as string;
  };
  /** Runs events of the test handler to done, then makes them look received two hours ago. */
  const doneLongAgo = async (...ids: string[]) => {
    await waitFor(async () => (await ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events WHERE id = ANY($1::uuid[]) AND status = 'done'`, [ids]))[0].n === ids.length);
    await ctx.db.query(`UPDATE inbound_events SET received_at = now() - interval '2 hours' WHERE id = ANY($1::uuid[])`, [ids]);
  };

  it('moves finished events received before EVENT_ARCHIVE_AFTER_MINUTES to the archive; the admin API still lists and shows them', async () => {
    const [oldDone, oldIgnored, oldDead, oldFailed, recentDone] = [
      await stored('done', '2 hours'), await stored('ignored', '40 days'), await stored('dead', '2 hours'),
      await stored('failed', '2 hours'), await stored('done', '10 minutes')];
    expect(await retention().archive()).toBeGreaterThanOrEqual(2);
    expect(await where(oldDone)).toEqual({ hot: null, archived: 'done' });
    expect(await where(oldIgnored)).toEqual({ hot: null, archived: 'ignored' });
    expect(await where(oldDead)).toEqual({ hot: 'dead', archived: null });
    expect(await where(oldFailed)).toEqual({ hot: 'failed', archived: null });
    expect(await where(recentDone)).toEqual({ hot: 'done', archived: null });
    const [part] = await ctx.db.query(
      `SELECT c.relname FROM inbound_events_archive a JOIN pg_class c ON c.oid = a.tableoid WHERE a.id = $1`, [oldDone]);
    expect(part.relname).toBe(`inbound_events_archive_${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`);

    const detail = await ctx.admin.get(`/admin/events/${oldDone}`).expect(200);
    expect(detail.body).toMatchObject({ id: oldDone, status: 'done', provider: 'syncaroo' });
    const listed = (await ctx.admin.get('/admin/events?provider=syncaroo&limit=500').expect(200)).body.items as Array<{ id: string }>;
    const mine = listed.map((e) => e.id).filter((id) => [oldDone, oldIgnored, oldDead, oldFailed, recentDone].includes(id));
    // Newest stored first, the archived ones among the rest.
    expect(mine).toEqual([recentDone, oldFailed, oldDead, oldIgnored, oldDone]);
    const done = (await ctx.admin.get('/admin/events?provider=syncaroo&status=done&limit=500').expect(200)).body.items as Array<{ id: string }>;
    expect(done.map((e) => e.id).filter((id) => [oldDone, recentDone].includes(id))).toEqual([recentDone, oldDone]);
  });

  it('the archive holds finished events only, so a query for events in line (the admin list by status) leaves it out', async () => {
    await ctx.db.query(`SELECT isq_archive_partition((now() AT TIME ZONE 'UTC')::date)`);
    const refused = await ctx.db.query(
      `INSERT INTO inbound_events_archive (id, seq, provider, event_type, status, partition_key, priority, payload, headers, received_at, attempts, archived_at)
       VALUES ($1, nextval('inbound_events_seq_seq'), 'syncaroo', 't', 'held', 'p-held', 5, '{}', '{}', now(), 0, now())`, [randomUUID()])
      .then(() => 'stored', (e: { code?: string }) => e.code);
    expect(refused).toBe('23514');
    // The listing's own predicate shape, with its parameters bound as the repository sends them.
    const plan = async (status: string) => ((await ctx.db.query(
      `EXPLAIN SELECT e.id FROM inbound_events_all e WHERE ($1::text IS NULL OR e.status = $1) ORDER BY e.seq DESC LIMIT 101`, [status])) as Array<{ 'QUERY PLAN': string }>)
      .map((r) => r['QUERY PLAN']).join('\n');
    for (const status of ['pending', 'held', 'dead', 'failed', 'processing']) expect(await plan(status)).not.toMatch(/inbound_events_archive/);
    expect(await plan('done')).toMatch(/inbound_events_archive/);
  });

  it('drops the archive days older than EVENT_RETENTION_DAYS whole, keeps younger ones, and deletes settled hold causes', async () => {
    const archivedAgo = async (days: number) => {
      await ctx.db.query(`SELECT isq_archive_partition(((now() - make_interval(days => $1)) AT TIME ZONE 'UTC')::date)`, [days]);
      const id = randomUUID();
      await ctx.db.query(
        `INSERT INTO inbound_events_archive (id, seq, provider, event_type, status, partition_key, priority, payload, headers, received_at, attempts, archived_at)
         VALUES ($1, nextval('inbound_events_seq_seq'), 'syncaroo', 't', 'done', 'p-old', 5, '{}', '{}', now() - make_interval(days => $2), 1,
                 now() - make_interval(days => $2))`, [id, days]);
      return id;
    };
    const day = (daysAgo: number) => `inbound_events_archive_${new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '')}`;
    const old = await archivedAgo(40);
    const young = await archivedAgo(29);
    await ctx.db.query(`INSERT INTO hold_causes (cause, released_xid, released_at) VALUES ('location:old', 1, now() - interval '2 days'), ('location:recent', 2, now()), ('location:never', NULL, NULL)`);

    expect(await retention().purge()).toBeGreaterThanOrEqual(1);
    const [tables] = await ctx.db.query(`SELECT to_regclass($1)::text AS old, to_regclass($2)::text AS young`, [day(40), day(29)]);
    expect(tables).toEqual({ old: null, young: day(29) });
    expect(await where(old)).toEqual({ hot: null, archived: null });
    expect(await where(young)).toEqual({ hot: null, archived: 'done' });
    expect((await ctx.db.query(`SELECT cause FROM hold_causes WHERE cause LIKE 'location:%' ORDER BY cause`)).map((r: { cause: string }) => r.cause)).toEqual(['location:recent']);
    // The days ahead exist, so a move after midnight does not wait for DDL.
    const [ahead] = await ctx.db.query(`SELECT to_regclass($1)::text AS t`, [day(-2)]);
    expect(ahead.t).toBe(day(-2));
  });

  it('an idempotency key seen again after its event was archived is still a duplicate, with the first id', async () => {
    const key = randomUUID();
    const first = await intake(ctx).accept(envelope(P, 1, `p-${key}`, { idempotencyKey: key }));
    await doneLongAgo(first.eventId);
    await retention().archive();
    expect(await where(first.eventId)).toEqual({ hot: null, archived: 'done' });
    const again = await intake(ctx).accept(envelope(P, 1, `p-${key}`, { idempotencyKey: key }));
    expect(again).toEqual({ eventId: first.eventId, status: 'duplicate' });
    const [{ n }] = await ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events_all WHERE idempotency_key = $1`, [key]);
    expect(n).toBe(1);
  });

  it('a repeated idempotency key arriving while the move of its event is still open waits for the move and is a duplicate', async () => {
    const key = randomUUID();
    const first = await intake(ctx).accept(envelope(P, 2, `p-${key}`, { idempotencyKey: key }));
    await doneLongAgo(first.eventId);
    const mover = new Client({ connectionString: ctx.databaseUrl });
    await mover.connect();
    try {
      await mover.query('BEGIN');
      const { rows } = await mover.query(`SELECT isq_archive(now() - interval '1 hour', 5000) AS n`);
      expect(rows[0].n).toBeGreaterThanOrEqual(1);
      // The move is done but not committed: a redelivery now must wait for it, not slip past both tables.
      const again = intake(ctx).accept(envelope(P, 2, `p-${key}`, { idempotencyKey: key }));
      await waitFor(async () => (await ctx.db.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO inbound_events%'`))[0].n === 1);
      await mover.query('COMMIT');
      expect(await again).toEqual({ eventId: first.eventId, status: 'duplicate' });
    } finally {
      await mover.end();
    }
    const [{ n }] = await ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events_all WHERE idempotency_key = $1`, [key]);
    expect(n).toBe(1);
  });

  it('replays an archived event from the queue again, in its place (its seq); an older one behind a later done event is stale', async () => {
    const part = `p-${randomUUID()}`;
    const older = await intake(ctx).accept(envelope(P, 30, part));
    const later = await intake(ctx).accept(envelope(P, 31, part));
    await doneLongAgo(older.eventId, later.eventId);
    await retention().archive();
    expect(await where(older.eventId)).toEqual({ hot: null, archived: 'done' });
    expect(await where(later.eventId)).toEqual({ hot: null, archived: 'done' });
    const [before] = await ctx.db.query(`SELECT seq FROM inbound_events_archive WHERE id = $1`, [later.eventId]);

    const refused = await ctx.admin.post(`/admin/events/${older.eventId}/replay`).expect(409);
    expect(refused.body.type).toMatch(/stale-replay$/);
    expect(await where(older.eventId)).toEqual({ hot: null, archived: 'done' });

    await ctx.admin.post(`/admin/events/${later.eventId}/replay`).expect(202);
    await waitFor(async () => (await where(later.eventId)).hot === 'done');
    expect(await where(later.eventId)).toEqual({ hot: 'done', archived: null });
    expect(handler.calls.filter((c) => c.n === 31).map((c) => c.eventId)).toEqual([later.eventId, later.eventId]);
    const [after] = await ctx.db.query(`SELECT seq FROM inbound_events WHERE id = $1`, [later.eventId]);
    expect(after.seq).toBe(before.seq);
    // Forced, the older one runs too.
    await ctx.admin.post(`/admin/events/${older.eventId}/replay?force=true`).expect(202);
    await waitFor(async () => (await where(older.eventId)).hot === 'done');
  });

  it('an archived event replayed while a later event of its item still waits runs in its place, before that one', async () => {
    const part = `p-${randomUUID()}`;
    const older = await intake(ctx).accept(envelope(P, 40, part));
    await doneLongAgo(older.eventId);
    await retention().archive();
    expect(await where(older.eventId)).toEqual({ hot: null, archived: 'done' });
    // A later event of the item, failed and not due before tomorrow: the item waits for it.
    const [later] = await ctx.db.query(
      `INSERT INTO inbound_events (provider, event_type, status, partition_key, priority, payload, headers, attempts, next_attempt_at)
       VALUES ($1, 'test.event', 'failed', $2, 5, '{"n": 41}', '{}', 1, now() + interval '1 day') RETURNING id, seq`, [P, part]);
    const [{ seq }] = await ctx.db.query(`SELECT seq FROM inbound_events_archive WHERE id = $1`, [older.eventId]);

    await ctx.admin.post(`/admin/events/${older.eventId}/replay`).expect(202);
    // Replayed in its own place (its seq), it is the item's head again and runs now, not after the later one.
    await waitFor(async () => (await where(older.eventId)).hot === 'done');
    const [back] = await ctx.db.query(`SELECT seq FROM inbound_events WHERE id = $1`, [older.eventId]);
    expect(back.seq).toBe(seq);
    expect((await ctx.admin.get(`/admin/events/${later.id}`).expect(200)).body).toMatchObject({ status: 'failed', waitingFor: null });
    const [item] = await ctx.db.query(`SELECT head_seq, tail_seq FROM event_partitions WHERE key = $1`, [part]);
    expect(item).toEqual({ head_seq: later.seq, tail_seq: later.seq });
  });

  it('a connection\'s last webhook and last success are still shown once its events are archived', async () => {
    const conn = await ctx.newConnection();
    const [webhook] = await ctx.db.query(
      `INSERT INTO inbound_events (provider, connection_id, event_type, status, partition_key, priority, payload, headers, received_at, processed_at)
       VALUES ('syncaroo', $1, 'availability', 'done', $2, 5, '{}', '{}', now() - interval '3 hours', now() - interval '3 hours' + interval '2 seconds')
       RETURNING received_at, processed_at`, [conn.id, `p-${randomUUID()}`]);
    await ctx.db.query(
      `INSERT INTO inbound_events (provider, connection_id, event_type, status, partition_key, priority, payload, headers, received_at, processed_at)
       VALUES ('syncaroo', $1, 'resync', 'ignored', $2, 5, '{}', '{}', now() - interval '2 hours', now() - interval '2 hours')`, [conn.id, `p-${randomUUID()}`]);
    const activity = () => ctx.app.get(ConsoleReadRepository).connectionActivity(EVERY_ACCOUNT, [conn.id]);
    const expected = { lastWebhookAt: new Date(webhook.received_at), lastSuccessAt: new Date(webhook.processed_at) };
    expect((await activity()).get(conn.id)).toEqual(expected);
    await retention().archive();
    expect(await ctx.db.query(`SELECT 1 FROM inbound_events WHERE connection_id = $1`, [conn.id])).toEqual([]);
    expect((await activity()).get(conn.id)).toEqual(expected);
  });
});
