import { FakeBodyOptions, FakeLosDataset, StratechFake, StratechKit } from './fakes/stratech-fake.server';
import type { TestContext } from './support/test-app';

const SECRET = 'stratech-webhook-secret-0123';

type Cell = { arrivalDate: string; lengthOfStay: number; unitsAvailable: number; price?: number | null };

function dataset(org: string, resort: string, channel: string, key: string, products: Record<string, Cell[]>, names: Record<string, string> = {}): FakeLosDataset {
  return {
    key, organizationReference: org, resortReference: resort, channelReference: channel, currency: 'EUR',
    products: Object.entries(products).map(([productId, losPriceAvailability]) => ({ productId, ...(names[productId] ? { name: names[productId] } : {}), losPriceAvailability })),
  };
}

const cell = (arrivalDate: string, lengthOfStay: number, unitsAvailable: number, price?: number): Cell =>
  ({ arrivalDate, lengthOfStay, unitsAvailable, ...(price === undefined ? {} : { price }) });

/** `products` products p0… × `days` arrival dates from `from` × `stays` lengths of stay. */
function grid(products: number, days: number, stays: number, from: string): Record<string, Cell[]> {
  const out: Record<string, Cell[]> = {};
  const start = Date.parse(`${from}T00:00:00Z`);
  for (let i = 0; i < products; i++) {
    const cells: Cell[] = [];
    for (let d = 0; d < days; d++) {
      const date = new Date(start + d * 86_400_000).toISOString().slice(0, 10);
      for (let los = 1; los <= stays; los++) cells.push(cell(`${date}T00:00:00+01:00`, los, (i + d + los) % 9, 40 + los + i / 4));
    }
    out[`p${i}`] = cells;
  }
  return out;
}

