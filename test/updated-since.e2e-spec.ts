import { Client } from 'pg';
import { startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';

type Json = Record<string, any>;

/**
 * `GET /resources?updatedSince` is a change feed ordered by (updated_at, id). updated_at is now(), the writing
 * transaction's start time, so a long transaction commits rows with an old timestamp. The feed serves only rows
 * below a commit watermark (the start of the oldest transaction still open in the database, else now()), so a
 * consumer that moves its updatedSince to the last updatedAt it saw never steps over a row committed later.
 */
describe('GET /resources?updatedSince — commit watermark', () => {
  let ctx: TestContext;
  let connectionId: string;
  const others: Client[] = [];

  async function otherClient(): Promise<Client> {
    const c = new Client({ connectionString: ctx.databaseUrl });
    await c.connect();
    others.push(c);
    return c;
  }

  async function insertResource(id: string, updatedAt = '2026-01-01T00:00:00Z'): Promise<void> {
    await ctx.db.query(
      `INSERT INTO resources (id, location_id, connection_id, type, name, status, provider, external_id, attributes, source_hash, updated_at)
       VALUES ($1, 'us-loc', $2, 'meeting-room', $1, 'active', 'syncaroo', $1, '{}', 'h', $3)`,
      [id, connectionId, updatedAt],
    );
  }

  /** The database clock as the API writes it (ISO, milliseconds floored): a safe `updatedSince`. */
  async function dbNow(): Promise<string> {
    const [{ t }] = await ctx.db.query(`SELECT now() AS t`);
    return (t as Date).toISOString();
  }

  async function feed(since: string, limit = 100): Promise<Json> {
    const res = await ctx.reader.get(`/resources?updatedSince=${encodeURIComponent(since)}&limit=${limit}`).expect(200);
    return res.body;
  }

  /** All pages from `since`, as a consumer follows nextCursor. */
  async function feedAll(since: string, limit: number): Promise<Json[]> {
    const items: Json[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/resources?updatedSince=${encodeURIComponent(since)}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await ctx.reader.get(path).expect(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return items;
  }

  const ids = (body: Json) => body.items.map((r: Json) => r.id);
  /** The consumer's next updatedSince: the updatedAt of the last item it saw, else the one it used. */
  const advance = (since: string, items: Json[]) => (items.length ? items[items.length - 1].updatedAt : since);

  beforeAll(async () => {
    // No worker: nothing but the test's own sessions opens transactions in this database.
    ctx = await startTestApp({ WORKER: 'off' });
    const conn = await ctx.newConnection({ provider: 'syncaroo', externalId: '7301' });
    connectionId = conn.id;
    await ctx.newLocation(conn.id, { locationId: 'us-loc' });
    for (const id of ['us_r1', 'us_r2', 'us_r3', 'us_r4', 'us_r5']) await insertResource(id);
  });
  afterEach(async () => {
    for (const c of others.splice(0)) await c.end().catch(() => undefined);
  });
  afterAll(async () => { await ctx.close(); });

  it('withholds a row committed after a later one until the long transaction commits; the consumer never skips it', async () => {
    const start = await dbNow();
    const late = await otherClient();
    await late.query('BEGIN');
    await late.query(`UPDATE resources SET name = 'late', updated_at = now() WHERE id = 'us_r1'`);
    // Autocommit: R2 is committed first, with a later updated_at than R1 will carry.
    await ctx.db.query(`UPDATE resources SET name = 'early', updated_at = now() WHERE id = 'us_r2'`);

    // R1 is not visible yet; returning R2 now would move the consumer past R1's timestamp for good.
    const first = await feed(start);
    expect(ids(first)).toEqual([]);
    const next = advance(start, first.items);

    await late.query('COMMIT');

    const after = await waitFor(async () => {
      const body = await feed(start);
      return ids(body).length === 2 ? body : null;
    });
    expect(ids(after)).toEqual(['us_r1', 'us_r2']);
    expect(after.items.map((r: Json) => r.name)).toEqual(['late', 'early']);
    expect(after.items[0].updatedAt < after.items[1].updatedAt).toBe(true);
    // The consumer polls from where the first answer left it: R1 is there, then R2.
    expect(ids(await feed(next))).toEqual(['us_r1', 'us_r2']);
  });

  it('a transaction open but not yet written holds back rows updated after it started; an idle session does not', async () => {
    const idle = await otherClient();
    await idle.query('SELECT 1'); // connected, no transaction open: never holds anything back
    const start = await dbNow();
    const reader = await otherClient();
    await reader.query('BEGIN');
    await reader.query('SELECT 1'); // open, no xid yet: it may still write with its start time
    await ctx.db.query(`UPDATE resources SET updated_at = now() WHERE id = 'us_r3'`);
    expect(ids(await feed(start))).toEqual([]);
    // It writes late, with its start time, below us_r3's.
    await reader.query(`UPDATE resources SET updated_at = now() WHERE id = 'us_r4'`);
    expect(ids(await feed(start))).toEqual([]);
    await reader.query('COMMIT');
    const body = await waitFor(async () => {
      const b = await feed(start);
      return ids(b).length === 2 ? b : null;
    });
    expect(ids(body)).toEqual(['us_r4', 'us_r3']);
  });

  it('with no transaction open, a committed change is served at once and pages in (updatedAt, id) order', async () => {
    const start = await dbNow();
    // One statement: three rows with one updated_at (the id breaks the tie), then two more later.
    await ctx.db.query(`UPDATE resources SET updated_at = now() WHERE id IN ('us_r1', 'us_r2', 'us_r3')`);
    await ctx.db.query(`UPDATE resources SET updated_at = now() WHERE id = 'us_r5'`);
    await ctx.db.query(`UPDATE resources SET updated_at = now() WHERE id = 'us_r4'`);
    const items = await waitFor(async () => {
      const all = await feedAll(start, 1);
      return all.length === 5 ? all : null;
    });
    expect(items.map((r) => r.id)).toEqual(['us_r1', 'us_r2', 'us_r3', 'us_r5', 'us_r4']);
    // Page by page with limit=2, the consumer pattern from the same start sees each row once.
    expect((await feedAll(start, 2)).map((r) => r.id)).toEqual(['us_r1', 'us_r2', 'us_r3', 'us_r5', 'us_r4']);
  });

  it('pages below the watermark: rows before the open transaction page out, the rest wait', async () => {
    const start = await dbNow();
    await ctx.db.query(`UPDATE resources SET updated_at = now() WHERE id = 'us_r2'`);
    await ctx.db.query(`SELECT pg_sleep(0.002)`); // us_r1's millisecond-floored updatedAt stays above us_r2's
    await ctx.db.query(`UPDATE resources SET updated_at = now() WHERE id = 'us_r1'`);
    const open = await otherClient();
    await open.query('BEGIN');
    await open.query(`UPDATE resources SET updated_at = now() WHERE id = 'us_r5'`);
    await ctx.db.query(`UPDATE resources SET updated_at = now() WHERE id = 'us_r3'`);
    // us_r2 and us_r1 were committed before `open` started: they are served, page by page; us_r3 waits.
    const before = await waitFor(async () => {
      const all = await feedAll(start, 1);
      return all.some((r) => r.id === 'us_r1') ? all : null;
    });
    expect(before.map((r) => r.id)).toEqual(['us_r2', 'us_r1']);
    const next = advance(start, before);
    await open.query('COMMIT');
    const rest = await waitFor(async () => {
      const all = await feedAll(next, 1);
      return all.length === 3 ? all : null;
    });
    expect(rest.map((r) => r.id)).toEqual(['us_r1', 'us_r5', 'us_r3']);
  });
});
