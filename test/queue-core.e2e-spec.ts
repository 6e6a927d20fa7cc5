import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { EventsService } from '../src/ingestion/events.service';
import { startTestApp, TestContext } from './support/test-app';
import { envelope, install, intake, ScriptedHandler, statusOf } from './support/test-handler';
import { waitFor } from './support/wait-for';

/**
 * The queue's promises at their edges (issue 9): each test here failed on the parking design it replaced.
 * Multi-process cases (commit order across processes, a stale worker) are in queue-processes.e2e-spec.ts.
 */
const P = 'testprov';

describe('queue core', () => {
  let ctx: TestContext;
  let handler: ScriptedHandler;
  beforeAll(async () => {
    ctx = await startTestApp({ WORKER_CONCURRENCY: '4' });
    handler = new ScriptedHandler(P, 'a');
    install(ctx, handler);
  });
  afterAll(async () => { await ctx.close(); });

  /** Keeps an item busy: its first event waits on a gate until the returned function is called. */
  async function busy(part: string, n: number): Promise<() => void> {
    let open!: () => void;
    handler.gates.set(n, new Promise<void>((r) => { open = r; }));
    await intake(ctx).accept(envelope(P, n, part));
    await waitFor(async () => handler.calls.some((c) => c.n === n));
    return open;
  }
  const ran = (part: string) => handler.calls.filter((c) => c.partitionKey === part).map((c) => c.n);

  it('coalesces an identical body only into the last event of its item: 5, 3, 5 ends at 5', async () => {
    const part = `p-${randomUUID()}`;
    const open = await busy(part, 1);
    const five = await intake(ctx).accept(envelope(P, 5, part, { coalesceKey: 'body-5' }));
    const three = await intake(ctx).accept(envelope(P, 3, part, { coalesceKey: 'body-3' }));
    const fiveAgain = await intake(ctx).accept(envelope(P, 5, part, { coalesceKey: 'body-5' }));
    expect([five.status, three.status, fiveAgain.status]).toEqual(['accepted', 'accepted', 'accepted']);
    // Time-ordered ids (UUIDv7): inserts land at the right edge of the primary key.
    expect(five.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab]/);
    expect(fiveAgain.eventId).not.toBe(five.eventId);
    // Still the last one: an identical body merges into it.
    const fiveThird = await intake(ctx).accept(envelope(P, 5, part, { coalesceKey: 'body-5' }));
    expect(fiveThird).toEqual({ eventId: fiveAgain.eventId, status: 'coalesced' });
    open();
    await waitFor(async () => (await statusOf(ctx, fiveAgain.eventId)).status === 'done');
    expect(ran(part)).toEqual([1, 5, 3, 5]);
  });

  it('orders two events of one item by commit: B, stored while A is still being inserted, waits for A and runs after it', async () => {
    const part = `p-${randomUUID()}`;
    // A: another intake's INSERT, its transaction held open on purpose.
    const other = new Client({ connectionString: ctx.databaseUrl });
    await other.connect();
    try {
      await other.query('BEGIN');
      const [a] = (await other.query(
        `INSERT INTO inbound_events (provider, event_type, status, partition_key, priority, payload, headers, next_attempt_at)
         VALUES ($1, 'test.event', 'pending', $2, 5, '{"n": 1, "sleepMs": 300}', '{}', now()) RETURNING id`, [P, part])).rows;
      // B arrives through the app meanwhile: its answer must not come before A is committed.
      let bAnswered = false;
      const b = intake(ctx).accept(envelope(P, 2, part)).then((r) => { bAnswered = true; return r; });
      await new Promise((r) => setTimeout(r, 400));
      const bEarly = bAnswered;
      await other.query('COMMIT');
      const bResult = await b;
      await waitFor(async () => (await statusOf(ctx, bResult.eventId)).status === 'done' && (await statusOf(ctx, a.id)).status === 'done');
      expect(bEarly).toBe(false);
      expect(ran(part)).toEqual([1, 2]);
      const [first, second] = handler.calls.filter((c) => c.partitionKey === part);
      expect(second.startedAt).toBeGreaterThanOrEqual(first.endedAt!);
    } finally {
      await other.end();
    }
  });

  it('does not lose a wake-up: a release committed while the handler decides to hold re-runs the event', async () => {
    const part = `p-${randomUUID()}`;
    let reached!: () => void;
    const atHold = new Promise<void>((r) => { reached = r; });
    let openHold!: () => void;
    handler.holdGates.set(40, { reached, open: new Promise<void>((r) => { openHold = r; }) });
    const e = await intake(ctx).accept(envelope(P, 40, part, { payloadExtra: { hold: true } }));
    await atHold;
    // The cause goes away and the admin action releases held events, before the handler answers `held`.
    handler.holdOpen.add(40);
    await ctx.app.get(EventsService).releaseHeld(P);
    openHold();
    await waitFor(async () => (await statusOf(ctx, e.eventId)).status === 'done');
    expect(handler.calls.filter((c) => c.n === 40)).toHaveLength(2);
  });

  it('a release wakes only the events held for its cause', async () => {
    const onX = await intake(ctx).accept(envelope(P, 50, `p-${randomUUID()}`, { payloadExtra: { hold: true, holdCause: 'location:x' } }));
    const onY = await intake(ctx).accept(envelope(P, 51, `p-${randomUUID()}`, { payloadExtra: { hold: true, holdCause: 'location:y' } }));
    await waitFor(async () => (await statusOf(ctx, onX.eventId)).status === 'held' && (await statusOf(ctx, onY.eventId)).status === 'held');
    handler.holdOpen.add(50);
    handler.holdOpen.add(51);
    expect(await ctx.app.get(EventsService).releaseCauses(['location:x'])).toBe(1);
    await waitFor(async () => (await statusOf(ctx, onX.eventId)).status === 'done');
    expect((await statusOf(ctx, onY.eventId)).status).toBe('held');
    expect(handler.calls.filter((c) => c.n === 51)).toHaveLength(1);
  });

  it('counts a claim that expired while processing (its process died) as an attempt, and ends it dead once the schedule is spent', async () => {
    // RETRY_SCHEDULE has 3 steps. Written as a crashed process leaves them: processing, lock expired.
    const orphan = (n: number, attempts: number) => ctx.db.query(
      `INSERT INTO inbound_events (provider, event_type, status, partition_key, priority, payload, headers, attempts, locked_until, next_attempt_at)
       VALUES ($1, 'test.event', 'processing', $2, 5, $3::jsonb, '{}', $4, now() - interval '1 second', now()) RETURNING id`,
      [P, `p-${randomUUID()}`, JSON.stringify({ n }), attempts]);
    const [[spent], [again]] = await Promise.all([orphan(60, 3), orphan(61, 2)]);
    await waitFor(async () => (await statusOf(ctx, spent.id)).status === 'dead' && (await statusOf(ctx, again.id)).status === 'done');
    const dead = await ctx.admin.get(`/admin/events/${spent.id}`).expect(200);
    expect(dead.body).toMatchObject({ status: 'dead', attempts: 3 });
    expect(dead.body.lastError).toMatch(/process handling it stopped/);
    expect(handler.calls.filter((c) => c.n === 60)).toHaveLength(0);
    expect(handler.calls.filter((c) => c.n === 61).map((c) => c.attempt)).toEqual([3]);
  });

  it('cuts a Retry-After past the schedule to its last step instead of breaking the item', async () => {
    const part = `p-${randomUUID()}`;
    const e = await intake(ctx).accept(envelope(P, 70, part, { payloadExtra: { failTimes: 1, retryAfterMs: 3_000_000_000 } }));
    const next = await intake(ctx).accept(envelope(P, 71, part));
    await waitFor(async () => (await statusOf(ctx, next.eventId)).status === 'done', 10000);
    expect(await statusOf(ctx, e.eventId)).toMatchObject({ status: 'done', attempts: 2 });
    expect(ran(part)).toEqual([70, 70, 71]);
  });

  it('refuses to replay an event whose item has a later event done (409 stale-replay) unless forced', async () => {
    const part = `p-${randomUUID()}`;
    const older = await intake(ctx).accept(envelope(P, 80, part));
    const newer = await intake(ctx).accept(envelope(P, 81, part));
    await waitFor(async () => (await statusOf(ctx, newer.eventId)).status === 'done');
    const refused = await ctx.admin.post(`/admin/events/${older.eventId}/replay`).expect(409);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body.type).toMatch(/stale-replay$/);
    expect((await statusOf(ctx, older.eventId)).status).toBe('done');
    await ctx.admin.post(`/admin/events/${older.eventId}/replay?force=maybe`).expect(400);
    await ctx.admin.post(`/admin/events/${older.eventId}/replay?force=true`).expect(202);
    await waitFor(async () => ran(part).length === 3);
    expect(ran(part)).toEqual([80, 81, 80]);
    // The newest event of an item replays without force.
    await ctx.admin.post(`/admin/events/${newer.eventId}/replay`).expect(202);
  });

  it('gives every pooled session a statement and an idle-in-transaction timeout', async () => {
    const [{ statement_timeout }] = await ctx.db.query('SHOW statement_timeout');
    const [{ idle_in_transaction_session_timeout }] = await ctx.db.query('SHOW idle_in_transaction_session_timeout');
    expect({ statement_timeout, idle_in_transaction_session_timeout }).toEqual({ statement_timeout: '2min', idle_in_transaction_session_timeout: '1min' });
  });

  it('shows what an event waits for: the earlier event of its item', async () => {
    const part = `p-${randomUUID()}`;
    const h = await intake(ctx).accept(envelope(P, 90, part, { payloadExtra: { hold: true } }));
    const behind = await intake(ctx).accept(envelope(P, 91, part));
    await waitFor(async () => (await statusOf(ctx, h.eventId)).status === 'held');
    const detail = await ctx.admin.get(`/admin/events/${behind.eventId}`).expect(200);
    expect(detail.body).toMatchObject({ status: 'pending', waitingFor: h.eventId });
    expect((await ctx.admin.get(`/admin/events/${h.eventId}`).expect(200)).body.waitingFor).toBeNull();
    const listed = await ctx.admin.get(`/admin/events?provider=syncaroo&limit=5`).expect(200);
    for (const item of listed.body.items) expect(item).toHaveProperty('waitingFor');
    handler.holdOpen.add(90);
    await ctx.app.get(EventsService).releaseHeld(P);
    await waitFor(async () => (await statusOf(ctx, behind.eventId)).status === 'done');
    expect((await ctx.admin.get(`/admin/events/${behind.eventId}`).expect(200)).body.waitingFor).toBeNull();
  });
});