describe('stratech: LOS datasets and partials', () => {
  let fake: StratechFake;
  let ctx: TestContext;
  let kit: StratechKit;

  beforeAll(async () => {
    kit = await StratechKit.start(SECRET);
    ({ fake, ctx } = kit);
  });
  afterAll(async () => {
    await kit?.close();
  });

  /** Authorized organization with one mapped resort. */
  async function park(org: string, resort = 'rst_54321') {
    const connectionId = await kit.authorize(org);
    const locationId = await kit.map(connectionId, resort);
    return { org, resort, connectionId, locationId };
  }

  async function load(org: string, resort: string, channel: string, key: string, products: Record<string, Cell[]>, names?: Record<string, string>, options?: FakeBodyOptions) {
    fake.putDataset(dataset(org, resort, channel, key, products, names), options);
    return kit.settle(await kit.send(kit.losCreated(org, resort, channel, key)));
  }

  it('authorization, then a full dataset, then a partial: resources, rows, prices, GET /los', async () => {
    const p = await park('org_12345');
    const loaded = await load(p.org, p.resort, 'dc_jdy39', 'losKey', {
      prod_46fphyv: [cell('2022-04-01T00:00:00+02:00', 1, 15, 129), cell('2022-04-01T00:00:00+02:00', 2, 15, 238), cell('2022-04-02T00:00:00+02:00', 1, 15, 139)],
      prod_other: [cell('2022-04-01T00:00:00+02:00', 7, 2, 899.5)],
    }, { prod_46fphyv: 'Forest lodge 4p' });
    expect(loaded).toMatchObject({ status: 'done', connection_id: p.connectionId });

    // The organization token from the code exchange was used as Bearer.
    const [get] = fake.callsOf('los', p.org);
    expect(get).toMatchObject({ method: 'GET', path: '/v1/channels/dc_jdy39/los/losKey', status: 200 });
    expect(fake.accessTokensOf(p.org).map((t) => `Bearer ${t}`)).toContain(get.authorization);

    const resources = await ctx.db.query(`SELECT id, location_id, type, name, status, external_id FROM resources WHERE connection_id = $1 ORDER BY external_id`, [p.connectionId]);
    expect(resources).toEqual([
      { id: expect.stringMatching(/^r_/), location_id: p.locationId, type: 'accommodation', name: 'Forest lodge 4p', status: 'active', external_id: 'prod_46fphyv' },
      { id: expect.stringMatching(/^r_/), location_id: p.locationId, type: 'accommodation', name: null, status: 'active', external_id: 'prod_other' },
    ]);
    expect(await kit.rows(p.locationId)).toEqual([
      { product: 'prod_46fphyv', channel: 'dc_jdy39', arrival_date: '2022-04-01', length_of_stay: 1, units_available: 15, price: 129, currency: 'EUR', dataset_key: 'losKey' },
      { product: 'prod_46fphyv', channel: 'dc_jdy39', arrival_date: '2022-04-01', length_of_stay: 2, units_available: 15, price: 238, currency: 'EUR', dataset_key: 'losKey' },
      { product: 'prod_46fphyv', channel: 'dc_jdy39', arrival_date: '2022-04-02', length_of_stay: 1, units_available: 15, price: 139, currency: 'EUR', dataset_key: 'losKey' },
      { product: 'prod_other', channel: 'dc_jdy39', arrival_date: '2022-04-01', length_of_stay: 7, units_available: 2, price: 899.5, currency: 'EUR', dataset_key: 'losKey' },
    ]);
    expect(await ctx.db.query(`SELECT dataset_key FROM los_datasets WHERE location_id = $1 AND channel = 'dc_jdy39'`, [p.locationId])).toEqual([{ dataset_key: 'losKey' }]);

    // The seed's partial: units of listed cells change, prices and other cells stay; a new product appears.
    const partial = await kit.settle(await kit.send(kit.losUpdated(p.org, p.resort, 'dc_jdy39', 'losKey', [
      { productId: 'prod_46fphyv', losPriceAvailability: [
        { arrivalDate: '2022-04-01T00:00:00+02:00', lengthOfStay: 1, unitsAvailable: 14 },
        { arrivalDate: '2022-04-02T00:00:00+02:00', lengthOfStay: 1, unitsAvailable: 0 },
      ] },
      { productId: 'prod_new', losPriceAvailability: [{ arrivalDate: '2022-04-03T00:00:00+02:00', lengthOfStay: 3, unitsAvailable: 1 }] },
    ])));
    expect(partial).toMatchObject({ status: 'done', connection_id: p.connectionId });
    const rows = await kit.rows(p.locationId);
    expect(rows.map((r) => [r.product, r.arrival_date, r.length_of_stay, r.units_available, r.price])).toEqual([
      ['prod_46fphyv', '2022-04-01', 1, 14, 129],
      ['prod_46fphyv', '2022-04-01', 2, 15, 238],
      ['prod_46fphyv', '2022-04-02', 1, 0, 139],
      ['prod_new', '2022-04-03', 3, 1, null],
      ['prod_other', '2022-04-01', 7, 2, 899.5],
    ]);
    const [created] = await ctx.db.query(`SELECT type, location_id FROM resources WHERE connection_id = $1 AND external_id = 'prod_new'`, [p.connectionId]);
    expect(created).toEqual({ type: 'accommodation', location_id: p.locationId });
    expect(fake.callsOf('los', p.org)).toHaveLength(1);

    const lodge = resources[0].id;
    const api = await ctx.reader.get(`/los?locationId=${p.locationId}&channel=dc_jdy39&resourceId=${lodge}`).expect(200);
    expect(api.body.items).toEqual([
      { resourceId: lodge, channel: 'dc_jdy39', arrivalDate: '2022-04-01', lengthOfStay: 1, unitsAvailable: 14, price: 129, currency: 'EUR', updatedAt: expect.stringMatching(/Z$/) },
      { resourceId: lodge, channel: 'dc_jdy39', arrivalDate: '2022-04-01', lengthOfStay: 2, unitsAvailable: 15, price: 238, currency: 'EUR', updatedAt: expect.stringMatching(/Z$/) },
      { resourceId: lodge, channel: 'dc_jdy39', arrivalDate: '2022-04-02', lengthOfStay: 1, unitsAvailable: 0, price: 139, currency: 'EUR', updatedAt: expect.stringMatching(/Z$/) },
    ]);
    const filtered = await ctx.reader.get(`/los?locationId=${p.locationId}&arrivalFrom=2022-04-01&arrivalTo=2022-04-01&minUnits=1`).expect(200);
    expect(filtered.body.items.map((i: { lengthOfStay: number }) => i.lengthOfStay).sort()).toEqual([1, 2, 7]);
    const resource = await ctx.reader.get(`/resources/${lodge}`).expect(200);
    expect(resource.body).toMatchObject({ type: 'accommodation', name: 'Forest lodge 4p', provider: 'stratech', externalId: 'prod_46fphyv', locationId: p.locationId });
  });

  it('a partial moves updatedAt of the cells it changed only; the other stays of that day keep theirs (cells are stored by day)', async () => {
    const p = await park('org_cell_times');
    expect((await load(p.org, p.resort, 'dc_cells', 'k1', {
      lodge: [cell('2022-05-01', 1, 5, 100), cell('2022-05-01', 2, 5, 190), cell('2022-05-01', 3, 5, 270), cell('2022-05-02', 1, 5, 100)],
    })).status).toBe('done');
    const times = async () => Object.fromEntries((await ctx.reader.get(`/los?locationId=${p.locationId}&channel=dc_cells`).expect(200)).body.items
      .map((i: { arrivalDate: string; lengthOfStay: number; updatedAt: string; unitsAvailable: number }) => [`${i.arrivalDate}/${i.lengthOfStay}`, [i.updatedAt, i.unitsAvailable]]));
    const loaded = await times();
    const partial = async (los: number, units: number) => expect((await kit.settle(await kit.send(kit.losUpdated(p.org, p.resort, 'dc_cells', 'k1', [
      { productId: 'lodge', losPriceAvailability: [{ arrivalDate: '2022-05-01', lengthOfStay: los, unitsAvailable: units }, { arrivalDate: '2022-05-01', lengthOfStay: 1, unitsAvailable: 5 }] },
    ])))).status).toBe('done');
    await partial(2, 4); // stay 1 is listed with its own value: not a change
    const first = await times();
    expect(first['2022-05-01/2']).toEqual([expect.any(String), 4]);
    expect(first['2022-05-01/2'][0] > loaded['2022-05-01/2'][0]).toBe(true);
    for (const k of ['2022-05-01/1', '2022-05-01/3', '2022-05-02/1']) expect(first[k]).toEqual(loaded[k]);
    await partial(3, 0);
    const second = await times();
    expect(second['2022-05-01/3'][0] > first['2022-05-01/2'][0]).toBe(true);
    expect(second['2022-05-01/2']).toEqual(first['2022-05-01/2']);
    expect(second['2022-05-01/1']).toEqual(loaded['2022-05-01/1']);
    expect(second['2022-05-01/3'][1]).toBe(0);
  });

  it('arrivalDate keeps its own calendar date end to end (offsets never shift it through UTC)', async () => {
    const p = await park('org_dates');
    expect((await load(p.org, p.resort, 'dc_1', 'k1', {
      lodge: [cell('2022-04-01T00:00:00+02:00', 1, 1, 10), cell('2022-04-01T23:30:00-05:00', 2, 2, 20), cell('2022-04-02', 3, 3, 30), cell('2022-04-03T00:00:00+14:00', 1, 4, 40)],
    })).status).toBe('done');
    expect((await kit.rows(p.locationId)).map((r) => [r.arrival_date, r.length_of_stay])).toEqual([
      ['2022-04-01', 1], ['2022-04-01', 2], ['2022-04-02', 3], ['2022-04-03', 1],
    ]);
    const done = await kit.settle(await kit.send(kit.losUpdated(p.org, p.resort, 'dc_1', 'k1', [
      { productId: 'lodge', losPriceAvailability: [{ arrivalDate: '2022-04-01T23:30:00-05:00', lengthOfStay: 2, unitsAvailable: 9 }] },
    ])));
    expect(done.status).toBe('done');
    const rows = await kit.rows(p.locationId);
    expect(rows.find((r) => r.arrival_date === '2022-04-01' && r.length_of_stay === 2)?.units_available).toBe(9);
    expect(rows.find((r) => r.arrival_date === '2022-04-02')?.units_available).toBe(3);
  });

  it('partials apply in arrival order: the later-received of two partials for one cell wins', async () => {
    // Unmapped resort: the first partial is held, so the whole partition queues behind it.
    const connectionId = await kit.authorize('org_order');
    const body = (units: number) => kit.losUpdated('org_order', 'rst_o', 'dc_o', 'k1', [
      { productId: 'lodge', losPriceAvailability: [{ arrivalDate: '2022-05-01T00:00:00+02:00', lengthOfStay: 1, unitsAvailable: units }] },
    ]);
    const first = await kit.send(body(5));
    expect(await kit.settle(first)).toMatchObject({ status: 'held', connection_id: connectionId });
    const second = await kit.send(body(3));
    const third = await kit.send(body(7));
    // An identical body while the earlier one still waits is coalesced into it.
    const dup = await kit.post(body(7)).expect(202);
    expect(dup.body).toEqual({ eventId: third, status: 'coalesced' });
    expect((await kit.event(second)).status).toBe('pending');

    const locationId = await kit.map(connectionId, 'rst_o');
    for (const id of [first, second, third]) expect((await kit.settle(id, ['done', 'dead'])).status).toBe('done');
    expect((await kit.rows(locationId)).map((r) => r.units_available)).toEqual([7]);
  });

  it('a second full dataset replaces the first: rows not in it are gone', async () => {
    const p = await park('org_replace');
    await load(p.org, p.resort, 'dc_r', 'k1', {
      a: [cell('2022-06-01', 1, 1, 100), cell('2022-06-01', 2, 1, 190)],
      b: [cell('2022-06-01', 1, 4, 80)],
    });
    // Another channel of the same resort is independent.
    await load(p.org, p.resort, 'dc_other', 'x1', { b: [cell('2022-06-01', 1, 9, 70)] });
    expect(await kit.rows(p.locationId, 'dc_r')).toHaveLength(3);

    const second = await load(p.org, p.resort, 'dc_r', 'k2', { a: [cell('2022-06-02', 1, 2, 110)] });
    expect(second.status).toBe('done');
    expect(await kit.rows(p.locationId, 'dc_r')).toEqual([
      { product: 'a', channel: 'dc_r', arrival_date: '2022-06-02', length_of_stay: 1, units_available: 2, price: 110, currency: 'EUR', dataset_key: 'k2' },
    ]);
    expect((await kit.rows(p.locationId, 'dc_other')).map((r) => [r.product, r.units_available, r.dataset_key])).toEqual([['b', 9, 'x1']]);
    // A product in two channels is one resource.
    expect(await ctx.db.query(`SELECT external_id FROM resources WHERE connection_id = $1 ORDER BY external_id`, [p.connectionId]))
      .toEqual([{ external_id: 'a' }, { external_id: 'b' }]);
  });

  it('a resort mapped to another location takes its products along on the next dataset (the unmapping retired the old rows)', async () => {
    const p = await park('org_move');
    await load(p.org, p.resort, 'dc_m', 'k1', { a: [cell('2023-03-01', 1, 1, 10)], b: [cell('2023-03-01', 1, 2, 20)] });
    await ctx.admin.delete(`/admin/connections/${p.connectionId}/locations/${p.locationId}`).expect(204);
    // CONTRACT.md section 6 v2: unmapping deletes the connection's LOS rows there and removes its resources.
    expect(await kit.rows(p.locationId)).toEqual([]);
    const moved = await kit.map(p.connectionId, p.resort, 'park-moved');
    expect((await load(p.org, p.resort, 'dc_m', 'k2', { a: [cell('2023-03-02', 1, 3, 30)] })).status).toBe('done');
    // Product a moved (same resource, active again); b, absent from the new dataset, stays removed where it was last seen.
    expect(await kit.rows(p.locationId)).toEqual([]);
    expect((await kit.rows(moved)).map((r) => [r.product, r.arrival_date, r.units_available])).toEqual([['a', '2023-03-02', 3]]);
    expect(await ctx.db.query(`SELECT external_id, location_id, status FROM resources WHERE connection_id = $1 ORDER BY external_id`, [p.connectionId]))
      .toEqual([{ external_id: 'a', location_id: moved, status: 'active' }, { external_id: 'b', location_id: p.locationId, status: 'removed' }]);
  });

  it('a partial whose losKey is not the loaded dataset is ignored; with no dataset loaded it applies', async () => {
    const p = await park('org_stale');
    const early = await kit.settle(await kit.send(kit.losUpdated(p.org, p.resort, 'dc_s', 'k0', [
      { productId: 'a', losPriceAvailability: [{ arrivalDate: '2022-07-01', lengthOfStay: 1, unitsAvailable: 6 }] },
    ])));
    expect(early.status).toBe('done');
    expect((await kit.rows(p.locationId)).map((r) => [r.product, r.units_available, r.price])).toEqual([['a', 6, null]]);

    await load(p.org, p.resort, 'dc_s', 'k2', { a: [cell('2022-07-01', 1, 3, 50)] });
    const stale = await kit.settle(await kit.send(kit.losUpdated(p.org, p.resort, 'dc_s', 'k1', [
      { productId: 'a', losPriceAvailability: [{ arrivalDate: '2022-07-01', lengthOfStay: 1, unitsAvailable: 0 }] },
    ])));
    expect(stale.status).toBe('ignored');
    expect(stale.last_error).toMatch(/^stale losKey/);
    expect((await kit.rows(p.locationId)).map((r) => [r.units_available, r.price, r.dataset_key])).toEqual([[3, 50, 'k2']]);
  });

  it('an unmapped resort is held, then released by adding the mapping', async () => {
    const connectionId = await kit.authorize('org_unmapped');
    fake.putDataset(dataset('org_unmapped', 'rst_u', 'dc_u', 'k1', { a: [cell('2022-08-01', 1, 2, 10)] }));
    const id = await kit.send(kit.losCreated('org_unmapped', 'rst_u', 'dc_u', 'k1'));
    const heldRow = await kit.settle(id);
    expect(heldRow).toMatchObject({ status: 'held', connection_id: connectionId });
    expect(heldRow.last_error).toMatch(/rst_u.*not mapped/);
    expect(fake.callsOf('los', 'org_unmapped')).toHaveLength(0);

    await ctx.admin.post(`/admin/connections/${connectionId}/locations`).send({ locationId: 'park-unmapped', externalId: 'rst_u' }).expect(201);
    expect((await kit.settle(id, ['done', 'dead'])).status).toBe('done');
    expect(await kit.rows('park-unmapped')).toHaveLength(1);
  });

  it('an unknown organization is held, then released by its authorization (and by the mapping)', async () => {
    fake.putDataset(dataset('org_late', 'rst_l', 'dc_l', 'k1', { a: [cell('2022-09-01', 1, 2, 10)] }));
    const id = await kit.send(kit.losCreated('org_late', 'rst_l', 'dc_l', 'k1'));
    const first = await kit.settle(id);
    expect(first).toMatchObject({ status: 'held', connection_id: null });
    expect(first.last_error).toMatch(/unknown organization/);

    const connectionId = await kit.authorize('org_late');
    // The authorization released it (before its own event finished); evaluated again, it now waits for the mapping.
    const again = await kit.settle(id, ['held']);
    expect(again).toMatchObject({ status: 'held', connection_id: connectionId });
    expect(again.last_error).toMatch(/not mapped/);
    const locationId = await kit.map(connectionId, 'rst_l');
    expect((await kit.settle(id, ['done', 'dead'])).status).toBe('done');
    expect(await kit.rows(locationId)).toHaveLength(1);
  });

  it('a disabled connection holds its events until it is enabled again', async () => {
    const p = await park('org_disabled');
    await ctx.admin.patch(`/admin/connections/${p.connectionId}`).send({ status: 'disabled' }).expect(200);
    fake.putDataset(dataset(p.org, p.resort, 'dc_d', 'k1', { a: [cell('2022-10-01', 1, 2, 10)] }));
    const id = await kit.send(kit.losCreated(p.org, p.resort, 'dc_d', 'k1'));
    expect(await kit.settle(id)).toMatchObject({ status: 'held', last_error: 'connection disabled' });
    await ctx.admin.patch(`/admin/connections/${p.connectionId}`).send({ status: 'active' }).expect(200);
    expect((await kit.settle(id, ['done', 'dead'])).status).toBe('done');
  });

  it('refreshes the organization token when it is refused, saving the rotated refresh token', async () => {
    const p = await park('org_refresh');
    const [firstRefresh] = fake.refreshTokensOf(p.org);
    fake.invalidateAccessTokens();
    expect((await load(p.org, p.resort, 'dc_t', 'k1', { a: [cell('2022-11-01', 1, 1, 1)] })).status).toBe('done');
    const grants = fake.callsOf('token', p.org).filter((c) => c.form?.grant_type === 'refresh_token');
    expect(grants).toHaveLength(1);
    expect(grants[0].form).toEqual({ grant_type: 'refresh_token', client_id: fake.clientId, client_secret: fake.clientSecret, refresh_token: firstRefresh });
    // A refused token carries no organization: pick this test's calls by channel.
    expect(fake.callsOf('los').filter((c) => c.path.startsWith('/v1/channels/dc_t/')).map((c) => c.status)).toEqual([401, 200]);

    // The rotated refresh token was stored: the next refresh presents it, not the spent one.
    const [rotated] = fake.refreshTokensOf(p.org);
    expect(rotated).not.toBe(firstRefresh);
    fake.invalidateAccessTokens();
    expect((await load(p.org, p.resort, 'dc_t', 'k2', { a: [cell('2022-11-02', 1, 1, 1)] })).status).toBe('done');
    const later = fake.callsOf('token', p.org).filter((c) => c.form?.grant_type === 'refresh_token');
    expect(later.map((c) => [c.form?.refresh_token, c.status])).toEqual([[firstRefresh, 200], [rotated, 200]]);
  });

  it('a refresh token Stratech refuses holds the event until the organization authorizes again', async () => {
    const p = await park('org_refused');
    fake.invalidateAccessTokens();
    fake.revokeRefreshTokens(p.org);
    fake.putDataset(dataset(p.org, p.resort, 'dc_r', 'k1', { a: [cell('2022-11-03', 1, 4, 10)] }));
    const id = await kit.send(kit.losCreated(p.org, p.resort, 'dc_r', 'k1'));
    const waiting = await kit.settle(id, ['held', 'dead', 'done']);
    expect(waiting).toMatchObject({ status: 'held', connection_id: p.connectionId });
    expect(waiting.last_error).toMatch(/refused the refresh token/);
    expect(waiting.last_error).not.toMatch(/rt-/);
    expect(await kit.rows(p.locationId)).toEqual([]);
    // A new Authorization.code.created releases it; it runs with the new organization token.
    await kit.authorize(p.org);
    expect((await kit.settle(id, ['done', 'dead'])).status).toBe('done');
    expect((await kit.rows(p.locationId)).map((r) => [r.arrival_date, r.units_available])).toEqual([['2022-11-03', 4]]);
  });

  it('expired tokens are refreshed before the call; concurrent refreshes never present a spent refresh token', async () => {
    fake.expiresIn = 30; // inside the expiry margin: every use needs a refresh
    try {
      const p = await park('org_expiry');
      const channels = ['c1', 'c2', 'c3', 'c4'];
      for (const c of channels) fake.putDataset(dataset(p.org, p.resort, c, 'k1', { a: [cell('2022-11-05', 1, 1, 1)] }));
      const ids = await Promise.all(channels.map((c) => kit.send(kit.losCreated(p.org, p.resort, c, 'k1'))));
      for (const id of ids) expect((await kit.settle(id, ['done', 'dead'])).status).toBe('done');
      const refreshes = fake.callsOf('token', p.org).filter((c) => c.form?.grant_type === 'refresh_token');
      expect(refreshes.length).toBeGreaterThanOrEqual(1);
      expect(refreshes.every((c) => c.status === 200)).toBe(true);
      expect(fake.callsOf('los', p.org).every((c) => c.status === 200)).toBe(true);
    } finally {
      fake.expiresIn = 3600;
    }
  });

  it('a dataset Stratech no longer has (404) is ignored; a 503 is retried', async () => {
    const p = await park('org_errors');
    const gone = await kit.settle(await kit.send(kit.losCreated(p.org, p.resort, 'dc_e', 'missing')));
    expect(gone.status).toBe('ignored');
    expect(gone.last_error).toMatch(/not found at Stratech/);

    fake.failNext('los', 503, { retryAfter: '0' });
    const flaky = await load(p.org, p.resort, 'dc_e', 'k1', { a: [cell('2022-12-01', 1, 1, 1)] });
    expect(flaky).toMatchObject({ status: 'done', attempts: 2 });
  });

  it('a malformed dataset is dead and changes nothing', async () => {
    const p = await park('org_bad');
    await load(p.org, p.resort, 'dc_b', 'k1', { a: [cell('2023-01-01', 1, 1, 1)] });
    const bad = await load(p.org, p.resort, 'dc_b', 'k2', { a: [cell('2023-01-01', 1, 1, 1), cell('2023-02-30', 1, 1, 1)] });
    expect(bad.status).toBe('dead');
    expect(bad.last_error).toMatch(/arrivalDate/);
    expect((await kit.rows(p.locationId)).map((r) => [r.arrival_date, r.dataset_key])).toEqual([['2023-01-01', 'k1']]);
  });

  it('loads a dataset larger than one insert batch completely (12 products × 150 arrivals × 14 stays)', async () => {
    const p = await park('org_big');
    const products: Record<string, Cell[]> = {};
    for (let i = 0; i < 12; i++) {
      const cells: Cell[] = [];
      for (let d = 0; d < 150; d++) {
        const date = new Date(Date.UTC(2024, 0, 1 + d)).toISOString().slice(0, 10);
        for (let los = 1; los <= 14; los++) cells.push(cell(`${date}T00:00:00+01:00`, los, (d + los) % 5, 50 + los));
      }
      products[`p${i}`] = cells;
    }
    expect((await load(p.org, p.resort, 'dc_big', 'k1', products)).status).toBe('done');
    const [stats] = await ctx.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT resource_id)::int AS products, min(arrival_date)::text AS first, max(arrival_date)::text AS last
         FROM los_rows WHERE location_id = $1`, [p.locationId]);
    expect(stats).toEqual({ n: 25200, products: 12, first: '2024-01-01', last: '2024-05-29' });
  });

  it('a dataset streamed in small pieces by a slow Stratech loads exactly (UTF-8 characters split across pieces)', async () => {
    const p = await park('org_slow');
    const products = grid(3, 40, 7, '2025-03-01');
    const names = { p0: 'Zwölf Hütte 😀', p1: 'Ærø lodge', p2: 'Tent “north”' };
    const loaded = await load(p.org, p.resort, 'dc_slow', 'k1', products, names, { chunkBytes: 97, chunkDelayMs: 1, chunked: true });
    expect(loaded).toMatchObject({ status: 'done', attempts: 1 });
    const rows = await kit.rows(p.locationId, 'dc_slow');
    expect(rows).toHaveLength(3 * 40 * 7);
    expect(rows.map((r) => [r.product, r.arrival_date, r.length_of_stay, r.units_available, r.price])).toEqual(
      Object.entries(products).flatMap(([product, cells]) => cells.map((c) => [product, c.arrivalDate.slice(0, 10), c.lengthOfStay, c.unitsAvailable, c.price])),
    );
    const stored = await ctx.db.query(`SELECT external_id, name FROM resources WHERE connection_id = $1 ORDER BY external_id`, [p.connectionId]);
    expect(stored).toEqual([{ external_id: 'p0', name: names.p0 }, { external_id: 'p1', name: names.p1 }, { external_id: 'p2', name: names.p2 }]);
  });

  it('a dataset whose JSON turns invalid mid-stream is dead and changes nothing (rows already sent are rolled back)', async () => {
    const p = await park('org_broken');
    await load(p.org, p.resort, 'dc_x', 'k1', { a: [cell('2024-01-01', 1, 5, 50)] });
    const resourcesBefore = await ctx.db.query(`SELECT external_id FROM resources WHERE connection_id = $1`, [p.connectionId]);
    // 3 products of 4,200 cells: the first two are written (more than one statement) before the third breaks.
    const text = JSON.stringify(dataset(p.org, p.resort, 'dc_x', 'k2', grid(3, 150, 28, '2024-01-01')));
    const broken = `${text.slice(0, Math.floor(text.length * 0.8))}]]}oops, not JSON`;
    fake.putDatasetBody(p.org, 'dc_x', 'k2', broken, { chunkBytes: 16384, chunked: true });
    const bad = await kit.settle(await kit.send(kit.losCreated(p.org, p.resort, 'dc_x', 'k2')));
    expect(bad).toMatchObject({ status: 'dead', attempts: 1 });
    expect(bad.last_error).toMatch(/^Stratech LOS dataset "k2": the answer is not valid JSON/);
    expect((await kit.rows(p.locationId)).map((r) => [r.product, r.arrival_date, r.units_available, r.dataset_key])).toEqual([['a', '2024-01-01', 5, 'k1']]);
    expect(await ctx.db.query(`SELECT dataset_key FROM los_datasets WHERE location_id = $1`, [p.locationId])).toEqual([{ dataset_key: 'k1' }]);
    expect(await ctx.db.query(`SELECT external_id FROM resources WHERE connection_id = $1`, [p.connectionId])).toEqual(resourcesBefore);
  });

  it('a connection that breaks mid-body is retried (not dead at once) and changes nothing', async () => {
    const p = await park('org_cut');
    await load(p.org, p.resort, 'dc_c', 'k1', { a: [cell('2024-02-01', 1, 5, 50)] });
    const text = JSON.stringify(dataset(p.org, p.resort, 'dc_c', 'k2', grid(3, 150, 28, '2024-02-01')));
    fake.putDatasetBody(p.org, 'dc_c', 'k2', text, { chunkBytes: 16384, cutAfterBytes: Math.floor(text.length * 0.7) });
    const cut = await kit.settle(await kit.send(kit.losCreated(p.org, p.resort, 'dc_c', 'k2')));
    // Every attempt of the retry schedule was cut off the same way, so it ends dead, as any failure does.
    expect(cut.status).toBe('dead');
    expect(cut.attempts).toBeGreaterThan(1);
    expect(cut.last_error).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/v1\/channels\/dc_c\/los\/k2 failed: network error$/);
    expect((await kit.rows(p.locationId)).map((r) => [r.product, r.units_available, r.dataset_key])).toEqual([['a', 5, 'k1']]);
    // Once Stratech answers whole, the same dataset loads.
    fake.putDatasetBody(p.org, 'dc_c', 'k2', text);
    await ctx.admin.post(`/admin/events/${cut.id}/replay`).expect((res) => expect([200, 202]).toContain(res.status));
    expect((await kit.settle(cut.id, ['done'])).status).toBe('done');
    expect(await kit.rows(p.locationId, 'dc_c')).toHaveLength(3 * 150 * 28);
  });

  it("the dataset's own key and references must be the event's; scalars after the products still count", async () => {
    const p = await park('org_refs');
    await load(p.org, p.resort, 'dc_f', 'k1', { a: [cell('2024-03-01', 1, 5, 50)] });
    fake.putDataset({ ...dataset(p.org, p.resort, 'dc_f', 'k2', { a: [cell('2024-03-02', 1, 1, 1)] }), resortReference: 'rst_other' });
    const wrong = await kit.settle(await kit.send(kit.losCreated(p.org, p.resort, 'dc_f', 'k2')));
    expect(wrong).toMatchObject({ status: 'dead', last_error: 'Stratech LOS dataset "k2": the answer\'s resortReference "rst_other" is not the event\'s "rst_54321"' });
    expect((await kit.rows(p.locationId)).map((r) => r.dataset_key)).toEqual(['k1']);

    // Products first, then key, references and a lower-case currency: the currency reaches every row.
    const products = JSON.stringify(dataset(p.org, p.resort, 'dc_f', 'k3', { a: [cell('2024-03-03', 1, 2, 20)], b: [cell('2024-03-03', 2, 3, 30)] }).products);
    fake.putDatasetBody(p.org, 'dc_f', 'k3', `{"products":${products},"key":"k3","organizationReference":"${p.org}","resortReference":"${p.resort}","channelReference":"dc_f","currency":"usd"}`);
    expect((await kit.settle(await kit.send(kit.losCreated(p.org, p.resort, 'dc_f', 'k3')))).status).toBe('done');
    expect((await kit.rows(p.locationId)).map((r) => [r.product, r.currency, r.dataset_key])).toEqual([['a', 'USD', 'k3'], ['b', 'USD', 'k3']]);
    // A key that comes after the products and is not the event's: still refused before the commit.
    fake.putDatasetBody(p.org, 'dc_f', 'k4', `{"products":${products},"key":"k5"}`);
    const late = await kit.settle(await kit.send(kit.losCreated(p.org, p.resort, 'dc_f', 'k4')));
    expect(late).toMatchObject({ status: 'dead', last_error: 'Stratech LOS dataset "k4": the answer\'s key "k5" is not the event\'s "k4"' });
    expect((await kit.rows(p.locationId)).map((r) => r.dataset_key)).toEqual(['k3', 'k3']);
  });

  it('a product listed twice: the later listing of a cell wins, the later name too', async () => {
    const p = await park('org_twice');
    fake.putDataset({
      key: 'k1', organizationReference: p.org, resortReference: p.resort, channelReference: 'dc_t', currency: 'EUR',
      products: [
        { productId: 'a', name: 'First', losPriceAvailability: [cell('2024-04-01', 1, 1, 10), cell('2024-04-01', 2, 1, 20)] },
        { productId: 'b', losPriceAvailability: [cell('2024-04-01', 1, 7, 70)] },
        { productId: 'a', name: 'Second', losPriceAvailability: [cell('2024-04-01T00:00:00+02:00', 2, 9, 99), cell('2024-04-02', 1, 3, 30)] },
        { productId: 'a', losPriceAvailability: [] },
      ],
    });
    expect((await kit.settle(await kit.send(kit.losCreated(p.org, p.resort, 'dc_t', 'k1')))).status).toBe('done');
    expect((await kit.rows(p.locationId)).map((r) => [r.product, r.arrival_date, r.length_of_stay, r.units_available, r.price])).toEqual([
      ['a', '2024-04-01', 1, 1, 10], ['a', '2024-04-01', 2, 9, 99], ['a', '2024-04-02', 1, 3, 30], ['b', '2024-04-01', 1, 7, 70],
    ]);
    expect(await ctx.db.query(`SELECT external_id, name FROM resources WHERE connection_id = $1 ORDER BY external_id`, [p.connectionId]))
      .toEqual([{ external_id: 'a', name: 'Second' }, { external_id: 'b', name: null }]);
  });

  it('at most two datasets load at once in a process; the others wait for a slot', async () => {
    const p = await park('org_slots');
    const channels = ['s1', 's2', 's3', 's4'];
    for (const c of channels) fake.putDataset(dataset(p.org, p.resort, c, 'k1', grid(1, 30, 7, '2024-05-01')), { chunkBytes: 512, chunkDelayMs: 5, chunked: true });
    fake.maxLosInFlight = 0;
    const ids = await Promise.all(channels.map((c) => kit.send(kit.losCreated(p.org, p.resort, c, 'k1'))));
    for (const id of ids) expect((await kit.settle(id, ['done', 'dead'])).status).toBe('done');
    expect(fake.maxLosInFlight).toBe(2);
    for (const c of channels) expect(await kit.rows(p.locationId, c)).toHaveLength(30 * 7);
  });
});

describe('stratech: LOS dataset size cap (STRATECH_DATASET_MAX_BYTES)', () => {
  let kit: StratechKit;

  beforeAll(async () => {
    kit = await StratechKit.start(SECRET, { STRATECH_DATASET_MAX_BYTES: '4096' });
  });
  afterAll(async () => {
    await kit?.close();
  });

  it.each([
    ['a Content-Length over the cap is refused before reading', {}],
    ['a chunked body is cut off once it passes the cap', { chunked: true, chunkBytes: 1000 }],
  ] as Array<[string, FakeBodyOptions]>)('%s: the event is dead at once, nothing changes', async (_name, options) => {
    const org = `org_cap_${options.chunked ? 'chunked' : 'length'}`;
    const connectionId = await kit.authorize(org);
    const locationId = await kit.map(connectionId, 'rst_cap');
    kit.fake.putDataset(dataset(org, 'rst_cap', 'dc_cap', 'k1', { a: [cell('2024-06-01', 1, 5, 50)] }));
    expect((await kit.settle(await kit.send(kit.losCreated(org, 'rst_cap', 'dc_cap', 'k1')))).status).toBe('done');

    kit.fake.putDataset(dataset(org, 'rst_cap', 'dc_cap', 'k2', grid(1, 10, 7, '2024-06-01')), options);
    const big = await kit.settle(await kit.send(kit.losCreated(org, 'rst_cap', 'dc_cap', 'k2')));
    expect(big).toMatchObject({ status: 'dead', attempts: 1, last_error: 'Stratech LOS dataset: answer larger than 4096 bytes (STRATECH_DATASET_MAX_BYTES)' });
    expect((await kit.rows(locationId)).map((r) => [r.product, r.units_available, r.dataset_key])).toEqual([['a', 5, 'k1']]);
  });
});
