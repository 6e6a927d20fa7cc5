import { startTestApp, TestContext } from './support/test-app';
import { insertLosCellsSql } from './support/los-cells';

type Json = Record<string, any>;

describe('inventory read API', () => {
  let ctx: TestContext;
  let sync: Json; // Syncaroo connection owning 'rd-zuid' and 'rd-noord'
  let strat: Json; // Stratech connection owning 'rd-resort'

  /** Follows nextCursor to the end; fails on a repeated key so gaps/duplicates across pages show up. */
  async function all(path: string, key: (item: Json) => string = (i) => i.id): Promise<{ items: Json[]; pages: number }> {
    const items: Json[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const res: { body: Json } = await ctx.reader.get(cursor ? `${path}${sep}cursor=${cursor}` : path).expect(200);
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
      pages += 1;
      if (pages > 100) throw new Error('too many pages');
    } while (cursor);
    const keys = items.map(key);
    expect(new Set(keys).size).toBe(keys.length);
    return { items, pages };
  }

  async function expectBadRequest(path: string, field: string): Promise<void> {
    const res = await ctx.reader.get(path);
    if (res.status !== 400) throw new Error(`${path}: expected 400, got ${res.status} ${JSON.stringify(res.body)}`);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, title: 'Bad Request' });
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  }

  async function insertResource(r: Partial<Json> & { id: string; locationId: string; connectionId: string }): Promise<void> {
    await ctx.db.query(
      `INSERT INTO resources (id, location_id, connection_id, type, name, capacity, status, provider, external_id, attributes, source_hash, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'h', $11)`,
      [r.id, r.locationId, r.connectionId, r.type ?? 'meeting-room', r.name ?? null, r.capacity ?? null, r.status ?? 'active',
        r.provider ?? 'syncaroo', r.externalId ?? r.id.replace(/^r_/, ''), JSON.stringify(r.attributes ?? {}), r.updatedAt ?? '2026-01-01T00:00:00Z'],
    );
  }

  beforeAll(async () => {
    ctx = await startTestApp();
    sync = await ctx.newConnection({ provider: 'syncaroo', externalId: '7001', name: 'Acme' });
    strat = await ctx.newConnection({ provider: 'stratech', externalId: 'org_rd' });
    await ctx.newLocation(sync.id, { locationId: 'rd-zuid', name: 'Amsterdam Zuid', timezone: 'Europe/Amsterdam' });
    await ctx.newLocation(sync.id, { locationId: 'rd-noord' });
    await ctx.newLocation(strat.id, { locationId: 'rd-resort', externalId: 'rst_54321', name: 'Forest resort', timezone: 'Europe/Amsterdam' });

    // 25 Syncaroo resources in rd-zuid, updated one minute apart (r_zuid_24 most recently), every 5th removed.
    for (let i = 0; i < 25; i++) {
      await insertResource({
        id: `r_zuid_${String(i).padStart(2, '0')}`, locationId: 'rd-zuid', connectionId: sync.id,
        type: i % 3 === 0 ? 'hot-desk' : 'meeting-room', status: i % 5 === 4 ? 'removed' : 'active', name: `Room ${i}`, capacity: i,
        updatedAt: new Date(Date.UTC(2026, 0, 1, 10, i)).toISOString(),
      });
    }
    // Three resources share one updated_at (microseconds included) to exercise the (updated_at, id) tie-break.
    for (const id of ['r_noord_a', 'r_noord_b', 'r_noord_c']) {
      await insertResource({ id, locationId: 'rd-noord', connectionId: sync.id, type: 'office', updatedAt: '2026-01-01T10:30:00.123456Z' });
    }
    await insertResource({
      id: 'r_lodge', locationId: 'rd-resort', connectionId: strat.id, type: 'accommodation', provider: 'stratech', externalId: 'prod_46fphyv',
      name: 'Forest lodge 4p', capacity: 4, attributes: { bedrooms: 2, tags: ['sauna'] }, updatedAt: '2026-02-01T00:00:00Z',
    });
    await insertResource({ id: 'r_cabin', locationId: 'rd-resort', connectionId: strat.id, type: 'accommodation', provider: 'stratech', updatedAt: '2026-02-01T00:00:00Z' });
  });
  afterAll(async () => { await ctx.close(); });

  describe('auth', () => {
    it.each(['/locations', '/locations/rd-zuid', '/resources', '/resources/r_lodge', '/resources/r_lodge/bookings', '/resources/r_lodge/availability', '/los'])(
      '%s: 401 without or with a wrong token, 200 with READ_TOKEN and ADMIN_TOKEN',
      async (path) => {
        const none = await ctx.http().get(path).expect(401);
        expect(none.headers['content-type']).toMatch(/application\/problem\+json/);
        await ctx.http().get(path).set('Authorization', 'Bearer not-the-token-000000').expect(401);
        await ctx.reader.get(path).expect(200);
        await ctx.admin.get(path).expect(200);
      },
    );
  });

  describe('locations', () => {
    it('GET /locations/{id} answers exactly the contract fields', async () => {
      const res = await ctx.reader.get('/locations/rd-resort').expect(200);
      expect(res.body).toEqual({
        id: 'rd-resort', name: 'Forest resort', timezone: 'Europe/Amsterdam', provider: 'stratech', connectionId: strat.id,
        externalId: 'rst_54321', updatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      });
      const bare = await ctx.reader.get('/locations/rd-noord').expect(200);
      expect(bare.body).toMatchObject({ id: 'rd-noord', name: null, timezone: null, provider: 'syncaroo', externalId: null });
    });

    it('GET /locations pages in id order without gaps or duplicates', async () => {
      await ctx.db.query(`INSERT INTO locations (id, name) SELECT 'rd-extra-' || g, 'Extra ' || g FROM generate_series(10, 16) g`);
      const { items, pages } = await all('/locations?limit=3');
      const ids = items.map((l) => l.id);
      expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
      expect(ids).toEqual(expect.arrayContaining(['rd-zuid', 'rd-noord', 'rd-resort', 'rd-extra-10', 'rd-extra-16']));
      const [{ n }] = await ctx.db.query('SELECT count(*)::int AS n FROM locations');
      expect(items).toHaveLength(n);
      expect(pages).toBe(Math.ceil(n / 3));
      const unowned = items.find((l) => l.id === 'rd-extra-12');
      expect(unowned).toEqual({ id: 'rd-extra-12', name: 'Extra 12', timezone: null, provider: null, connectionId: null, externalId: null, updatedAt: expect.stringMatching(/Z$/) });
      const first = await ctx.reader.get('/locations').expect(200);
      expect(first.body.nextCursor).toBeNull();
    });

    it('404 problem+json for an unknown id; 400 for malformed ids, limits, cursors and unknown parameters', async () => {
      const res = await ctx.reader.get('/locations/nope-404').expect(404);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 404, title: 'Not Found' });
      expect(res.body.detail).toContain('nope-404');
      await expectBadRequest('/locations/has%20space', 'id');
      await expectBadRequest(`/locations/${'a'.repeat(201)}`, 'id');
      await ctx.reader.get(`/locations/${'a'.repeat(200)}`).expect(404);
      await expectBadRequest('/locations?limit=0', 'limit');
      await expectBadRequest('/locations?limit=501', 'limit');
      await expectBadRequest('/locations?limit=ten', 'limit');
      await expectBadRequest('/locations?cursor=not*a*cursor', 'cursor');
      await expectBadRequest('/locations?cursor=bm9wZQ', 'cursor');
      await expectBadRequest(`/locations?cursor=${Buffer.from('[1]').toString('base64url')}`, 'cursor');
      await expectBadRequest(`/locations?cursor=${Buffer.from('["a\\u0000b"]').toString('base64url')}`, 'cursor');
      await expectBadRequest('/locations?provider=syncaroo', 'provider');
    });
  });

  describe('resources', () => {
    it('GET /resources/{id} answers exactly the contract fields (no connectionId)', async () => {
      const res = await ctx.reader.get('/resources/r_lodge').expect(200);
      expect(res.body).toEqual({
        id: 'r_lodge', locationId: 'rd-resort', type: 'accommodation', name: 'Forest lodge 4p', capacity: 4, status: 'active',
        provider: 'stratech', externalId: 'prod_46fphyv', attributes: { bedrooms: 2, tags: ['sauna'] }, updatedAt: '2026-02-01T00:00:00.000Z',
      });
      const cabin = await ctx.reader.get('/resources/r_cabin').expect(200);
      expect(cabin.body).toMatchObject({ name: null, capacity: null, attributes: {}, externalId: 'cabin' });
    });

    it('lists every resource once across pages, in id order', async () => {
      const { items } = await all('/resources?limit=7');
      expect(items).toHaveLength(30);
      const ids = items.map((r) => r.id);
      expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
      for (const r of items) expect(r).not.toHaveProperty('connectionId');
      const one = await ctx.reader.get('/resources?limit=500').expect(200);
      expect(one.body.items).toHaveLength(30);
      expect(one.body.nextCursor).toBeNull();
    });

    it('filters by locationId, type, provider and status, alone and combined', async () => {
      const zuid = await all('/resources?locationId=rd-zuid&limit=4');
      expect(zuid.items).toHaveLength(25);
      expect(zuid.items.every((r) => r.locationId === 'rd-zuid')).toBe(true);
      const hot = await all('/resources?type=hot-desk');
      expect(hot.items.map((r) => r.id)).toEqual(['r_zuid_00', 'r_zuid_03', 'r_zuid_06', 'r_zuid_09', 'r_zuid_12', 'r_zuid_15', 'r_zuid_18', 'r_zuid_21', 'r_zuid_24']);
      const stratech = await all('/resources?provider=stratech');
      expect(stratech.items.map((r) => r.id)).toEqual(['r_cabin', 'r_lodge']);
      const removed = await all('/resources?status=removed&limit=2');
      expect(removed.items.map((r) => r.id)).toEqual(['r_zuid_04', 'r_zuid_09', 'r_zuid_14', 'r_zuid_19', 'r_zuid_24']);
      const combo = await all('/resources?locationId=rd-zuid&type=hot-desk&status=removed&provider=syncaroo');
      expect(combo.items.map((r) => r.id)).toEqual(['r_zuid_09', 'r_zuid_24']);
      expect((await all('/resources?provider=lockme')).items).toEqual([]);
      expect((await all('/resources?locationId=unknown-location')).items).toEqual([]);
    });

    it('updatedSince is inclusive and pages in (updatedAt, id) order, ties included', async () => {
      const since = await all('/resources?updatedSince=2026-01-01T10:20:00Z&limit=2');
      expect(since.items.map((r) => r.id)).toEqual([
        'r_zuid_20', 'r_zuid_21', 'r_zuid_22', 'r_zuid_23', 'r_zuid_24', 'r_noord_a', 'r_noord_b', 'r_noord_c', 'r_cabin', 'r_lodge',
      ]);
      // An offset names the same instant: 11:20+01:00 = 10:20Z.
      const offset = await all(`/resources?updatedSince=${encodeURIComponent('2026-01-01T11:20:00+01:00')}&limit=100`);
      expect(offset.items.map((r) => r.id)).toEqual(since.items.map((r) => r.id));
      // A page boundary inside the group of three equal timestamps neither skips nor repeats.
      const ties = await all('/resources?updatedSince=2026-01-01T10:30:00.123Z&limit=1');
      expect(ties.items.map((r) => r.id)).toEqual(['r_noord_a', 'r_noord_b', 'r_noord_c', 'r_cabin', 'r_lodge']);
      expect(ties.items[0].updatedAt).toBe('2026-01-01T10:30:00.123Z');
      const combined = await all('/resources?updatedSince=2026-01-01T10:22:30Z&locationId=rd-zuid&status=active');
      expect(combined.items.map((r) => r.id)).toEqual(['r_zuid_23']);
      expect((await all('/resources?updatedSince=2030-01-01T00:00:00Z')).items).toEqual([]);
    });

    it('validates every filter precisely', async () => {
      await expectBadRequest('/resources?type=desk', 'type');
      await expectBadRequest('/resources?provider=acme', 'provider');
      await expectBadRequest('/resources?status=deleted', 'status');
      await expectBadRequest('/resources?locationId=bad%20id', 'locationId');
      await expectBadRequest('/resources?type=office&type=room', 'type');
      await expectBadRequest('/resources?updatedSince=2026-01-01T00:00:00', 'updatedSince');
      await expectBadRequest('/resources?updatedSince=2026-01-01', 'updatedSince');
      await expectBadRequest('/resources?updatedSince=2026-02-30T00:00:00Z', 'updatedSince');
      await expectBadRequest('/resources?updatedSince=yesterday', 'updatedSince');
      await expectBadRequest('/resources?limit=-1', 'limit');
      await expectBadRequest('/resources?sort=name', 'sort');
      // A cursor belongs to its ordering: an id-ordered cursor is refused by the updatedSince feed.
      const page = await ctx.reader.get('/resources?limit=1').expect(200);
      await expectBadRequest(`/resources?updatedSince=2026-01-01T00:00:00Z&cursor=${page.body.nextCursor}`, 'cursor');
      await expectBadRequest(`/resources?updatedSince=2026-01-01T00:00:00Z&cursor=${Buffer.from('["2026-99-01","x"]').toString('base64url')}`, 'cursor');
    });

    it('404 for an unknown resource, also under /bookings and /availability', async () => {
      for (const path of ['/resources/r_missing', '/resources/r_missing/bookings', '/resources/r_missing/availability']) {
        const res = await ctx.reader.get(path).expect(404);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body.detail).toContain('r_missing');
      }
      await expectBadRequest('/resources/bad%2Fid', 'id');
      await expectBadRequest(`/resources/${'x'.repeat(201)}/bookings`, 'id');
    });
  });

  describe('bookings', () => {
    const R = 'r_zuid_01';
    beforeAll(async () => {
      const rows: Array<[string, string, string | null, string, number | null, string | null, string | null]> = [
        ['b-early', '2026-03-01T08:00:00Z', '2026-03-01T09:00:00Z', 'confirmed', 4, '129.50', 'EUR'],
        ['b-cross', '2026-03-01T09:30:00Z', '2026-03-01T11:00:00Z', 'pending', null, null, null],
        ['b-open', '2026-03-01T10:00:00Z', null, 'confirmed', 1, '0.00', 'EUR'],
        ['b-cancel', '2026-03-01T10:30:00Z', '2026-03-01T12:00:00Z', 'cancelled', 2, '50', 'PLN'],
        ['b-late', '2026-03-02T08:00:00Z', '2026-03-02T09:00:00Z', 'confirmed', 3, '10.10', 'EUR'],
      ];
      for (const [ext, start, end, status, people, price, currency] of rows) {
        await ctx.db.query(
          `INSERT INTO bookings (resource_id, connection_id, provider, external_id, starts_at, ends_at, status, people, price, currency, updated_at)
           VALUES ($1, $2, 'syncaroo', $3, $4, $5, $6, $7, $8, $9, '2026-02-20T12:00:00Z')`,
          [R, sync.id, ext, start, end, status, people, price, currency],
        );
      }
      // Twelve bookings with one start time on another resource: paging must break ties by id.
      await ctx.db.query(
        `INSERT INTO bookings (resource_id, connection_id, provider, external_id, starts_at, ends_at, status)
         SELECT 'r_zuid_02', $1, 'syncaroo', 'tie-' || g, '2026-04-01T09:00:00Z', '2026-04-01T10:00:00Z', 'confirmed' FROM generate_series(1, 12) g`,
        [sync.id],
      );
    });

    it('answers exactly the contract fields: ids as strings, times UTC with Z, price a number', async () => {
      const res = await ctx.reader.get(`/resources/${R}/bookings`).expect(200);
      expect(res.body.nextCursor).toBeNull();
      expect(res.body.items.map((b: Json) => b.externalId)).toEqual(['b-early', 'b-cross', 'b-open', 'b-cancel', 'b-late']);
      const [early, cross, open] = res.body.items;
      expect(early).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/), resourceId: R, externalId: 'b-early', start: '2026-03-01T08:00:00.000Z', end: '2026-03-01T09:00:00.000Z',
        status: 'confirmed', people: 4, price: 129.5, currency: 'EUR', updatedAt: '2026-02-20T12:00:00.000Z',
      });
      expect(cross).toMatchObject({ status: 'pending', people: null, price: null, currency: null });
      expect(open).toMatchObject({ end: null, price: 0 });
    });

    it('from/to select overlapping bookings of [from, to); an open-ended booking counts as its start instant', async () => {
      const ext = async (q: string) => (await all(`/resources/${R}/bookings?${q}`)).items.map((b) => b.externalId);
      expect(await ext('from=2026-03-01T09:00:00Z&to=2026-03-01T10:00:00Z')).toEqual(['b-cross']); // b-early ends exactly at from
      expect(await ext('from=2026-03-01T10:00:00Z&to=2026-03-01T10:30:00Z')).toEqual(['b-cross', 'b-open']); // b-cancel starts exactly at to
      expect(await ext('from=2026-03-01T10:00:01Z')).toEqual(['b-cross', 'b-cancel', 'b-late']); // b-open is before from
      expect(await ext('to=2026-03-01T09:30:00Z')).toEqual(['b-early']);
      expect(await ext(`from=${encodeURIComponent('2026-03-02T09:30:00+01:00')}`)).toEqual(['b-late']);
      // A client that forgot to encode '+' sends a space; the offset still reads as +01:00.
      expect(await ext('from=2026-03-02T09:30:00+01:00')).toEqual(['b-late']);
      expect(await ext('status=confirmed')).toEqual(['b-early', 'b-open', 'b-late']);
      expect(await ext('status=cancelled&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z')).toEqual(['b-cancel']);
      expect(await ext('from=2027-01-01T00:00:00Z')).toEqual([]);
    });

    it('pages through equal start times without gaps or duplicates', async () => {
      const { items, pages } = await all('/resources/r_zuid_02/bookings?limit=5');
      expect(pages).toBe(3);
      expect(items.map((b) => b.externalId).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `tie-${i + 1}`).sort());
      const ids = items.map((b) => b.id);
      expect(ids).toEqual([...ids].sort());
      // An existing resource without bookings is an empty list, not 404.
      expect((await ctx.reader.get('/resources/r_zuid_03/bookings').expect(200)).body).toEqual({ items: [], nextCursor: null });
    });

    it('validates from/to/status/cursor', async () => {
      await expectBadRequest(`/resources/${R}/bookings?from=2026-03-01`, 'from');
      await expectBadRequest(`/resources/${R}/bookings?to=2026-03-01T10:00:00`, 'to');
      await expectBadRequest(`/resources/${R}/bookings?from=2026-03-01T10:00:00Z&to=2026-03-01T10:00:00Z`, 'to');
      await expectBadRequest(`/resources/${R}/bookings?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z`, 'to');
      await expectBadRequest(`/resources/${R}/bookings?status=done`, 'status');
      await expectBadRequest(`/resources/${R}/bookings?resourceId=x`, 'resourceId');
      await expectBadRequest(`/resources/${R}/bookings?cursor=${Buffer.from('["2026-03-01T08:00:00.000000Z","not-a-uuid"]').toString('base64url')}`, 'cursor');
    });
  });

  describe('availability', () => {
    const R = 'r_zuid_05';
    beforeAll(async () => {
      await ctx.db.query(
        `INSERT INTO availability_windows (resource_id, connection_id, starts_at, ends_at)
         SELECT $1, $2, timestamptz '2026-05-01T08:00:00Z' + (g || ' hours')::interval, timestamptz '2026-05-01T08:30:00Z' + (g || ' hours')::interval
           FROM generate_series(0, 9) g`,
        [R, sync.id],
      );
    });

    it('lists windows as {start, end} in UTC, overlapping [from, to), paginated', async () => {
      const res = await ctx.reader.get(`/resources/${R}/availability`).expect(200);
      expect(res.body.items).toHaveLength(10);
      expect(res.body.items[0]).toEqual({ start: '2026-05-01T08:00:00.000Z', end: '2026-05-01T08:30:00.000Z' });
      expect(res.body.nextCursor).toBeNull();
      const range = await ctx.reader.get(`/resources/${R}/availability?from=2026-05-01T09:15:00Z&to=2026-05-01T11:00:00Z`).expect(200);
      expect(range.body.items).toEqual([
        { start: '2026-05-01T09:00:00.000Z', end: '2026-05-01T09:30:00.000Z' },
        { start: '2026-05-01T10:00:00.000Z', end: '2026-05-01T10:30:00.000Z' },
      ]);
      const touching = await ctx.reader.get(`/resources/${R}/availability?from=2026-05-01T08:30:00Z&to=2026-05-01T09:00:00Z`).expect(200);
      expect(touching.body.items).toEqual([]);
      const { items, pages } = await all(`/resources/${R}/availability?limit=3`, (w) => w.start);
      expect(pages).toBe(4);
      expect(items.map((w) => w.start)).toEqual(res.body.items.map((w: Json) => w.start));
      expect((await ctx.reader.get('/resources/r_zuid_06/availability').expect(200)).body).toEqual({ items: [], nextCursor: null });
    });

    it('validates input', async () => {
      await expectBadRequest(`/resources/${R}/availability?from=tomorrow`, 'from');
      await expectBadRequest(`/resources/${R}/availability?from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z`, 'to');
      await expectBadRequest(`/resources/${R}/availability?limit=501`, 'limit');
      await expectBadRequest(`/resources/${R}/availability?status=free`, 'status');
    });
  });

  describe('length of stay', () => {
    beforeAll(async () => {
      // r_lodge / r_cabin at rd-resort: 2 channels x 5 dates x 3 lengths; one more resort row elsewhere.
      await ctx.db.query(
        insertLosCellsSql(`SELECT r AS resource_id, c AS channel, date '2022-04-01' + d AS arrival_date, s AS length_of_stay, 'rd-resort' AS location_id,
                $1::uuid AS connection_id, (d + s) % 4 AS units_available, CASE WHEN r = 'r_cabin' THEN NULL ELSE 100 + d * 10 + s + 0.5 END AS price,
                CASE WHEN r = 'r_cabin' THEN NULL ELSE 'EUR' END AS currency, '2026-02-02T00:00:00Z'::timestamptz AS updated_at, NULL::uuid AS account_id
           FROM unnest(ARRAY['r_lodge', 'r_cabin']) r, unnest(ARRAY['dc_jdy39', 'web']) c, generate_series(0, 4) d, generate_series(1, 3) s`),
        [strat.id],
      );
      await ctx.db.query(
        insertLosCellsSql(`SELECT 'r_other' AS resource_id, 'web' AS channel, date '2022-04-01' AS arrival_date, 7 AS length_of_stay, 'rd-elsewhere' AS location_id,
                $1::uuid AS connection_id, 9 AS units_available, 500 AS price, 'EUR' AS currency, now() AS updated_at, NULL::uuid AS account_id`),
        [strat.id],
      );
    });
    const key = (c: Json) => `${c.resourceId}|${c.channel}|${c.arrivalDate}|${c.lengthOfStay}`;

    it('answers exactly the contract fields with the calendar date untouched', async () => {
      const res = await ctx.reader.get('/los?resourceId=r_lodge&channel=dc_jdy39&arrivalFrom=2022-04-01&arrivalTo=2022-04-01&lengthOfStay=2').expect(200);
      expect(res.body).toEqual({
        items: [{ resourceId: 'r_lodge', channel: 'dc_jdy39', arrivalDate: '2022-04-01', lengthOfStay: 2, unitsAvailable: 2, price: 102.5, currency: 'EUR', updatedAt: '2026-02-02T00:00:00.000Z' }],
        nextCursor: null,
      });
      const cabin = await ctx.reader.get('/los?resourceId=r_cabin&limit=1').expect(200);
      expect(cabin.body.items[0]).toMatchObject({ price: null, currency: null });
    });

    it('pages all cells in primary-key order without gaps or duplicates', async () => {
      const { items } = await all('/los?limit=7', key);
      expect(items).toHaveLength(61);
      const keys = items.map((c) => [c.resourceId, c.channel, c.arrivalDate, String(c.lengthOfStay)].join('\u0001'));
      expect(keys).toEqual([...keys].sort((a, b) => (a < b ? -1 : 1)));
      const lodge = await all('/los?resourceId=r_lodge&limit=4', key);
      expect(lodge.items).toHaveLength(30);
      expect(lodge.items[0]).toMatchObject({ channel: 'dc_jdy39', arrivalDate: '2022-04-01', lengthOfStay: 1 });
    });

    it('with locationId or channel, pages by arrival date', async () => {
      const { items } = await all('/los?locationId=rd-resort&limit=7', key);
      expect(items).toHaveLength(60);
      const dates = items.map((c) => c.arrivalDate);
      expect(dates).toEqual([...dates].sort());
      expect(items.every((c) => c.resourceId !== 'r_other')).toBe(true);
      const web = await all('/los?channel=web&limit=4', key);
      expect(web.items).toHaveLength(31);
      expect(web.items.every((c) => c.channel === 'web')).toBe(true);
      expect(web.items[0]).toMatchObject({ arrivalDate: '2022-04-01', resourceId: 'r_cabin', lengthOfStay: 1 });
      // A cursor of one ordering is refused by the other.
      const byArrival = await ctx.reader.get('/los?channel=web&limit=1').expect(200);
      await expectBadRequest(`/los?resourceId=r_lodge&cursor=${byArrival.body.nextCursor}`, 'cursor');
    });

    it('filters by arrival range (inclusive), lengthOfStay and minUnits', async () => {
      const range = await all('/los?locationId=rd-resort&arrivalFrom=2022-04-02&arrivalTo=2022-04-03', key);
      expect(range.items).toHaveLength(24);
      expect(new Set(range.items.map((c) => c.arrivalDate))).toEqual(new Set(['2022-04-02', '2022-04-03']));
      const los3 = await all('/los?resourceId=r_lodge&lengthOfStay=3&channel=web', key);
      expect(los3.items.map((c) => c.arrivalDate)).toEqual(['2022-04-01', '2022-04-02', '2022-04-03', '2022-04-04', '2022-04-05']);
      const min3 = await all('/los?minUnits=3', key);
      expect(min3.items.length).toBeGreaterThan(0);
      expect(min3.items.every((c) => c.unitsAvailable >= 3)).toBe(true);
      const [{ n }] = await ctx.db.query('SELECT count(*)::int AS n FROM los_rows WHERE units_available >= 3');
      expect(min3.items).toHaveLength(n);
      expect((await all('/los?minUnits=0', key)).items).toHaveLength(61);
      expect((await all('/los?locationId=rd-elsewhere&lengthOfStay=7', key)).items.map((c) => c.resourceId)).toEqual(['r_other']);
      expect((await all('/los?resourceId=unknown', key)).items).toEqual([]);
      expect((await all('/los?arrivalFrom=2022-04-05&arrivalTo=2022-04-05&channel=dc_jdy39&minUnits=1', key)).items.every((c) => c.arrivalDate === '2022-04-05')).toBe(true);
    });

    it('validates dates, integers and ids', async () => {
      await expectBadRequest('/los?arrivalFrom=2026-02-30', 'arrivalFrom');
      await expectBadRequest('/los?arrivalTo=2026-13-01', 'arrivalTo');
      await expectBadRequest('/los?arrivalFrom=2026-03-01T00:00:00Z', 'arrivalFrom');
      await expectBadRequest('/los?arrivalFrom=2026-03-02&arrivalTo=2026-03-01', 'arrivalTo');
      await expectBadRequest('/los?lengthOfStay=0', 'lengthOfStay');
      await expectBadRequest('/los?lengthOfStay=366', 'lengthOfStay');
      await expectBadRequest('/los?lengthOfStay=2.5', 'lengthOfStay');
      await expectBadRequest('/los?lengthOfStay=', 'lengthOfStay');
      await expectBadRequest('/los?minUnits=-1', 'minUnits');
      await expectBadRequest('/los?minUnits=lots', 'minUnits');
      await expectBadRequest('/los?resourceId=a%20b', 'resourceId');
      await expectBadRequest('/los?channel=%00', 'channel');
      await expectBadRequest('/los?arrivalDate=2026-03-01', 'arrivalDate');
      await expectBadRequest(`/los?cursor=${Buffer.from('["r","r_lodge","web","2022-04-01",99999]').toString('base64url')}`, 'cursor');
    });
  });

  it('describes the read routes in the OpenAPI document', async () => {
    const doc = await ctx.http().get('/docs-json').expect(200);
    for (const path of ['/locations', '/locations/{id}', '/resources', '/resources/{id}', '/resources/{id}/bookings', '/resources/{id}/availability', '/los']) {
      expect(doc.body.paths[path]?.get).toBeDefined();
    }
    const params = doc.body.paths['/los'].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(expect.arrayContaining(['locationId', 'resourceId', 'channel', 'arrivalFrom', 'arrivalTo', 'lengthOfStay', 'minUnits', 'limit', 'cursor']));
  });
});
