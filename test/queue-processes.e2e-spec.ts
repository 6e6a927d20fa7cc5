import { Client } from 'pg';
import { signSyncaroo, SyncarooFake, syncarooWebhook } from './fakes/syncaroo-fake.server';
import { ChildServer, startChildServer, stopChildServers } from './support/child-server';
import { ENCRYPTION_KEY } from './support/test-app';
import { createTestDatabase } from './support/test-database';
import { waitFor } from './support/wait-for';

/**
 * The queue across real processes (issue 9): child processes running src/main.ts on one database, a fake
 * Syncaroo on loopback. Events are observed from outside: webhook answers, the calls the fake got, rows.
 */
const SECRET = 'queue-processes-webhook-secret';
const ADMIN = 'queue-processes-admin-token';
const LOC = 'loc-q';
const SYNC_LOC = 'sync-loc-q';

describe('queue across processes', () => {
  let fake: SyncarooFake;
  let db: { url: string; drop(): Promise<void> };
  let sql: Client;
  const env = () => ({
    DATABASE_URL: db.url, ADMIN_TOKEN: ADMIN, ENCRYPTION_KEY, HANDLER_TIMEOUT_MS: '60000', WORKER_CONCURRENCY: '2',
    RETRY_SCHEDULE: '0.05,0.1,0.2', LOG_LEVEL: 'info', ...fake.env(SECRET),
  });
  const resourcePath = (sid: string, v?: number) => `/api/v1/555/locations/${SYNC_LOC}/resources/${sid}${v === undefined ? '' : `/v/${v}`}`;
  const send = async (server: ChildServer, sid: string, v?: number): Promise<{ http: number; status: string; eventId: string }> => {
    const body = signSyncaroo(syncarooWebhook({ connectionId: 555, locationId: LOC, syncarooId: sid, apiUrl: `${fake.baseUrl}${resourcePath(sid, v)}` }), SECRET);
    const res = await fetch(`${server.url}/webhooks/syncaroo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { http: res.status, ...((await res.json()) as { status: string; eventId: string }) };
  };
  const event = async (id: string) => (await sql.query(`SELECT status, attempts FROM inbound_events WHERE id = $1`, [id])).rows[0];
  const admin = (server: ChildServer, path: string, body: unknown) => fetch(`${server.url}${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });

  beforeEach(async () => {
    fake = await SyncarooFake.start();
    db = await createTestDatabase();
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  });
  afterEach(async () => {
    await stopChildServers();
    await sql.end();
    await fake.close();
    await db.drop();
  });

  async function connect(server: ChildServer): Promise<void> {
    const created = await admin(server, '/admin/connections', { provider: 'syncaroo', externalId: '555' });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await admin(server, `/admin/connections/${id}/locations`, { locationId: LOC, externalId: SYNC_LOC })).status).toBe(201);
  }

  it('a worker whose claim expired (process paused) cannot finish the event another worker took over, nor let the next one start', async () => {
    const first = await startChildServer(env());
    await connect(first);
    const sid = 'res-fenced';
    fake.set(resourcePath(sid), { id: sid, name: 'v1', type: 'meeting-room', capacity: 4 });
    const gate1 = fake.gate(resourcePath(sid));
    const w1 = await send(first, sid);
    expect(w1.http).toBe(202);
    await waitFor(async () => gate1.waiting() === 1);

    // The first process stalls mid-event; its claim expires (as after a pause longer than the lock).
    first.proc.kill('SIGSTOP');
    try {
      const hasItems = (await sql.query(`SELECT to_regclass('event_partitions') IS NOT NULL AS yes`)).rows[0].yes;
      if (hasItems) await sql.query(`UPDATE event_partitions SET ready_at = now() - interval '1 second' WHERE claim_token IS NOT NULL`);
      await sql.query(`UPDATE inbound_events SET locked_until = now() - interval '1 second' WHERE id = $1`, [w1.eventId]);
      // Its fetch is answered while it is stopped; it reads the answer only when it resumes.
      gate1.release();
      const gate2 = fake.gate(resourcePath(sid));

      const second = await startChildServer(env());
      await waitFor(async () => gate2.waiting() === 1, 20000);
      expect(await event(w1.eventId)).toEqual({ status: 'processing', attempts: 2 });
      const w2 = await send(second, sid);
      expect(w2.http).toBe(202);

      // The stale worker resumes, writes (it cannot be stopped from doing that) and tries to finish.
      first.proc.kill('SIGCONT');
      await waitFor(async () => first.output().includes(w1.eventId) && /event processed/.test(first.output().split(w1.eventId).slice(1).join('')), 20000);
      // The event stays the second worker's, and the item's next event has not started beside it.
      expect(await event(w1.eventId)).toEqual({ status: 'processing', attempts: 2 });
      expect(await event(w2.eventId)).toEqual({ status: 'pending', attempts: 0 });
      expect(gate2.waiting()).toBe(1);

      fake.set(resourcePath(sid), { id: sid, name: 'v2', type: 'meeting-room', capacity: 4 });
      gate2.release();
      await waitFor(async () => (await event(w2.eventId)).status === 'done', 20000);
      expect(await event(w1.eventId)).toEqual({ status: 'done', attempts: 2 });
      const { rows } = await sql.query(`SELECT name, status FROM resources WHERE external_id = $1`, [sid]);
      expect(rows).toEqual([{ name: 'v2', status: 'active' }]);
    } finally {
      first.proc.kill('SIGCONT');
    }
  });

  it('two processes taking webhooks of the same items at once apply each item in the order answered, one at a time', async () => {
    const a = await startChildServer(env());
    const b = await startChildServer(env());
    await connect(a);
    const items = ['res-o1', 'res-o2', 'res-o3'];
    const rounds = 12;
    for (const sid of items) for (let v = 0; v < rounds; v++) fake.set(resourcePath(sid, v), { id: sid, name: `${sid} v${v}`, type: 'meeting-room', capacity: v + 1 });
    // Per item, each webhook is sent once the previous one was answered, alternating processes; the items go in parallel.
    const answered = new Map<string, string[]>();
    await Promise.all(items.map(async (sid, i) => {
      const ids: string[] = [];
      for (let v = 0; v < rounds; v++) {
        const res = await send((v + i) % 2 === 0 ? a : b, sid, v);
        expect(res.http).toBe(202);
        ids.push(res.eventId);
      }
      answered.set(sid, ids);
    }));
    const all = [...answered.values()].flat();
    await waitFor(async () => (await sql.query(`SELECT count(*)::int AS n FROM inbound_events WHERE id = ANY($1) AND status = 'done'`, [all])).rows[0].n === all.length, 30000);
    for (const sid of items) {
      const fetched = fake.calls.filter((c) => c.method === 'GET' && c.path.startsWith(`${resourcePath(sid)}/v/`)).map((c) => Number(c.path.split('/').pop()));
      expect(fetched).toEqual(Array.from({ length: rounds }, (_, v) => v));
      const { rows } = await sql.query(`SELECT name FROM resources WHERE external_id = $1`, [sid]);
      expect(rows).toEqual([{ name: `${sid} v${rounds - 1}` }]);
    }
    // Both processes worked events.
    expect(a.output()).toMatch(/event processed/);
    expect(b.output()).toMatch(/event processed/);
  });
});
