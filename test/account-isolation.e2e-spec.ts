import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { LockmeFake } from './fakes/lockme-fake.server';
import {
  adminClient, Client, client, CreatedKey, expectNoSecretsIn, expectProblem, expectStatus, Json, login, newAccount, newKey, newUser, NON_ADMIN_SCOPES,
  Recorder, Session, uniq,
} from './support/accounts-fixtures';
import { READ_TOKEN, startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';
import { insertLosCellsSql } from './support/los-cells';

/**
 * CONTRACT.md section 8: an account-scoped credential sees and changes its own account's data only. Two
 * accounts A and B, each with a Syncaroo connection mapped to its own location (resources, bookings,
 * availability, LOS rows seeded by SQL), a pending Lockme connection and events. A key of one account with
 * every non-admin scope, and a signed-in user of it: its lists hold only its rows, the other account's items are
 * 404 (never 403), and changes aimed at them are 404 and change nothing. Run both ways (A vs B, B vs A), for
 * the key and for the session (with its CSRF token). Global credentials see both.
 */

interface Tenant {
  label: string;
  account: Json;
  sync: Json; // Syncaroo connection
  lockme: Json; // pending Lockme connection
  loc: string; // location mapped to `sync`
  res: string; // resource in `loc`
  res2: string; // a second resource in `loc`
  event: string; // a dead event of `sync`
  spareEvents: Record<Kind, string>; // dead events of `sync`, replayed by the account's own key / session
  key: CreatedKey; // every non-admin scope, bound to the account
  session: Session; // a signed-in user of the account (every scope but admin)
}

type Kind = 'key' | 'session';

describe('account isolation (section 8)', () => {
  let ctx: TestContext;
  let lockme: LockmeFake;
  const rec = new Recorder();
  let admin: Client;
  const t: Record<'A' | 'B', Tenant> = {} as Record<'A' | 'B', Tenant>;
  // Data of no account: a global connection, its location, resource and event, and an event of no connection.
  const free = { loc: '', res: '', sync: {} as Json, event: '', orphanEvent: '' };
  const as = (token: string) => client(ctx, rec, { bearer: token });
  let syncarooId = 880000;

  async function insertEvent(connectionId: string | null): Promise<string> {
    const [row] = await ctx.db.query(
      `INSERT INTO inbound_events (provider, connection_id, event_type, status, partition_key, priority, payload, headers, received_at, processed_at, attempts, last_error)
       VALUES ('syncaroo', $1, 'resources', 'dead', $2, 5, '{"seeded": true}', '{}', now(), now(), 3, 'seeded as dead') RETURNING id`,
      [connectionId, `iso:${randomUUID()}`],
    );
    return row.id;
  }

  async function insertInventory(connectionId: string, locationId: string, resources: string[]): Promise<void> {
    for (const id of resources) {
      await ctx.db.query(
        `INSERT INTO resources (id, location_id, connection_id, type, name, capacity, status, provider, external_id, attributes, source_hash, updated_at)
         VALUES ($1, $2, $3, 'meeting-room', $1, 6, 'active', 'syncaroo', $1, '{}', 'h', '2026-01-01T00:00:00Z')`,
        [id, locationId, connectionId],
      );
    }
    const r = resources[0];
    await ctx.db.query(
      `INSERT INTO bookings (resource_id, connection_id, provider, external_id, starts_at, ends_at, status, people, updated_at)
       VALUES ($1, $2, 'syncaroo', $3, '2026-03-01T08:00:00Z', '2026-03-01T09:00:00Z', 'confirmed', 2, '2026-02-20T12:00:00Z')`,
      [r, connectionId, `bk-${r}`],
    );
    await ctx.db.query(
      `INSERT INTO availability_windows (resource_id, connection_id, starts_at, ends_at)
       VALUES ($1, $2, '2026-05-01T08:00:00Z', '2026-05-01T09:00:00Z'), ($1, $2, '2026-05-01T10:00:00Z', '2026-05-01T11:00:00Z')`,
      [r, connectionId],
    );
    await ctx.db.query(
      // As the dataset writer does: the rows carry their listing's account.
      insertLosCellsSql(`SELECT $1::varchar AS resource_id, 'web' AS channel, date '2027-04-01' + d AS arrival_date, 2 AS length_of_stay,
              $2::varchar AS location_id, $3::uuid AS connection_id, 3 AS units_available, 199.5 AS price, 'EUR' AS currency,
              '2026-02-02T00:00:00Z'::timestamptz AS updated_at, (SELECT account_id FROM locations WHERE id = $2::varchar) AS account_id
         FROM generate_series(0, 2) d`),
      [r, locationId, connectionId],
    );
  }

  async function tenant(label: string): Promise<Tenant> {
    const account = await newAccount(ctx, rec, { name: `Operator ${label}` });
    syncarooId += 1;
    const sync = await admin.post('/admin/connections').send({ provider: 'syncaroo', externalId: String(syncarooId), name: `${label} sync`, accountId: account.id });
    expectStatus(sync, 201);
    const lm = await admin.post('/admin/connections').send({ provider: 'lockme', name: `${label} escape rooms`, accountId: account.id });
    expectStatus(lm, 201);
    const loc = `iso-${label}-${uniq('loc')}`;
    expectStatus(await admin.post(`/admin/connections/${sync.body.id}/locations`).send({ locationId: loc, name: `${label} location`, timezone: 'Europe/Amsterdam' }), 201);
    const res = `r-iso-${label}-1`;
    const res2 = `r-iso-${label}-2`;
    await insertInventory(sync.body.id, loc, [res, res2]);
    const event = await insertEvent(sync.body.id);
    const spareEvents = { key: await insertEvent(sync.body.id), session: await insertEvent(sync.body.id) };
    const key = await newKey(ctx, rec, { name: `${label} integration`, scopes: [...NON_ADMIN_SCOPES], accountId: account.id });
    const user = await newUser(ctx, rec, account.id);
    const session = await login(ctx, rec, { email: user.email, password: user.password });
    return { label, account, sync: sync.body, lockme: lm.body, loc, res, res2, event, spareEvents, key, session };
  }

  /** What belongs to an account right now, straight from the database. */
  async function owned(x: Tenant): Promise<{ connections: string[]; locations: string[]; resources: string[]; events: string[]; los: number }> {
    const ids = async (sql: string) => (await ctx.db.query(sql, [x.account.id])).map((r: { id: string }) => r.id).sort();
    return {
      connections: await ids('SELECT id FROM connections WHERE account_id = $1'),
      locations: await ids('SELECT id FROM locations WHERE account_id = $1'),
      resources: await ids('SELECT r.id FROM resources r JOIN locations l ON l.id = r.location_id WHERE l.account_id = $1'),
      events: await ids('SELECT e.id FROM inbound_events e JOIN connections c ON c.id = e.connection_id WHERE c.account_id = $1'),
      los: (await ctx.db.query('SELECT count(*)::int AS n FROM los_rows r JOIN locations l ON l.id = r.location_id WHERE l.account_id = $1', [x.account.id]))[0].n,
    };
  }

  /** Every row of the account's data that a change could touch. */
  async function snapshot(x: Tenant): Promise<unknown> {
    const q = (sql: string) => ctx.db.query(sql, [x.account.id]);
    const conns = `SELECT id FROM connections WHERE account_id = $1`;
    return {
      account: await q('SELECT * FROM accounts WHERE id = $1'),
      connections: await q(`SELECT id, provider, external_id, name, status, md5(coalesce(credentials, ''::bytea)) AS creds, webhook_key_hash, account_id, updated_at
                              FROM connections WHERE account_id = $1 ORDER BY id`),
      mappings: await q(`SELECT * FROM location_mappings WHERE connection_id IN (${conns}) ORDER BY location_id`),
      locations: await q('SELECT * FROM locations WHERE account_id = $1 ORDER BY id'),
      resources: await q(`SELECT id, location_id, connection_id, status, name, updated_at FROM resources WHERE connection_id IN (${conns}) ORDER BY id`),
      bookings: await q(`SELECT id, status, starts_at, updated_at FROM bookings WHERE connection_id IN (${conns}) ORDER BY id`),
      availability: await q(`SELECT resource_id, starts_at, ends_at FROM availability_windows WHERE connection_id IN (${conns}) ORDER BY resource_id, starts_at`),
      los: await q(`SELECT resource_id, channel, arrival_date, length_of_stay, units_available, updated_at FROM los_rows WHERE connection_id IN (${conns})
                     ORDER BY resource_id, channel, arrival_date, length_of_stay`),
      // Not the spare event: its own account replays it in the positive control, and the worker may still be at it.
      events: await ctx.db.query(`SELECT id, status, attempts, next_attempt_at, processed_at, last_error FROM inbound_events
                                   WHERE connection_id IN (${conns}) AND id <> ALL($2::uuid[]) ORDER BY id`, [x.account.id, Object.values(x.spareEvents)]),
      oauthStates: await q(`SELECT nonce_hash FROM oauth_states WHERE connection_id IN (${conns})`),
    };
  }

  beforeAll(async () => {
    lockme = await LockmeFake.start();
    ctx = await startTestApp({ ...lockme.env, ...(process.env.TEST_LOG_LEVEL ? { LOG_LEVEL: process.env.TEST_LOG_LEVEL } : {}) });
    admin = adminClient(ctx, rec);
    t.A = await tenant('A');
    t.B = await tenant('B');
    syncarooId += 1;
    const g = await admin.post('/admin/connections').send({ provider: 'syncaroo', externalId: String(syncarooId), name: 'global' });
    expectStatus(g, 201);
    free.sync = g.body;
    free.loc = uniq('iso-free');
    expectStatus(await admin.post(`/admin/connections/${g.body.id}/locations`).send({ locationId: free.loc }), 201);
    free.res = 'r-iso-free-1';
    await insertInventory(g.body.id, free.loc, [free.res]);
    free.event = await insertEvent(g.body.id);
    free.orphanEvent = await insertEvent(null);
  });
  afterAll(async () => {
    await ctx?.close();
    await lockme?.close();
  });

  it('the seed is what the matrix assumes: each account owns its connections, location and rows; the free data is of no account', async () => {
    for (const x of [t.A, t.B]) {
      expect(x.sync.accountId).toBe(x.account.id);
      expect(x.lockme.accountId).toBe(x.account.id);
      const o = await owned(x);
      expect(o.connections).toEqual([x.sync.id, x.lockme.id].sort());
      expect(o.locations).toEqual([x.loc]);
      expect(o.resources).toEqual([x.res, x.res2].sort());
      expect(o.events).toEqual([x.event, ...Object.values(x.spareEvents)].sort());
      expect(x.session.user).toMatchObject({ accountId: x.account.id, admin: false });
      expect(o.los).toBe(3);
    }
    expect((await ctx.db.query('SELECT account_id FROM locations WHERE id = $1', [free.loc]))[0].account_id).toBeNull();
  });

  const pairs: Array<[string, 'A' | 'B', 'A' | 'B', Kind]> = [
    ['A vs B, account key', 'A', 'B', 'key'],
    ['B vs A, account key', 'B', 'A', 'key'],
    ['A vs B, user session', 'A', 'B', 'session'],
    ['B vs A, user session', 'B', 'A', 'session'],
  ];

  describe.each(pairs)('%s', (_label, meName, otherName, kind) => {
    const me = () => t[meName];
    const other = () => t[otherName];
    const mine = () => (kind === 'key' ? as(me().key.key) : client(ctx, rec, { cookie: me().session.cookie, csrf: me().session.csrf }));

    /** A list through the account key: 200, and [ids of the items, the items]. */
    async function list(path: string): Promise<Json[]> {
      const res = await mine().get(path);
      expectStatus(res, 200);
      expect(Object.keys(res.body)).toEqual(expect.arrayContaining(['items']));
      return res.body.items;
    }

    const lists: Array<[string, () => string, (items: Json[], o: Awaited<ReturnType<typeof owned>>) => void]> = [
      ['GET /locations', () => '/locations?limit=500', (items, o) => {
        expect(items.map((i) => i.id)).toContain(me().loc);
        for (const i of items) expect(o.locations).toContain(i.id);
      }],
      ['GET /resources', () => '/resources?limit=500', (items, o) => {
        expect(items.map((i) => i.id)).toEqual(expect.arrayContaining([me().res, me().res2]));
        for (const i of items) expect(o.resources).toContain(i.id);
      }],
      ['GET /resources?locationId={other’s}', () => `/resources?locationId=${other().loc}`, (items) => expect(items).toEqual([])],
      ['GET /resources?updatedSince', () => '/resources?updatedSince=2000-01-01T00:00:00Z&limit=500', (items, o) => {
        expect(items.length).toBeGreaterThan(0);
        for (const i of items) expect(o.resources).toContain(i.id);
      }],
      ['GET /los', () => '/los?limit=500', (items, o) => {
        expect(items).toHaveLength(o.los);
        for (const i of items) expect(o.resources).toContain(i.resourceId);
      }],
      ['GET /los?locationId={other’s}', () => `/los?locationId=${other().loc}`, (items) => expect(items).toEqual([])],
      ['GET /los?resourceId={other’s}', () => `/los?resourceId=${other().res}`, (items) => expect(items).toEqual([])],
      ['GET /los?channel=web', () => '/los?channel=web&limit=500', (items, o) => {
        expect(items).toHaveLength(o.los);
        for (const i of items) expect(o.resources).toContain(i.resourceId);
      }],
      ['GET /admin/connections', () => '/admin/connections?limit=500', (items, o) => {
        expect(items.map((i) => i.id)).toEqual(expect.arrayContaining([me().sync.id, me().lockme.id]));
        for (const i of items) {
          expect(o.connections).toContain(i.id);
          expect(i.accountId).toBe(me().account.id);
        }
      }],
      ['GET /admin/connections/{own}/locations', () => `/admin/connections/${me().sync.id}/locations`, (items) => {
        expect(items.map((i) => i.locationId)).toContain(me().loc);
        expect(items.map((i) => i.locationId)).not.toContain(other().loc);
      }],
      ['GET /admin/events', () => '/admin/events?limit=500', (items, o) => {
        expect(items.map((i) => i.id)).toEqual(expect.arrayContaining([me().event]));
        for (const i of items) {
          expect(o.events).toContain(i.id);
          expect(i.connectionId).not.toBeNull();
        }
      }],
      ['GET /admin/events?connectionId={other’s}', () => `/admin/events?connectionId=${other().sync.id}`, (items) => expect(items).toEqual([])],
      ['GET /admin/events?connectionId={global}', () => `/admin/events?connectionId=${free.sync.id}`, (items) => expect(items).toEqual([])],
      ['GET /admin/events?status=dead', () => '/admin/events?status=dead&limit=500', (items, o) => {
        expect(items.length).toBeGreaterThan(0);
        for (const i of items) expect(o.events).toContain(i.id);
      }],
      ['GET /admin/events?provider=syncaroo', () => '/admin/events?provider=syncaroo&limit=500', (items, o) => {
        for (const i of items) expect(o.events).toContain(i.id);
      }],
    ];
    it.each(lists)('list %s holds only its own account’s rows', async (_name, path, check) => {
      const items = await list(path());
      check(items, await owned(me()));
      const text = JSON.stringify(items);
      for (const id of [other().loc, other().res, other().res2, other().sync.id, other().lockme.id, other().event, free.loc, free.res, free.sync.id, free.event, free.orphanEvent]) {
        expect(text).not.toContain(id);
      }
    });

    const items: Array<[string, () => string, () => string]> = [
      ['GET /locations/{id}', () => `/locations/${other().loc}`, () => `/locations/${me().loc}`],
      ['GET /resources/{id}', () => `/resources/${other().res}`, () => `/resources/${me().res}`],
      ['GET /resources/{id}/bookings', () => `/resources/${other().res}/bookings`, () => `/resources/${me().res}/bookings`],
      ['GET /resources/{id}/availability', () => `/resources/${other().res}/availability`, () => `/resources/${me().res}/availability`],
      ['GET /admin/connections/{id}', () => `/admin/connections/${other().sync.id}`, () => `/admin/connections/${me().sync.id}`],
      ['GET /admin/connections/{lockme id}', () => `/admin/connections/${other().lockme.id}`, () => `/admin/connections/${me().lockme.id}`],
      ['GET /admin/connections/{id}/locations', () => `/admin/connections/${other().sync.id}/locations`, () => `/admin/connections/${me().sync.id}/locations`],
      ['GET /admin/events/{id}', () => `/admin/events/${other().event}`, () => `/admin/events/${me().event}`],
      ['GET /locations/{free}', () => `/locations/${free.loc}`, () => `/locations/${me().loc}`],
      ['GET /resources/{free}', () => `/resources/${free.res}`, () => `/resources/${me().res}`],
      ['GET /admin/connections/{global}', () => `/admin/connections/${free.sync.id}`, () => `/admin/connections/${me().sync.id}`],
      ['GET /admin/events/{of no connection}', () => `/admin/events/${free.orphanEvent}`, () => `/admin/events/${me().event}`],
      ['GET /admin/events/{of the global connection}', () => `/admin/events/${free.event}`, () => `/admin/events/${me().event}`],
    ];
    it.each(items)('item %s of another account → 404 problem+json (never 403); its own → 200', async (_name, foreignPath, ownPath) => {
      const res = await mine().get(foreignPath());
      expectProblem(res, 404);
      const ownRes = await mine().get(ownPath());
      expectStatus(ownRes, 200);
      // The same answer as an id that does not exist at all: nothing tells the two apart.
      const fake = foreignPath().replace(/r-iso-[AB]-1|r-iso-free-1|iso-[AB]-[^/?]+|iso-free-[^/?]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, (m) =>
        /^[0-9a-f]{8}-/.test(m) ? randomUUID() : `${m}-none`);
      const missing = await mine().get(fake);
      expectProblem(missing, 404);
      expect(missing.body.title).toBe(res.body.title);
      expect(missing.body.type).toBe(res.body.type);
    });

    const changes: Array<[string, () => Promise<Response>]> = [
      ['PATCH /admin/connections/{id} {name}', () => mine().patch(`/admin/connections/${other().sync.id}`).send({ name: 'hijacked' })],
      ['PATCH /admin/connections/{id} {status: disabled}', () => mine().patch(`/admin/connections/${other().sync.id}`).send({ status: 'disabled' })],
      ['PATCH /admin/connections/{lockme id} {credentials}', () => mine().patch(`/admin/connections/${other().lockme.id}`).send({ credentials: { accessToken: 'stolen-access', refreshToken: 'stolen-refresh' } })],
      ['PATCH /admin/connections/{id} {accountId: own}', () => mine().patch(`/admin/connections/${other().sync.id}`).send({ accountId: me().account.id })],
      ['DELETE /admin/connections/{id}', () => mine().delete(`/admin/connections/${other().sync.id}`)],
      ['POST /admin/connections/{id}/locations {new}', () => mine().post(`/admin/connections/${other().sync.id}/locations`).send({ locationId: uniq('iso-new') })],
      ['POST /admin/connections/{id}/locations {own location}', () => mine().post(`/admin/connections/${other().sync.id}/locations`).send({ locationId: me().loc })],
      ['DELETE /admin/connections/{id}/locations/{loc}', () => mine().delete(`/admin/connections/${other().sync.id}/locations/${other().loc}`)],
      ['POST /admin/connections/{id}/resync', () => mine().post(`/admin/connections/${other().sync.id}/resync`)],
      ['POST /admin/connections/{lockme id}/resync', () => mine().post(`/admin/connections/${other().lockme.id}/resync`)],
      ['POST /admin/events/{id}/replay', () => mine().post(`/admin/events/${other().event}/replay`)],
      ['POST /admin/events/{id}/replay?force=true', () => mine().post(`/admin/events/${other().event}/replay?force=true`)],
      ['POST /admin/events/{of no connection}/replay', () => mine().post(`/admin/events/${free.orphanEvent}/replay`)],
      ['GET /connect/lockme?connectionId={id}', () => mine().get(`/connect/lockme?connectionId=${other().lockme.id}`).redirects(0)],
      ['POST /admin/connections {accountId: other’s}', () => mine().post('/admin/connections').send({ provider: 'stratech', externalId: uniq('org'), accountId: other().account.id })],
    ];
    it.each(changes)('change %s aimed at another account → 404, its rows unchanged', async (_name, call) => {
      // Work queued by earlier tests (resyncs, replays of one's own events) must have settled, or the worker's
      // own progress would read as a change made by this call.
      await waitFor(async () => (await ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events WHERE status IN ('pending', 'processing', 'failed')`))[0].n === 0, 20000);
      const before = await snapshot(other());
      const freeBefore = await ctx.db.query('SELECT status, attempts FROM inbound_events WHERE id = $1', [free.orphanEvent]);
      const res = await call();
      expectProblem(res, 404);
      expect(await snapshot(other())).toEqual(before);
      expect(await ctx.db.query('SELECT status, attempts FROM inbound_events WHERE id = $1', [free.orphanEvent])).toEqual(freeBefore);
    });

    it('mapping another account’s location to its own connection → 409, nothing mapped', async () => {
      const before = await snapshot(other());
      expectProblem(await mine().post(`/admin/connections/${me().sync.id}/locations`).send({ locationId: other().loc }), 409);
      expect(await snapshot(other())).toEqual(before);
      expect(await ctx.db.query('SELECT connection_id FROM location_mappings WHERE location_id = $1', [other().loc])).toEqual([{ connection_id: other().sync.id }]);
    });

    it('moving its own connection to another account is refused and changes nothing', async () => {
      const spare = await admin.post('/admin/connections').send({ provider: 'stratech', externalId: uniq('org'), accountId: me().account.id });
      expectStatus(spare, 201);
      const res = await mine().patch(`/admin/connections/${spare.body.id}`).send({ accountId: other().account.id });
      if (![400, 403, 404].includes(res.status)) throw new Error(`expected 400/403/404, got ${res.status} ${res.text}`);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect((await ctx.db.query('SELECT account_id FROM connections WHERE id = $1', [spare.body.id]))[0].account_id).toBe(me().account.id);
    });

    it('the same changes on its own rows are allowed (the 404s above are about ownership, not the routes)', async () => {
      const k = mine();
      const renamed = await k.patch(`/admin/connections/${me().sync.id}`).send({ name: `${meName} renamed` });
      expectStatus(renamed, 200);
      expect(renamed.body).toMatchObject({ id: me().sync.id, name: `${meName} renamed`, accountId: me().account.id });
      const loc = uniq(`iso-${meName}-extra`);
      expectStatus(await k.post(`/admin/connections/${me().sync.id}/locations`).send({ locationId: loc }), 201);
      expect((await ctx.db.query('SELECT account_id FROM locations WHERE id = $1', [loc]))[0].account_id).toBe(me().account.id);
      expectStatus(await k.delete(`/admin/connections/${me().sync.id}/locations/${loc}`), 204);
      const replay = await k.post(`/admin/events/${me().spareEvents[kind]}/replay`);
      expectStatus(replay, 202);
      const connect = await k.get(`/connect/lockme?connectionId=${me().lockme.id}`).redirects(0);
      expectStatus(connect, 302);
      const resync = await k.post(`/admin/connections/${me().sync.id}/resync`);
      // Syncaroo is not configured in this app, so a resync may be refused; but not as "not found".
      expect(resync.status).not.toBe(404);
      expect(resync.status).toBeLessThan(500);
    });
  });

  describe('global credentials see every account', () => {
    it('ADMIN_TOKEN lists both accounts’ and the free rows on every list', async () => {
      const ids = async (path: string, key = 'id') => ((await admin.get(path)).body.items as Json[]).map((i) => i[key]);
      expect(await ids('/locations?limit=500')).toEqual(expect.arrayContaining([t.A.loc, t.B.loc, free.loc]));
      expect(await ids('/resources?limit=500')).toEqual(expect.arrayContaining([t.A.res, t.B.res, free.res]));
      expect(await ids('/los?limit=500', 'resourceId')).toEqual(expect.arrayContaining([t.A.res, t.B.res, free.res]));
      expect(await ids('/admin/connections?limit=500')).toEqual(expect.arrayContaining([t.A.sync.id, t.B.sync.id, t.A.lockme.id, t.B.lockme.id, free.sync.id]));
      expect(await ids('/admin/events?limit=500')).toEqual(expect.arrayContaining([t.A.event, t.B.event, free.event, free.orphanEvent]));
      for (const x of [t.A, t.B]) {
        expectStatus(await admin.get(`/resources/${x.res}/bookings`), 200);
        expectStatus(await admin.get(`/admin/events/${x.event}`), 200);
        expect((await admin.get(`/admin/connections/${x.sync.id}`)).body.accountId).toBe(x.account.id);
      }
      expect((await admin.get(`/admin/events/${free.orphanEvent}`)).body.connectionId).toBeNull();
    });

    it('READ_TOKEN reads both accounts’ inventory', async () => {
      const r = as(READ_TOKEN);
      const ids = async (path: string, key = 'id') => ((await r.get(path)).body.items as Json[]).map((i) => i[key]);
      expect(await ids('/locations?limit=500')).toEqual(expect.arrayContaining([t.A.loc, t.B.loc, free.loc]));
      expect(await ids('/resources?limit=500')).toEqual(expect.arrayContaining([t.A.res, t.B.res, free.res]));
      expect(await ids('/los?limit=500', 'resourceId')).toEqual(expect.arrayContaining([t.A.res, t.B.res, free.res]));
      for (const x of [t.A, t.B]) {
        expectStatus(await r.get(`/locations/${x.loc}`), 200);
        expectStatus(await r.get(`/resources/${x.res}`), 200);
        const b = await r.get(`/resources/${x.res}/bookings`);
        expect(b.body.items.map((i: Json) => i.externalId)).toEqual([`bk-${x.res}`]);
        expect((await r.get(`/resources/${x.res}/availability`)).body.items).toHaveLength(2);
      }
    });

    it('a global key (no accountId) with every non-admin scope sees both accounts too', async () => {
      const g = await newKey(ctx, rec, { scopes: [...NON_ADMIN_SCOPES] });
      const k = as(g.key);
      const conns = ((await k.get('/admin/connections?limit=500')).body.items as Json[]).map((i) => i.id);
      expect(conns).toEqual(expect.arrayContaining([t.A.sync.id, t.B.sync.id, free.sync.id]));
      const events = ((await k.get('/admin/events?limit=500')).body.items as Json[]).map((i) => i.id);
      expect(events).toEqual(expect.arrayContaining([t.A.event, t.B.event, free.orphanEvent]));
      expectStatus(await k.get(`/admin/events/${free.orphanEvent}`), 200);
    });
  });

  describe('a listing given to an account later', () => {
    // The read rule is the account column of the row read (resources, los_rows), kept by the database with the
    // location's: a listing of no account whose connection is then given to A is A's on every read route at once.
    it('a key of the account sees its resources, bookings and LOS rows only after the connection is given to it', async () => {
      syncarooId += 1;
      const c = await admin.post('/admin/connections').send({ provider: 'syncaroo', externalId: String(syncarooId), name: 'later' });
      expectStatus(c, 201);
      const loc = uniq('iso-later');
      expectStatus(await admin.post(`/admin/connections/${c.body.id}/locations`).send({ locationId: loc }), 201);
      const res = `r-iso-later-${syncarooId}`;
      await insertInventory(c.body.id, loc, [res]);
      const k = as(t.A.key.key);
      const reads = async () => ({
        byLocation: ((await k.get(`/resources?locationId=${loc}`)).body.items as Json[]).map((i) => i.id),
        resource: (await k.get(`/resources/${res}`)).status,
        bookings: (await k.get(`/resources/${res}/bookings`)).status,
        losByResource: ((await k.get(`/los?resourceId=${res}`)).body.items as Json[]).length,
        losByLocation: ((await k.get(`/los?locationId=${loc}`)).body.items as Json[]).length,
        losOfAccount: ((await k.get('/los?limit=500')).body.items as Json[]).filter((i) => i.resourceId === res).length,
      });
      expect(await reads()).toEqual({ byLocation: [], resource: 404, bookings: 404, losByResource: 0, losByLocation: 0, losOfAccount: 0 });
      expectStatus(await admin.patch(`/admin/connections/${c.body.id}`).send({ accountId: t.A.account.id }), 200);
      expect(await reads()).toEqual({ byLocation: [res], resource: 200, bookings: 200, losByResource: 3, losByLocation: 3, losOfAccount: 3 });
      const other = as(t.B.key.key);
      expect(((await other.get(`/resources?locationId=${loc}`)).body.items as Json[])).toEqual([]);
      expectStatus(await other.get(`/resources/${res}`), 404);
      expect(((await other.get(`/los?resourceId=${res}`)).body.items as Json[])).toEqual([]);
    });
  });

  describe('afterwards', () => {
    it('no answer carried a key other than its creation answer, nor a password or hash', async () => {
      await expectNoSecretsIn(ctx, rec);
    });
  });
});
