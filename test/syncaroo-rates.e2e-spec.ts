import { Client } from 'pg';
import type { EntityManager } from 'typeorm';
import { RatesRepository } from '../src/inventory/rates.repository';
import { signSyncaroo, SyncarooFake, syncarooWebhook, WebhookSpec } from './fakes/syncaroo-fake.server';
import { SyncarooPartnerClient } from './fakes/syncaroo-partner.client';
import { startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';

const SECRET = 'syncaroo-webhook-secret-for-tests';
const SYNC_LOC = '61116b1ad9fa63170734b694';
const RES = '61116c0bab789b6cc1fe0001';

describe('Syncaroo rates and tier-2 auto-mapping (CONTRACT 9.5, Rates)', () => {
  let fake: SyncarooFake;
  let ctx: TestContext;
  let conn: Record<string, any>;
  let resourceId: string;

  const resourcePath = (sid: string, cid = 555) => `/api/v1/${cid}/locations/${SYNC_LOC}/resources/${sid}`;
  const ratePath = (rid: string, cid = 555) => `${resourcePath(RES, cid)}/rates/${rid}`;
  const url = (path: string) => `${fake.baseUrl}${path}`;
  const send = async (spec: WebhookSpec): Promise<string> => {
    const res = await ctx.http().post('/webhooks/syncaroo').send(signSyncaroo(syncarooWebhook(spec), SECRET)).expect(202);
    return res.body.eventId;
  };
  const settled = (id: string, status: string) => waitFor(async () => {
    const [row] = await ctx.db.query(`SELECT status, last_error FROM inbound_events WHERE id = $1`, [id]);
    if (row.status !== status && ['done', 'dead', 'ignored', 'held'].includes(row.status)) throw new Error(`event ended ${row.status} (${row.last_error}), expected ${status}`);
    return row.status === status;
  });
  const rates = async () => (await ctx.reader.get(`/resources/${resourceId}/rates`).expect(200)).body;

  beforeAll(async () => {
    fake = await SyncarooFake.start();
    ctx = await startTestApp({ ...fake.env(SECRET), SYNCAROO_PARTNER_CLIENT_ID: 'syncaroo-partner', SYNCAROO_PARTNER_CLIENT_SECRET: 'partner-secret-0123456789abcdef', SYNCAROO_REDIRECT_URIS: 'https://app.syncaroo.test/cb' });
    conn = await ctx.newConnection({ provider: 'syncaroo', externalId: '555' });
    await ctx.newLocation(conn.id, { locationId: '11980' });
    fake.set(resourcePath(RES), { id: RES, name: 'Board Room', type: 'meeting-room', capacity: 12 });
    const first = await send({ connectionId: 555, locationId: '11980', syncarooId: RES, apiUrl: url(resourcePath(RES)) });
    await settled(first, 'done');
    [{ id: resourceId }] = await ctx.db.query(`SELECT id FROM resources WHERE external_id = $1`, [RES]);
  });
  afterAll(async () => {
    await ctx?.close();
    await fake?.close();
  });

  it('a rates webhook upserts the rate on its resource; a changed rate is updated; 404 removes it', async () => {
    fake.set(ratePath('rate-1'), { id: 'rate-1', name: 'Hourly', price: 25, currency: 'EUR', unit: 'hour' });
    const spec = { connectionId: 555, locationId: '11980', syncarooId: 'rate-1', resourceId, attributeType: 'rates', apiUrl: url(ratePath('rate-1')) };
    await settled(await send(spec), 'done');
    expect(await rates()).toEqual({ items: [{ id: 'rate-1', resourceId, name: 'Hourly', price: 25, currency: 'EUR', unit: 'hour', updatedAt: expect.stringMatching(/Z$/) }], nextCursor: null });

    fake.set(ratePath('rate-1'), { id: 'rate-1', name: 'Hourly', price: 27.5, currency: 'EUR', period: 'half-day' });
    await settled(await send(spec), 'done');
    expect((await rates()).items).toEqual([expect.objectContaining({ id: 'rate-1', price: 27.5, unit: 'half-day' })]);

    fake.remove(ratePath('rate-1'));
    await settled(await send(spec), 'done');
    expect(await rates()).toEqual({ items: [], nextCursor: null });
  });

  it('a rate whose resource is not synced yet is retried, then applied once the resource arrives', async () => {
    const other = '61116c0bab789b6cc1fe0002';
    fake.set(`${resourcePath(other)}/rates/r-early`, { id: 'r-early', price: 10, unit: 'day' });
    const early = await send({ connectionId: 555, locationId: '11980', syncarooId: 'r-early', resourceId: '', attributeType: 'rates', apiUrl: url(`${resourcePath(other)}/rates/r-early`) });
    await waitFor(async () => (await ctx.db.query(`SELECT status, attempts FROM inbound_events WHERE id = $1`, [early]))[0].attempts >= 1);
    fake.set(resourcePath(other), { id: other, name: 'Desk', type: 'hot-desk', capacity: 1 });
    await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: other, resourceType: 'hot-desk', apiUrl: url(resourcePath(other)) }), 'done');
    await settled(early, 'done');
    const [{ id }] = await ctx.db.query(`SELECT id FROM resources WHERE external_id = $1`, [other]);
    expect((await ctx.reader.get(`/resources/${id}/rates`).expect(200)).body.items).toEqual([expect.objectContaining({ id: 'r-early', price: 10, unit: 'day' })]);
  });

  it('a resource JSON with a rates array replaces that resource\'s rates', async () => {
    fake.set(ratePath('keep-me-not'), { id: 'keep-me-not', price: 1, unit: 'week' });
    await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: 'keep-me-not', resourceId, attributeType: 'rates', apiUrl: url(ratePath('keep-me-not')) }), 'done');
    fake.set(resourcePath(RES), { id: RES, name: 'Board Room', type: 'meeting-room', capacity: 12, rates: [{ period: 'day', price: 150, currency: 'EUR' }, { id: 'm1', unit: 'month', price: 2000 }] });
    await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: RES, resourceId, apiUrl: url(resourcePath(RES)) }), 'done');
    expect((await rates()).items.map((r: any) => [r.id, r.unit, r.price])).toEqual([[`${RES}:day`, 'day', 150], ['m1', 'month', 2000]]);
    // Without a rates array the resource's rates are left alone.
    fake.set(resourcePath(RES), { id: RES, name: 'Board Room', type: 'meeting-room', capacity: 10 });
    await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: RES, resourceId, apiUrl: url(resourcePath(RES)) }), 'done');
    expect((await rates()).items).toHaveLength(2);
  });

  it('a resource JSON fetched again unchanged still restores its rates (a retry after the rates were not written)', async () => {
    fake.set(resourcePath(RES), { id: RES, name: 'Board Room', type: 'meeting-room', capacity: 12, rates: [{ period: 'hour', price: 30, currency: 'EUR' }] });
    await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: RES, resourceId, apiUrl: url(resourcePath(RES)) }), 'done');
    expect((await rates()).items.map((r: any) => [r.id, r.price])).toEqual([[`${RES}:hour`, 30]]);
    // Fetched again with the same price list: the rate row is not even locked (no WAL, no commit flush).
    const [{ xmax: before }] = await ctx.db.query(`SELECT xmax::text AS xmax FROM rates WHERE resource_id = $1`, [resourceId]);
    await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: RES, resourceId, apiUrl: url(resourcePath(RES)) }), 'done');
    expect((await ctx.db.query(`SELECT xmax::text AS xmax FROM rates WHERE resource_id = $1`, [resourceId]))[0].xmax).toBe(before);
    // As if the event had failed after the resource row committed and before its rates: the row is as fetched,
    // the rates and the list hash written with them are the older ones (here: none yet for this list).
    fake.set(resourcePath(RES), { id: RES, name: 'Board Room', type: 'meeting-room', capacity: 12, rates: [{ period: 'hour', price: 31, currency: 'EUR' }] });
    await ctx.db.query(`UPDATE resources SET attributes = attributes || '{"x": 1}' WHERE id = $1`, [resourceId]);
    await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: RES, resourceId, apiUrl: url(resourcePath(RES)) }), 'done');
    expect((await rates()).items.map((r: any) => [r.id, r.price])).toEqual([[`${RES}:hour`, 31]]);
  });

  it('a rate changed or removed by a rates webhook is restored by the next fetch of an unchanged resource JSON', async () => {
    const list = [{ period: 'hour', price: 40, currency: 'EUR' }, { id: 'w1', unit: 'week', price: 900, currency: 'EUR' }];
    fake.set(resourcePath(RES), { id: RES, name: 'Board Room', type: 'meeting-room', capacity: 12, rates: list });
    const fetchResource = async () => settled(await send({ connectionId: 555, locationId: '11980', syncarooId: RES, resourceId, apiUrl: url(resourcePath(RES)) }), 'done');
    const prices = async () => (await rates()).items.map((r: any) => [r.id, r.price]);
    await fetchResource();
    expect(await prices()).toEqual([[`${RES}:hour`, 40], ['w1', 900]]);
    // The rate's own endpoint says otherwise: the rates webhook writes it, the resource JSON's list is not skipped next time.
    fake.set(ratePath('w1'), { id: 'w1', unit: 'week', price: 950, currency: 'EUR' });
    await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: 'w1', resourceId, attributeType: 'rates', apiUrl: url(ratePath('w1')) }), 'done');
    expect(await prices()).toEqual([[`${RES}:hour`, 40], ['w1', 950]]);
    await fetchResource();
    expect(await prices()).toEqual([[`${RES}:hour`, 40], ['w1', 900]]);
    // Removed through its endpoint (404), then the same resource JSON again.
    fake.remove(ratePath('w1'));
    await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: 'w1', resourceId, attributeType: 'rates', apiUrl: url(ratePath('w1')) }), 'done');
    expect(await prices()).toEqual([[`${RES}:hour`, 40]]);
    await fetchResource();
    expect(await prices()).toEqual([[`${RES}:hour`, 40], ['w1', 900]]);
  });

  it('a rate taken over by another resource\'s list is given back by the next fetch of its first resource', async () => {
    const other = '61116c0bab789b6cc1fe00c3';
    fake.set(resourcePath(RES), { id: RES, name: 'Board Room', type: 'meeting-room', capacity: 12, rates: [{ id: 'shared-1', unit: 'day', price: 10 }] });
    await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: RES, resourceId, apiUrl: url(resourcePath(RES)) }), 'done');
    fake.set(resourcePath(other), { id: other, name: 'Room C', type: 'meeting-room', capacity: 3, rates: [{ id: 'shared-1', unit: 'day', price: 12 }] });
    await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: other, apiUrl: url(resourcePath(other)) }), 'done');
    expect((await rates()).items).toEqual([]);
    await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: RES, resourceId, apiUrl: url(resourcePath(RES)) }), 'done');
    expect((await rates()).items.map((r: any) => [r.id, r.price])).toEqual([['shared-1', 10]]);
  });

  it('a rate written by a rates webhook while the resource\'s list is replaced: the next fetch of the same list still restores the list', async () => {
    const repo = ctx.app.get(RatesRepository);
    const owner = { provider: 'syncaroo', connectionId: conn.id as string, resourceId };
    const rate = (externalId: string, price: number) => ({ externalId, name: null, price, currency: 'EUR', unit: 'day' as const });
    const storedHash = async () => (await ctx.db.query(`SELECT rates_hash FROM resources WHERE id = $1`, [resourceId]))[0].rates_hash as string | null;
    await repo.replaceForResource(owner, [rate('lr-a', 10)]);
    const list = [rate('lr-a', 10), rate('lr-b', 20)];
    const qr = ctx.db.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
      const [{ pid }] = await qr.query('SELECT pg_backend_pid() AS pid');
      // The rates webhook's write of lr-b (another price), still open while the resource JSON's list is written.
      await repo.upsert(owner, rate('lr-b', 5), qr.manager);
      const replacing = repo.replaceForResource(owner, list, await storedHash());
      await waitFor(async () => (await ctx.db.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1`, [pid])).length > 0);
      await qr.commitTransaction();
      await replacing;
    } finally {
      await qr.release();
    }
    // The same list fetched again (the resource JSON unchanged): the rates end as it says, whichever write came first.
    await repo.replaceForResource(owner, list, await storedHash());
    expect((await rates()).items.map((r: any) => [r.id, r.price])).toEqual([['lr-a', 10], ['lr-b', 20]]);
  });

  it('a rate write reads the rates and resources it changes by key: no scan of a table, nor of the connection\'s 20,000 other rates', async () => {
    const repo = ctx.app.get(RatesRepository);
    const owner = { provider: 'syncaroo', connectionId: conn.id as string, resourceId };
    const rate = (externalId: string, price: number) => ({ externalId, name: null, price, currency: 'EUR', unit: 'day' as const });
    await ctx.db.query(
      `INSERT INTO resources (id, location_id, connection_id, type, name, status, provider, external_id, attributes, updated_at)
       SELECT 'many-' || g, '11980', $1::uuid, 'meeting-room', 'Room ' || g, 'active', 'syncaroo', 'many-' || g, '{}'::jsonb, now()
         FROM generate_series(1, 20000) g`, [conn.id]);
    await ctx.db.query(
      `INSERT INTO rates (provider, connection_id, external_id, resource_id, name, price, currency, unit, updated_at)
       SELECT 'syncaroo', $1::uuid, 'many-' || g || ':day', 'many-' || g, NULL, 10, 'EUR', 'day', now() FROM generate_series(1, 20000) g`, [conn.id]);
    // Statistics as autovacuum may leave them: resources analysed, rates not since they grew.
    await ctx.db.query('ANALYZE resources');
    // What one write read: PostgreSQL's counts for this session not yet flushed (pg_stat_xact_user_tables), before and after.
    const reads = async (write: (m: EntityManager) => Promise<unknown>) => {
      const qr = ctx.db.createQueryRunner();
      await qr.connect();
      const counts = async () => (await qr.query(
        `SELECT COALESCE(sum(seq_scan), 0)::int AS scans, COALESCE(sum(idx_tup_fetch) FILTER (WHERE relname = 'rates'), 0)::int AS rates
           FROM pg_stat_xact_user_tables WHERE relname IN ('resources', 'rates')`))[0];
      try {
        await qr.startTransaction();
        const before = await counts();
        await write(qr.manager);
        const after = await counts();
        await qr.commitTransaction();
        // The rows it wrote and a few more: the connection's other rates are never read.
        return { tableScans: after.scans - before.scans, ratesReadAtMost10: after.rates - before.rates <= 10 };
      } finally {
        await qr.release();
      }
    };
    const few = { tableScans: 0, ratesReadAtMost10: true };
    try {
      expect(await reads((m) => repo.replaceForResource(owner, [rate('scan-a', 10), rate('scan-b', 20)], null, m))).toEqual(few);
      expect(await reads((m) => repo.replaceForResource(owner, [rate('scan-a', 11), rate('scan-b', 20)], null, m))).toEqual(few);
      expect(await reads((m) => repo.upsert(owner, rate('scan-b', 25), m))).toEqual(few);
      expect(await reads((m) => repo.remove('syncaroo', conn.id, 'scan-b', m))).toEqual(few);
      expect((await rates()).items.map((r: any) => [r.id, r.price])).toEqual([['scan-a', 11]]);
    } finally {
      await ctx.db.query(`DELETE FROM rates WHERE resource_id LIKE 'many-%'`);
      await ctx.db.query(`DELETE FROM resources WHERE id LIKE 'many-%'`);
    }
  });

  describe('lists of two resources of one connection', () => {
    const rate = (externalId: string, price: number) => ({ externalId, name: null, price, currency: 'EUR', unit: 'day' as const });
    const second = 'par-r2';
    const owner = (id: string) => ({ provider: 'syncaroo', connectionId: conn.id as string, resourceId: id });
    let repo: RatesRepository;
    const ratesOf = async (id: string) => (await ctx.reader.get(`/resources/${id}/rates`).expect(200)).body.items.map((r: any) => [r.id, r.price]);
    const hashOf = async (id: string) => (await ctx.db.query(`SELECT rates_hash FROM resources WHERE id = $1`, [id]))[0].rates_hash as string | null;
    const lockWaits = async () => (await ctx.db.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).length;
    /** Runs `first` in a transaction left open while `then` runs; answers whether `then` finished or waited for a lock. */
    const whileOpen = async (first: (m: EntityManager) => Promise<unknown>, then: () => Promise<unknown>) => {
      const qr = ctx.db.createQueryRunner();
      await qr.connect();
      try {
        await qr.startTransaction();
        await first(qr.manager);
        const running = then();
        const outcome = await Promise.race([running.then(() => 'finished'), waitFor(async () => (await lockWaits()) > 0).then(() => 'waited')]);
        await qr.commitTransaction();
        await running;
        return outcome;
      } finally {
        if (qr.isTransactionActive) await qr.rollbackTransaction();
        await qr.release();
      }
    };
    beforeAll(async () => {
      repo = ctx.app.get(RatesRepository);
      await ctx.db.query(
        `INSERT INTO resources (id, location_id, connection_id, type, name, status, provider, external_id, attributes, updated_at)
         VALUES ($1, '11980', $2::uuid, 'meeting-room', 'Second room', 'active', 'syncaroo', $1, '{}'::jsonb, now())`, [second, conn.id]);
    });

    it('are written at once: one held open does not hold the other (each locks its resource and its rates)', async () => {
      const outcome = await whileOpen(
        (m) => repo.replaceForResource(owner(resourceId), [rate('par-a', 11)], null, m),
        () => repo.replaceForResource(owner(second), [rate('par-b', 12)]));
      expect(outcome).toBe('finished');
      expect(await ratesOf(resourceId)).toEqual([['par-a', 11]]);
      expect(await ratesOf(second)).toEqual([['par-b', 12]]);
    });

    it('a list that takes a rate another resource\'s open list is dropping waits for it; both end as their lists say, and stay so', async () => {
      await repo.replaceForResource(owner(second), [rate('mv-x', 30)]);
      await repo.replaceForResource(owner(resourceId), [rate('mv-z', 5)]);
      // The second resource's new list (without mv-x) is written and still open while the first resource's list claims mv-x.
      const outcome = await whileOpen(
        (m) => repo.replaceForResource(owner(second), [rate('mv-y', 31)], null, m),
        () => repo.replaceForResource(owner(resourceId), [rate('mv-x', 32)]));
      expect(outcome).toBe('waited');
      expect(await ratesOf(resourceId)).toEqual([['mv-x', 32]]);
      expect(await ratesOf(second)).toEqual([['mv-y', 31]]);
      // The same lists fetched again (the hashes they left): nothing to do, and nothing is missing.
      await repo.replaceForResource(owner(resourceId), [rate('mv-x', 32)], await hashOf(resourceId));
      await repo.replaceForResource(owner(second), [rate('mv-y', 31)], await hashOf(second));
      expect(await ratesOf(resourceId)).toEqual([['mv-x', 32]]);
      expect(await ratesOf(second)).toEqual([['mv-y', 31]]);
    });

    afterAll(async () => {
      await ctx.db.query(`DELETE FROM rates WHERE resource_id = $1`, [second]);
      await ctx.db.query(`DELETE FROM resources WHERE id = $1`, [second]);
    });
  });

  it('two resources of one connection each keep their own rate without an id (the seed\'s {period, price})', async () => {
    const a = '61116c0bab789b6cc1fe00a1', b = '61116c0bab789b6cc1fe00b2';
    fake.set(resourcePath(a), { id: a, name: 'Room A', type: 'meeting-room', capacity: 4, rates: [{ period: 'day', price: 100, currency: 'EUR' }] });
    fake.set(resourcePath(b), { id: b, name: 'Room B', type: 'meeting-room', capacity: 6, rates: [{ period: 'day', price: 200, currency: 'EUR' }] });
    await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: a, apiUrl: url(resourcePath(a)) }), 'done');
    await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: b, apiUrl: url(resourcePath(b)) }), 'done');
    const idOf = async (sid: string) => (await ctx.db.query(`SELECT id FROM resources WHERE external_id = $1`, [sid]))[0].id as string;
    const ratesOf = async (sid: string) => (await ctx.reader.get(`/resources/${await idOf(sid)}/rates`).expect(200)).body.items.map((r: any) => [r.id, r.unit, r.price]);
    expect(await ratesOf(a)).toEqual([[`${a}:day`, 'day', 100]]);
    expect(await ratesOf(b)).toEqual([[`${b}:day`, 'day', 200]]);
    // A's JSON fetched again does not take B's rate, and B's stays.
    await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: a, apiUrl: url(resourcePath(a)) }), 'done');
    expect(await ratesOf(a)).toEqual([[`${a}:day`, 'day', 100]]);
    expect(await ratesOf(b)).toEqual([[`${b}:day`, 'day', 200]]);
  });

  it('GET /resources/{id}/rates of an unknown resource → 404 problem+json', async () => {
    const res = await ctx.reader.get('/resources/no-such-resource/rates').expect(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('a connection of an account maps its own unmapped listing on the first webhook; another account\'s listing stays held', async () => {
    const a = (await ctx.admin.post('/admin/accounts').send({ name: 'Acme' }).expect(201)).body.id;
    const b = (await ctx.admin.post('/admin/accounts').send({ name: 'Beta' }).expect(201)).body.id;
    await ctx.admin.put(`/admin/accounts/${a}/locations/own-1`).send({ name: 'Own' }).expect(201);
    await ctx.admin.put(`/admin/accounts/${b}/locations/theirs-1`).send({ name: 'Theirs' }).expect(201);
    const bound = await ctx.newConnection({ provider: 'syncaroo', externalId: '777', accountId: a });
    const sid = '61116c0bab789b6cc1fe0777';
    fake.set(resourcePath(sid, 777), { id: sid, name: 'Auto Room', type: 'meeting-room', capacity: 4 });
    await settled(await send({ connectionId: 777, locationId: 'own-1', syncarooId: sid, apiUrl: url(resourcePath(sid, 777)) }), 'done');
    const mappings = (await ctx.admin.get(`/admin/connections/${bound.id}/locations`).expect(200)).body.items;
    expect(mappings.map((m: any) => m.locationId)).toEqual(['own-1']);
    expect((await ctx.db.query(`SELECT location_id FROM resources WHERE external_id = $1`, [sid]))[0].location_id).toBe('own-1');

    const sid2 = '61116c0bab789b6cc1fe0778';
    fake.set(resourcePath(sid2, 777), { id: sid2, name: 'Not Mine', type: 'meeting-room', capacity: 4 });
    const held = await send({ connectionId: 777, locationId: 'theirs-1', syncarooId: sid2, apiUrl: url(resourcePath(sid2, 777)) });
    await waitFor(async () => (await ctx.db.query(`SELECT status FROM inbound_events WHERE id = $1`, [held]))[0].status === 'held');
    expect((await ctx.admin.get(`/admin/connections/${bound.id}/locations`).expect(200)).body.items.map((m: any) => m.locationId)).toEqual(['own-1']);
    expect(await ctx.db.query(`SELECT 1 FROM resources WHERE external_id = $1`, [sid2])).toEqual([]);
  });

  it('the whole tier-2 flow: sign in and approve, token, check_connection binds 888, the first webhook maps the listing and lands the resource', async () => {
    const acct = (await ctx.admin.post('/admin/accounts').send({ name: 'Gamma spaces' }).expect(201)).body.id;
    await ctx.admin.post(`/admin/accounts/${acct}/users`).send({ email: 'ops@gamma.test', password: 'gamma password 123' }).expect(201);
    await ctx.admin.put(`/admin/accounts/${acct}/locations/gamma-1`).send({ name: 'Gamma One', timezone: 'Europe/Berlin' }).expect(201);
    const partner = new SyncarooPartnerClient(ctx.baseUrl, 'syncaroo-partner', 'partner-secret-0123456789abcdef', 'https://app.syncaroo.test/cb');
    const tokens = await partner.exchange(await partner.approve('ops@gamma.test', 'gamma password 123'));
    const checked = await partner.checkConnection(tokens.body.access_token, 888);
    expect(checked).toMatchObject({ status: 200, body: { connected: true, connectionId: '888', locations: [{ id: 'gamma-1', name: 'Gamma One', timezone: 'Europe/Berlin' }] } });

    const sid = '61116c0bab789b6cc1fe0888';
    fake.set(resourcePath(sid, 888), { id: sid, name: 'Gamma Room', type: 'meeting-room', capacity: 6 });
    // Syncaroo posts to {apiUri}update/, the tier-2 webhook path.
    const res = await ctx.http().post('/syncaroo/update/').send(signSyncaroo(syncarooWebhook({ connectionId: 888, locationId: 'gamma-1', syncarooId: sid, apiUrl: url(resourcePath(sid, 888)) }), SECRET)).expect(202);
    await settled(res.body.eventId, 'done');
    const key = (await ctx.admin.post('/admin/api-keys').send({ name: 'gamma', accountId: acct, scopes: ['inventory:read'] }).expect(201)).body.key;
    const listed = await ctx.http().get('/resources?locationId=gamma-1').set('Authorization', `Bearer ${key}`).expect(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ locationId: 'gamma-1', name: 'Gamma Room', provider: 'syncaroo', externalId: sid, status: 'active' })]);
  });

  /** A mapped connection whose resource webhook is stored and its fetch held at the fake until `gate.release()`. */
  const fetchInFlight = async (cid: number, locationId: string) => {
    const c = await ctx.newConnection({ provider: 'syncaroo', externalId: String(cid) });
    await ctx.newLocation(c.id, { locationId });
    const sid = `61116c0bab789b6cc1fe0${cid}`;
    fake.set(resourcePath(sid, cid), { id: sid, name: `Room ${cid}`, type: 'meeting-room', capacity: 3 });
    const gate = fake.gate(resourcePath(sid, cid));
    const eventId = await send({ connectionId: cid, locationId, syncarooId: sid, apiUrl: url(resourcePath(sid, cid)) });
    await waitFor(async () => gate.waiting() > 0);
    return { c, sid, gate, eventId };
  };

  it('an unmapping that commits while a resource fetch is in flight wins: nothing lands in the old location, the event is held', async () => {
    const { c, sid, gate, eventId } = await fetchInFlight(999, 'race-1');
    await ctx.admin.delete(`/admin/connections/${c.id}/locations/race-1`).expect(204);
    gate.release();
    await waitFor(async () => (await ctx.db.query(`SELECT status FROM inbound_events WHERE id = $1`, [eventId]))[0].status === 'held');
    expect(await ctx.db.query(`SELECT 1 FROM resources WHERE external_id = $1 AND status = 'active'`, [sid])).toEqual([]);
  });

  it('a resource write that arrives while an unmapping is still open waits for it and then writes nothing', async () => {
    const { c, sid, gate, eventId } = await fetchInFlight(998, 'race-2');
    // The unmapping's transaction stops after deleting the mapping (its next step updates the location row,
    // locked here), so it stays open, uncommitted, while the fetched resource is written.
    const blocker = new Client({ connectionString: ctx.databaseUrl });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`SELECT 1 FROM locations WHERE id = 'race-2' FOR UPDATE`);
      const unmapping = ctx.admin.delete(`/admin/connections/${c.id}/locations/race-2`).then((r) => r.status);
      const waiting = (text: string) => async () => (await ctx.db.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type IN ('Lock') AND query LIKE $1`, [`%${text}%`])).length > 0;
      await waitFor(waiting('UPDATE "locations"'));
      gate.release();
      // The write has read its snapshot with the mapping still there and now waits for the unmapping.
      await waitFor(waiting('INSERT INTO resources'));
      await blocker.query('COMMIT');
      expect(await unmapping).toBe(204);
    } finally {
      await blocker.end();
    }
    const status = async () => (await ctx.db.query(`SELECT status FROM inbound_events WHERE id = $1`, [eventId]))[0].status;
    await waitFor(async () => ['done', 'held', 'dead'].includes(await status()));
    expect(await status()).toBe('held');
    expect(await ctx.db.query(`SELECT status FROM resources WHERE external_id = $1`, [sid])).toEqual([]);
  });

  /** A new connection `cid` mapping `locationId`, with one resource synced there by its webhook. */
  const syncedResource = async (cid: number, locationId: string) => {
    const c = await ctx.newConnection({ provider: 'syncaroo', externalId: String(cid) });
    await ctx.newLocation(c.id, { locationId });
    const sid = `61116c0bab789b6cc1fe0${cid}`;
    fake.set(resourcePath(sid, cid), { id: sid, name: `Room ${cid}`, type: 'meeting-room', capacity: 3 });
    await settled(await send({ connectionId: cid, locationId, syncarooId: sid, apiUrl: url(resourcePath(sid, cid)) }), 'done');
    const [{ id: rid }] = await ctx.db.query(`SELECT id FROM resources WHERE external_id = $1`, [sid]);
    return { c, sid, rid: rid as string };
  };

  it('a rate write after its location was unmapped writes nothing (as a resource write), and the rates webhook is held', async () => {
    const { c, sid, rid } = await syncedResource(997, 'race-3');
    await ctx.admin.delete(`/admin/connections/${c.id}/locations/race-3`).expect(204);
    // The handler checked the mapping before the unmapping committed; its writes come after.
    const repo = ctx.app.get(RatesRepository);
    const owner = { provider: 'syncaroo', connectionId: c.id as string, resourceId: rid };
    const rate = (externalId: string, price: number) => ({ externalId, name: null, price, currency: 'EUR', unit: 'day' as const });
    expect(await repo.upsert(owner, rate('late-1', 10))).toBe(false);
    expect(await repo.replaceForResource(owner, [rate('late-2', 20)])).toBe(false);
    expect(await ctx.db.query(`SELECT external_id FROM rates WHERE resource_id = $1`, [rid])).toEqual([]);
    // A rates webhook arriving after the unmapping is held by the handler's own check before any write.
    fake.set(`${resourcePath(sid, 997)}/rates/late-3`, { id: 'late-3', unit: 'day', price: 30 });
    await settled(await send({ connectionId: 997, locationId: 'race-3', syncarooId: 'late-3', resourceId: rid, attributeType: 'rates', apiUrl: url(`${resourcePath(sid, 997)}/rates/late-3`) }), 'held');
    expect(await ctx.db.query(`SELECT external_id FROM rates WHERE resource_id = $1`, [rid])).toEqual([]);
  });

  it('an unmapping that commits while a rate fetch is in flight wins: the rate does not land, the event is held', async () => {
    const { c, sid, rid } = await syncedResource(996, 'race-4');
    const path = `${resourcePath(sid, 996)}/rates/in-flight`;
    fake.set(path, { id: 'in-flight', unit: 'day', price: 40 });
    const gate = fake.gate(path);
    // The handler has checked the mapping and is fetching the rate when the unmapping commits.
    const eventId = await send({ connectionId: 996, locationId: 'race-4', syncarooId: 'in-flight', resourceId: rid, attributeType: 'rates', apiUrl: url(path) });
    await waitFor(async () => gate.waiting() > 0);
    await ctx.admin.delete(`/admin/connections/${c.id}/locations/race-4`).expect(204);
    gate.release();
    await settled(eventId, 'held');
    expect(await ctx.db.query(`SELECT external_id FROM rates WHERE resource_id = $1`, [rid])).toEqual([]);
  });
});
