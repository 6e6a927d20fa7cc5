import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { EventsService } from '../src/ingestion/events.service';
import { QueueGaugesService } from '../src/ingestion/queue-gauges.service';
import { PRIORITY } from '../src/ingestion/provider-handler';
import { startTestApp, TestContext } from './support/test-app';
import { envelope, install, intake, ScriptedHandler, statusOf } from './support/test-handler';
import { waitFor } from './support/wait-for';

const P = 'testprov';

describe('ingestion pipeline', () => {
  let ctx: TestContext;
  let handler: ScriptedHandler;
  beforeAll(async () => {
    // Stratech configured: one test stands a scripted handler in for it (the worker holds back the events
    // of an unconfigured provider).
    ctx = await startTestApp({ WORKER_CONCURRENCY: '4', STRATECH_CLIENT_ID: 'id', STRATECH_CLIENT_SECRET: 'secret', STRATECH_WEBHOOK_SECRET: 'ingestion-secret' });
    handler = new ScriptedHandler(P, 'a');
    install(ctx, handler);
  });
  afterAll(async () => { await ctx.close(); });

  it('answers duplicate for a repeated idempotency key, with the first event id, and stores one row', async () => {
    const key = randomUUID();
    const first = await intake(ctx).accept(envelope(P, 1, `p-${key}`, { idempotencyKey: key }));
    const second = await intake(ctx).accept(envelope(P, 1, `p-${key}`, { idempotencyKey: key }));
    expect(first.status).toBe('accepted');
    expect(second).toEqual({ eventId: first.eventId, status: 'duplicate' });
    const rows = await ctx.db.query('SELECT count(*)::int AS n FROM inbound_events WHERE idempotency_key = $1', [key]);
    expect(rows[0].n).toBe(1);
  });

  it('coalesces an identical body while the earlier one is still pending, and accepts it again once done', async () => {
    const part = `p-${randomUUID()}`;
    let open!: () => void;
    handler.gates.set(100, new Promise<void>((r) => { open = r; }));
    const blocker = await intake(ctx).accept(envelope(P, 100, part));
    await waitFor(async () => handler.calls.some((c) => c.n === 100));
    const a = await intake(ctx).accept(envelope(P, 101, part, { coalesceKey: 'same-body' }));
    const b = await intake(ctx).accept(envelope(P, 101, part, { coalesceKey: 'same-body' }));
    expect(a.status).toBe('accepted');
    expect(b).toEqual({ eventId: a.eventId, status: 'coalesced' });
    open();
    await waitFor(async () => (await statusOf(ctx, a.eventId)).status === 'done');
    expect((await statusOf(ctx, blocker.eventId)).status).toBe('done');
    const c = await intake(ctx).accept(envelope(P, 101, part, { coalesceKey: 'same-body' }));
    expect(c.status).toBe('accepted');
    expect(c.eventId).not.toBe(a.eventId);
  });

  it('under concurrent intake (shared multi-row INSERTs) every event is stored once and identical bodies coalesce', async () => {
    const part = `p-${randomUUID()}`;
    let open!: () => void;
    handler.gates.set(150, new Promise<void>((r) => { open = r; }));
    await intake(ctx).accept(envelope(P, 150, part));
    await waitFor(async () => handler.calls.some((c) => c.n === 150));
    const same = await Promise.all(Array.from({ length: 15 }, () => intake(ctx).accept(envelope(P, 151, part, { coalesceKey: `burst-${part}` }))));
    const distinct = await Promise.all(Array.from({ length: 40 }, (_, i) => intake(ctx).accept(envelope(P, 160 + i, `p-burst-${i}-${part}`))));
    expect(same.filter((a) => a.status === 'accepted')).toHaveLength(1);
    expect(new Set(same.map((a) => a.eventId)).size).toBe(1);
    expect(distinct.every((a) => a.status === 'accepted')).toBe(true);
    expect(new Set(distinct.map((a) => a.eventId)).size).toBe(40);
    const [{ n }] = await ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events WHERE id = ANY($1::uuid[])`, [[...distinct, ...same].map((a) => a.eventId)]);
    expect(n).toBe(41);
    // A partition key longer than the column still stores (as its hash) and keeps its order.
    const long = await intake(ctx).accept(envelope(P, 199, `p-${'x'.repeat(600)}`));
    expect((await ctx.db.query(`SELECT partition_key FROM inbound_events WHERE id = $1`, [long.eventId]))[0].partition_key).toMatch(/^sha256:[0-9a-f]{64}$/);
    open();
    await waitFor(async () => (await statusOf(ctx, same[0].eventId)).status === 'done');
  });

  it('a shared INSERT keeps each item\'s events in arrival order and stores every field as sent', async () => {
    const part = `p-${randomUUID()}`;
    let open!: () => void;
    handler.gates.set(2170, new Promise<void>((r) => { open = r; }));
    await intake(ctx).accept(envelope(P, 2170, part));
    await waitFor(async () => handler.calls.some((c) => c.n === 2170));
    // 20 events of one item interleaved with 20 of others, all in flight at once: they share INSERTs.
    const sent = Array.from({ length: 40 }, (_, i) => envelope(P, 2171 + i, i % 2 === 0 ? part : `p-other-${i}-${part}`, {
      idempotencyKey: i % 3 === 0 ? `idem-${i}-${part}` : undefined, priority: i % 4 === 1 ? PRIORITY.critical : PRIORITY.normal, headers: { 'x-n': String(i) }, requestId: `req-${i}`,
      payloadExtra: { text: `quote " backslash \\ brace { ${i}` },
    }));
    const answers = await Promise.all(sent.map((e) => intake(ctx).accept(e)));
    expect(answers.every((a) => a.status === 'accepted')).toBe(true);
    const rows = await ctx.db.query(
      `SELECT id, partition_key, idempotency_key, priority, payload, headers, request_id FROM inbound_events WHERE id = ANY($1::uuid[]) ORDER BY seq`,
      [answers.map((a) => a.eventId)]);
    expect(rows.filter((r: { partition_key: string }) => r.partition_key === part).map((r: { payload: { n: number } }) => r.payload.n))
      .toEqual(Array.from({ length: 20 }, (_, k) => 2171 + 2 * k));
    for (const [i, e] of sent.entries()) {
      const row = rows.find((r: { id: string }) => r.id === answers[i].eventId);
      expect(row).toMatchObject({ partition_key: e.partitionKey, idempotency_key: e.idempotencyKey ?? null, priority: e.priority,
        payload: e.payload, headers: e.headers, request_id: e.requestId });
    }
    open();
    await waitFor(async () => (await statusOf(ctx, answers[38].eventId)).status === 'done');
  });

  it('retries a failing event with backoff, then succeeds', async () => {
    const e = await intake(ctx).accept(envelope(P, 200, `p-${randomUUID()}`, { payloadExtra: { failTimes: 2 } }));
    await waitFor(async () => (await statusOf(ctx, e.eventId)).status === 'done');
    const row = await statusOf(ctx, e.eventId);
    expect(row.attempts).toBe(3);
    expect(handler.calls.filter((c) => c.n === 200).map((c) => c.attempt)).toEqual([1, 2, 3]);
  });

  it('goes dead after the retry schedule, then replay runs it again', async () => {
    const e = await intake(ctx).accept(envelope(P, 300, `p-${randomUUID()}`, { payloadExtra: { failTimes: 4 } }));
    await waitFor(async () => (await statusOf(ctx, e.eventId)).status === 'dead');
    const dead = await ctx.admin.get(`/admin/events/${e.eventId}`).expect(200);
    expect(dead.body).toMatchObject({ id: e.eventId, status: 'dead', attempts: 4, lastError: 'scripted failure 4', nextAttemptAt: null });
    expect(dead.body.processedAt).toMatch(/Z$/);
    const listed = await ctx.admin.get(`/admin/events?status=dead&provider=syncaroo`).expect(200);
    expect(listed.body.items.map((i: { id: string }) => i.id)).not.toContain(e.eventId);
    // the cause is fixed (the script no longer fails), then the admin replays it
    await ctx.db.query(`UPDATE inbound_events SET payload = payload - 'failTimes' WHERE id = $1`, [e.eventId]);
    const replay = await ctx.admin.post(`/admin/events/${e.eventId}/replay`).expect(202);
    expect(replay.body.id).toBe(e.eventId);
    await waitFor(async () => (await statusOf(ctx, e.eventId)).status === 'done');
    await ctx.admin.post(`/admin/events/${e.eventId}/replay`).expect(202);
    await ctx.admin.post(`/admin/events/${randomUUID()}/replay`).expect(404);
    await ctx.admin.post(`/admin/events/not-a-uuid/replay`).expect(400);
  });

  it('with every worker slot busy, new events wait without stalling the process, then all run', async () => {
    const opens: Array<() => void> = [];
    const busy = [];
    for (let n = 900; n < 904; n++) {
      handler.gates.set(n, new Promise<void>((r) => opens.push(r)));
      busy.push(await intake(ctx).accept(envelope(P, n, `p-busy-${n}`)));
    }
    await waitFor(async () => [900, 901, 902, 903].every((n) => handler.calls.some((c) => c.n === n)));
    // All 4 slots (WORKER_CONCURRENCY) are taken; intake wakes the worker, which must wait, not spin.
    const queued = await intake(ctx).accept(envelope(P, 904, 'p-busy-904'));
    const health = await ctx.http().get('/health');
    expect(health.status).toBe(200);
    expect(handler.calls.some((c) => c.n === 904)).toBe(false);
    opens.forEach((open) => open());
    await waitFor(async () => (await statusOf(ctx, queued.eventId)).status === 'done');
    for (const e of busy) expect((await statusOf(ctx, e.eventId)).status).toBe('done');
  });

  it('keeps a long queue behind one busy event of its item, runs other items meanwhile, and the queue in order once that one is done', async () => {
    let open!: () => void;
    handler.gates.set(1600, new Promise<void>((r) => { open = r; }));
    await intake(ctx).accept(envelope(P, 1600, 'p-hot'));
    await waitFor(async () => handler.calls.some((c) => c.n === 1600));
    for (let n = 1601; n <= 1900; n++) await intake(ctx).accept(envelope(P, n, 'p-hot'));
    const others = await Promise.all(Array.from({ length: 30 }, (_, i) => intake(ctx).accept(envelope(P, 2000 + i, `p-cold-${i}`))));
    for (const o of others) await waitFor(async () => (await statusOf(ctx, o.eventId)).status === 'done');
    expect(handler.calls.filter((c) => c.partitionKey === 'p-hot').map((c) => c.n)).toEqual([1600]);
    // The queue is one item row, not 300 claimable rows: the item is running, its head is the busy event.
    const [item] = await ctx.db.query(`SELECT claim_token IS NOT NULL AS running, (SELECT payload->>'n' FROM inbound_events WHERE seq = head_seq) AS head FROM event_partitions WHERE key = 'p-hot'`);
    expect(item).toEqual({ running: true, head: '1600' });
    open();
    await waitFor(async () => (await ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events WHERE partition_key = 'p-hot' AND status = 'done'`))[0].n === 301, 30000);
    const hot = handler.calls.filter((c) => c.partitionKey === 'p-hot').map((c) => c.n);
    expect(hot).toEqual(Array.from({ length: 301 }, (_, i) => 1600 + i));
    expect((await ctx.db.query(`SELECT head_seq, claim_token FROM event_partitions WHERE key = 'p-hot'`))[0]).toEqual({ head_seq: null, claim_token: null });
  });

  it('a failing partition never blocks another partition', async () => {
    const stuck = await intake(ctx).accept(envelope(P, 400, 'p-stuck', { payloadExtra: { failTimes: 99 } }));
    const behind = await intake(ctx).accept(envelope(P, 401, 'p-stuck'));
    const other = await intake(ctx).accept(envelope(P, 402, 'p-free'));
    await waitFor(async () => (await statusOf(ctx, other.eventId)).status === 'done');
    await waitFor(async () => (await statusOf(ctx, stuck.eventId)).status === 'dead');
    // order is kept within the partition: the event behind a dead one runs after it is settled
    await waitFor(async () => (await statusOf(ctx, behind.eventId)).status === 'done');
    const ns = handler.calls.filter((c) => c.partitionKey === 'p-stuck').map((c) => c.n);
    expect(ns.lastIndexOf(400)).toBeLessThan(ns.indexOf(401));
  });

  it('holds an event that cannot apply yet, keeps later events of its partition behind it, and releases it on request', async () => {
    const h = await intake(ctx).accept(envelope(P, 500, 'p-held', { payloadExtra: { hold: true } }));
    const after = await intake(ctx).accept(envelope(P, 501, 'p-held'));
    await waitFor(async () => (await statusOf(ctx, h.eventId)).status === 'held');
    const heldRow = await statusOf(ctx, h.eventId);
    expect(heldRow.attempts).toBe(0);
    expect(heldRow.last_error).toContain('waiting');
    expect((await statusOf(ctx, after.eventId)).status).toBe('pending');
    handler.holdOpen.add(500);
    await ctx.app.get(EventsService).releaseHeld(P);
    await waitFor(async () => (await statusOf(ctx, after.eventId)).status === 'done');
    expect((await statusOf(ctx, h.eventId)).status).toBe('done');
    const ns = handler.calls.filter((c) => c.partitionKey === 'p-held').map((c) => c.n);
    expect(ns.indexOf(500)).toBeLessThan(ns.indexOf(501));
  });

  it('reclaims an event left processing by a dead process once its lock expires', async () => {
    const [row] = await ctx.db.query(
      `INSERT INTO inbound_events (provider, event_type, status, partition_key, priority, payload, headers, attempts, locked_until, next_attempt_at)
       VALUES ($1, 'test.event', 'processing', 'p-orphan', 5, '{"n": 600}', '{}', 1, now() - interval '1 second', now()) RETURNING id`, [P]);
    await waitFor(async () => (await statusOf(ctx, row.id)).status === 'done');
    expect(handler.calls.find((c) => c.n === 600)?.attempt).toBe(2);
  });

  it('lists events with filters and keyset pages; redacts secrets in the payload', async () => {
    const e = await intake(ctx).accept(envelope(P, 700, 'p-list', { payloadExtra: { code: 'top-secret-code' } }));
    const detail = await ctx.admin.get(`/admin/events/${e.eventId}`).expect(200);
    expect(detail.body.payload).toEqual({ n: 700, code: '[redacted]' });
    const page1 = await ctx.admin.get('/admin/events?limit=3').expect(200);
    expect(page1.body.items).toHaveLength(3);
    expect(page1.body.items[0]).not.toHaveProperty('payload');
    const page2 = await ctx.admin.get(`/admin/events?limit=3&cursor=${page1.body.nextCursor}`).expect(200);
    const ids = new Set([...page1.body.items, ...page2.body.items].map((i: { id: string }) => i.id));
    expect(ids.size).toBe(6);
    await ctx.admin.get('/admin/events?status=bogus').expect(400);
    await ctx.admin.get(`/admin/events/${randomUUID()}`).expect(404);
    await ctx.reader.get('/admin/events').expect(403);
  });

  it('bulk-replays dead events of a provider', async () => {
    const e = await intake(ctx).accept(envelope(P, 800, `p-${randomUUID()}`, { payloadExtra: { failTimes: 4 } }));
    await waitFor(async () => (await statusOf(ctx, e.eventId)).status === 'dead');
    await ctx.db.query(`UPDATE inbound_events SET payload = payload - 'failTimes' WHERE id = $1`, [e.eventId]);
    await ctx.admin.post('/admin/events/replay-dead?provider=bogus').expect(400);
    await ctx.db.query(`UPDATE inbound_events SET provider = 'stratech' WHERE id = $1`, [e.eventId]);
    install(ctx, new ScriptedHandler('stratech', 'a', handler));
    const res = await ctx.admin.post('/admin/events/replay-dead?provider=stratech').expect(202);
    expect(res.body.replayed).toBeGreaterThanOrEqual(1);
    await waitFor(async () => (await statusOf(ctx, e.eventId)).status === 'done');
  });

  it('keeps the webhook request id with its event (detail and the worker\'s log lines)', async () => {
    const res = await ctx.http().post('/webhooks/stratech/ingestion-secret').set('x-request-id', 'req-trace-4711')
      .send({ eventType: 'Trace.test', eventData: { organizationReference: 'org_trace' } }).expect(202);
    const detail = await ctx.admin.get(`/admin/events/${res.body.eventId}`).expect(200);
    expect(detail.body.requestId).toBe('req-trace-4711');
    // Stratech authenticates by its path secret: no second copy of the body is kept beside the payload.
    expect((await ctx.db.query(`SELECT raw FROM inbound_events WHERE id = $1`, [res.body.eventId]))[0].raw).toBeNull();
  });

  it('counts events by provider and status in one process at a time', async () => {
    const h = await intake(ctx).accept(envelope(P, 3100, `p-${randomUUID()}`, { payloadExtra: { hold: true } }));
    await waitFor(async () => (await statusOf(ctx, h.eventId)).status === 'held');
    const gauges = ctx.app.get(QueueGaugesService);
    expect(await gauges.refresh()).toBe(true);
    const [{ n }] = await ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events WHERE provider = $1 AND status = 'held'`, [P]);
    const text = (await ctx.http().get('/metrics').expect(200)).text;
    expect(text).toContain(`inventory_events{provider="testprov",status="held"} ${n}`);
    expect(text).toMatch(/inventory_claim_seconds_count \d+/);
    // Another process counting now: this one reports nothing rather than a second copy.
    const other = new Client({ connectionString: ctx.databaseUrl });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT pg_advisory_xact_lock(hashtext('inventory-sync:queue-gauges'))`);
      expect(await gauges.refresh()).toBe(false);
      expect((await ctx.http().get('/metrics').expect(200)).text).not.toContain('inventory_events{');
      await other.query('COMMIT');
    } finally {
      await other.end();
    }
    handler.holdOpen.add(3100);
    await ctx.app.get(EventsService).releaseHeld(P);
  });

  it('exposes queue and processing metrics', async () => {
    const text = (await ctx.http().get('/metrics').expect(200)).text;
    expect(text).toMatch(/inventory_events_processed_total\{provider="testprov",outcome="done"\} \d+/);
    expect(text).toContain('inventory_queue_depth');
    expect(text).toContain('inventory_event_processing_seconds_bucket');
  });
});

describe('ingestion housekeeping and timeouts', () => {
  let ctx: TestContext;
  let handler: ScriptedHandler;
  beforeAll(async () => {
    ctx = await startTestApp({ HANDLER_TIMEOUT_MS: '300', EVENT_RETENTION_DAYS: '30' });
    handler = new ScriptedHandler(P, 'a');
    install(ctx, handler);
  });
  afterAll(async () => { await ctx.close(); });

  it('cuts a hanging handler with the timeout and retries the event', async () => {
    const e = await intake(ctx).accept(envelope(P, 900, `p-${randomUUID()}`, { payloadExtra: { hangOnFirstAttempt: true } }));
    await waitFor(async () => (await statusOf(ctx, e.eventId)).status === 'done');
    const row = await statusOf(ctx, e.eventId);
    expect(row.attempts).toBe(2);
    expect(handler.calls.filter((c) => c.n === 900).map((c) => c.attempt)).toEqual([1, 2]);
  });

  it('aborts the outbound call of a handler out of time, and fails the event only once the handler stopped', async () => {
    const seen: Array<{ n: number; aborted: boolean }> = [];
    const server = createServer((req, res) => {
      const entry = { n: seen.length + 1, aborted: false };
      seen.push(entry);
      // The first call never answers: the handler's timeout must abort it.
      if (entry.n === 1) {
        req.on('close', () => { entry.aborted = !res.writableEnded; });
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`;
    const e = await intake(ctx).accept(envelope(P, 910, `p-${randomUUID()}`, { payloadExtra: { fetchUrl: url } }));
    try {
      await waitFor(async () => (await statusOf(ctx, e.eventId)).status === 'done');
      expect(seen.map((c) => c.aborted)).toEqual([true, false]);
      // The retry started only after the first run had stopped: the two never ran side by side.
      const [first, second] = handler.calls.filter((c) => c.n === 910);
      expect(first.endedAt).toBeDefined();
      expect(second.startedAt).toBeGreaterThanOrEqual(first.endedAt!);
      expect((await statusOf(ctx, e.eventId)).attempts).toBe(2);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('lets a handler allow an event more time than HANDLER_TIMEOUT_MS, and keeps its lock alive meanwhile', async () => {
    const e = await intake(ctx).accept(envelope(P, 920, `p-${randomUUID()}`, { payloadExtra: { sleepMs: 1200, timeoutMs: 5000 } }));
    await waitFor(async () => handler.calls.some((c) => c.n === 920));
    const [first] = await ctx.db.query('SELECT locked_until FROM inbound_events WHERE id = $1', [e.eventId]);
    await new Promise((r) => setTimeout(r, 600));
    const [later] = await ctx.db.query('SELECT status, locked_until FROM inbound_events WHERE id = $1', [e.eventId]);
    expect(later.status).toBe('processing');
    expect(new Date(later.locked_until).getTime()).toBeGreaterThan(new Date(first.locked_until).getTime());
    await waitFor(async () => (await statusOf(ctx, e.eventId)).status === 'done');
    expect((await statusOf(ctx, e.eventId)).attempts).toBe(1);
  });

  it('GET /admin/events filters by received time (receivedFrom inclusive, receivedTo exclusive); a bad instant is 400', async () => {
    const at = (t: string) => ctx.db.query(
      `INSERT INTO inbound_events (provider, event_type, status, partition_key, priority, payload, headers, received_at)
       VALUES ('stratech', 't', 'dead', 'p-time', 5, '{}', '{}', $1) RETURNING id`, [t]);
    // One after another: the list is newest stored first (seq), so stored in time order.
    const [a] = await at('2026-03-01T10:00:00Z');
    const [b] = await at('2026-03-01T11:00:00Z');
    const [c] = await at('2026-03-01T12:00:00Z');
    const ids = async (q: string) => ((await ctx.admin.get(`/admin/events?provider=stratech&${q}`).expect(200)).body.items as Array<{ id: string }>)
      .map((e) => e.id).filter((id) => [a.id, b.id, c.id].includes(id));
    expect(await ids('receivedFrom=2026-03-01T11:00:00Z')).toEqual([c.id, b.id]);
    expect(await ids('receivedTo=2026-03-01T11:00:00Z')).toEqual([a.id]);
    expect(await ids('receivedFrom=2026-03-01T10:30:00%2B00:00&receivedTo=2026-03-01T12:00:00Z')).toEqual([b.id]);
    const bad = await ctx.admin.get('/admin/events?receivedFrom=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['receivedFrom']);
  });
});


describe('ingestion with two worker processes on one database', () => {
  let a: TestContext;
  let b: TestContext;
  const shared = new ScriptedHandler(P, 'shared');
  beforeAll(async () => {
    a = await startTestApp({ WORKER_CONCURRENCY: '4' });
    b = await startTestApp({ WORKER_CONCURRENCY: '4' }, { shareDatabaseWith: a });
    install(a, new ScriptedHandler(P, 'a', shared));
    install(b, new ScriptedHandler(P, 'b', shared));
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('applies every event once, in arrival order within each partition', async () => {
    const partitions = 8;
    const perPartition = 15;
    const ids: string[] = [];
    for (let i = 0; i < partitions * perPartition; i++) {
      const app = i % 2 === 0 ? a : b;
      const r = await intake(app).accept(envelope(P, i, `order-${i % partitions}`, { payloadExtra: { sleepMs: (i * 7) % 5 } }));
      ids.push(r.eventId);
    }
    await waitFor(async () => {
      const [r] = await a.db.query(`SELECT count(*)::int AS n FROM inbound_events WHERE status = 'done' AND id = ANY($1)`, [ids]);
      return r.n === ids.length;
    }, 30000);
    expect(shared.calls).toHaveLength(ids.length);
    expect(new Set(shared.calls.map((c) => c.eventId)).size).toBe(ids.length);
    for (let p = 0; p < partitions; p++) {
      const ns = shared.calls.filter((c) => c.partitionKey === `order-${p}`).map((c) => c.n);
      expect(ns).toEqual([...ns].sort((x, y) => x - y));
      expect(ns).toHaveLength(perPartition);
    }
    expect(new Set(shared.calls.map((c) => c.app))).toEqual(new Set(['a', 'b']));
  });
});

describe('wake-ups across processes', () => {
  it('a worker process is woken by NOTIFY when another process stores an event, without polling', async () => {
    const intakeOnly = await startTestApp({ WORKER: 'off' });
    const worker = await startTestApp({ WORKER_CONCURRENCY: '2' }, { shareDatabaseWith: intakeOnly });
    try {
      const h = new ScriptedHandler(P, 'w');
      install(worker, h);
      await waitFor(async () => (await worker.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'LISTEN inbound_events' AND datname = current_database()`))[0].n === 1);
      // Idle now: sleeping until a notification (or its 5 s safety poll).
      await new Promise((r) => setTimeout(r, 300));
      const before = Number(/inventory_claim_seconds_count (\d+)/.exec((await worker.http().get('/metrics')).text)?.[1] ?? 0);
      const e = await intake(intakeOnly).accept(envelope(P, 1, 'p-notify'));
      await waitFor(async () => (await statusOf(worker, e.eventId)).status === 'done');
      const after = Number(/inventory_claim_seconds_count (\d+)/.exec((await worker.http().get('/metrics')).text)?.[1] ?? 0);
      // One wake-up, one or two claims: not a poll every 200 ms.
      expect(after - before).toBeLessThanOrEqual(3);
      expect(after - before).toBeGreaterThanOrEqual(1);
    } finally {
      await worker.close();
      await intakeOnly.close();
    }
  });
});

describe('split deployment: INTAKE=off', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await startTestApp({
      INTAKE: 'off', WORKER: 'off',
      STRATECH_CLIENT_ID: 'id', STRATECH_CLIENT_SECRET: 'secret', STRATECH_WEBHOOK_SECRET: 'split-secret',
    });
  });
  afterAll(async () => { await ctx.close(); });

  it('refuses provider webhooks with 503 and stores nothing, but still queues an admin resync', async () => {
    const hook = await ctx.http().post('/webhooks/stratech/split-secret').send({ eventType: 'Authorization.revoked', eventData: { organizationReference: 'org_1' } });
    expect(hook.status).toBe(503);
    expect(hook.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events`))[0].n).toBe(0);

    const conn = await ctx.newConnection({ provider: 'stratech', externalId: 'org_split' });
    const res = await ctx.admin.post(`/admin/connections/${conn.id}/resync`).expect(202);
    expect(res.body.status).toBe('accepted');
    const rows = await ctx.db.query(`SELECT provider, status, connection_id FROM inbound_events WHERE id = $1`, [res.body.eventId]);
    expect(rows).toEqual([{ provider: 'stratech', status: 'pending', connection_id: conn.id }]);
  });
});

describe('worker shutdown', () => {
  it('puts claimed events that never started back in line, their claim not counted', async () => {
    const owner = await startTestApp({ WORKER: 'off' });
    const ctx = await startTestApp({ WORKER_CONCURRENCY: '1' }, { shareDatabaseWith: owner });
    try {
      const handler = new ScriptedHandler(P, 'shutdown');
      install(ctx, handler);
      let open!: () => void;
      handler.gates.set(1, new Promise<void>((r) => { open = r; }));
      const running = await intake(ctx).accept(envelope(P, 1, 'p-s1'));
      await waitFor(async () => handler.calls.some((c) => c.n === 1));
      // With the one slot busy, the next event is claimed ahead and waits in the worker.
      const waiting = await intake(ctx).accept(envelope(P, 2, 'p-s2'));
      await waitFor(async () => (await statusOf(owner, waiting.eventId)).status === 'processing');
      const closing = ctx.close();
      open();
      await closing;
      expect(handler.calls.map((c) => c.n)).toEqual([1]);
      const [row] = await owner.db.query('SELECT status, attempts, locked_until FROM inbound_events WHERE id = $1', [waiting.eventId]);
      expect(row).toEqual({ status: 'pending', attempts: 0, locked_until: null });
      expect((await statusOf(owner, running.eventId)).status).toBe('done');
    } finally {
      await owner.close();
    }
  });
});
