import { Client } from 'pg';
import { startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * While PostgreSQL does not take the intake's INSERTs, webhooks wait in a bounded queue (INTAKE_MAX_QUEUED);
 * past it they are shed at once with 503 + Retry-After, nothing stored, instead of piling up in memory.
 */
const SECRET = 'overload-stratech-webhook-secret-4k8d';
const MAX_QUEUED = 5;
/** At most this many are stored while the table is locked: one batch of one item in each of the 2 in flight, plus the queue. */
const MAX_TAKEN = 2 + MAX_QUEUED;
const N = 40;

describe('intake sheds load past a bounded queue', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await startTestApp({
      STRATECH_CLIENT_ID: 'id', STRATECH_CLIENT_SECRET: 'overload-client-secret', STRATECH_WEBHOOK_SECRET: SECRET,
      STRATECH_API_URL: 'http://127.0.0.1:9', STRATECH_TOKEN_URL: 'http://127.0.0.1:9/{organizationReference}/token',
      INTAKE_MAX_QUEUED: String(MAX_QUEUED),
    });
  });
  afterAll(async () => { await ctx?.close(); });

  const hook = (n: number) => fetch(`${ctx.baseUrl}/webhooks/stratech/${SECRET}`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ eventType: 'Overload.test', eventData: { organizationReference: 'org_overload', n } }),
  });

  it('with INSERTs held: some webhooks answer 503 + Retry-After at once, none 500; after release every 202 is stored and no 503', async () => {
    const blocker = new Client({ connectionString: ctx.databaseUrl });
    await blocker.connect();
    const answers: Array<{ n: number; status: number; retryAfter: string | null; type: string | null; eventId?: string; contentType: string | null }> = [];
    let all: Promise<void> | undefined;
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE inbound_events IN EXCLUSIVE MODE');
      all = Promise.all(Array.from({ length: N }, async (_, n) => {
        const res = await hook(n);
        const body = (await res.json()) as { type?: string; eventId?: string };
        answers.push({ n, status: res.status, retryAfter: res.headers.get('retry-after'), type: body.type ?? null, eventId: body.eventId, contentType: res.headers.get('content-type') });
      })).then(() => undefined);
      // Those past the bound are answered while the table is still locked; the rest wait for it.
      await waitFor(async () => answers.length >= N - MAX_TAKEN, 10000);
      const [{ waiting }] = (await blocker.query(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO inbound_events%'`)).rows;
      expect(waiting).toBeGreaterThanOrEqual(1);
      expect(answers.every((a) => a.status === 503)).toBe(true);
    } finally {
      await blocker.query('COMMIT').catch(() => undefined);
      await blocker.end();
    }
    await all;

    expect(answers).toHaveLength(N);
    expect(answers.filter((a) => a.status !== 202 && a.status !== 503)).toEqual([]);
    const shed = answers.filter((a) => a.status === 503);
    const taken = answers.filter((a) => a.status === 202);
    expect(shed.length).toBeGreaterThanOrEqual(N - MAX_TAKEN);
    expect(taken.length).toBeGreaterThanOrEqual(1);
    for (const a of shed) {
      expect(a.retryAfter).toMatch(/^\d+$/);
      expect(a.contentType).toMatch(/application\/problem\+json/);
      expect(a.type).toBe('https://inventory-sync.dev/problems/overloaded');
    }

    const rows = await ctx.db.query(`SELECT id, (payload->'eventData'->>'n')::int AS n FROM inbound_events WHERE event_type = 'Overload.test'`);
    expect(rows.map((r: { n: number }) => r.n).sort((a: number, b: number) => a - b)).toEqual(taken.map((a) => a.n).sort((a, b) => a - b));
    expect(rows.map((r: { id: string }) => r.id).sort()).toEqual(taken.map((a) => a.eventId).sort());

    // The queue drained: webhooks are taken again.
    expect((await hook(N + 1)).status).toBe(202);
  });

});
