import { signSyncaroo, SyncarooFake, syncarooWebhook } from './fakes/syncaroo-fake.server';
import { startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';

const SECRET = 'syncaroo-webhook-secret-for-tests';

const countEvents = async (ctx: TestContext): Promise<number> =>
  (await ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events`))[0].n;

describe('POST /webhooks/syncaroo: authentication, validation, URL guard, coalescing', () => {
  let fake: SyncarooFake;
  let ctx: TestContext;
  let api: string;
  const SYNC_LOC = '61116b1ad9fa63170734b694';

  const resourceUrl = (cid: number, sid: string) => `${api}/${cid}/locations/${SYNC_LOC}/resources/${sid}`;
  const post = (body: unknown) => ctx.http().post('/webhooks/syncaroo').send(body as object);

  beforeAll(async () => {
    fake = await SyncarooFake.start();
    api = fake.apiUrl;
    ctx = await startTestApp(fake.env(SECRET));
    const connection = await ctx.newConnection({ provider: 'syncaroo', externalId: '555' });
    await ctx.newLocation(connection.id, { locationId: '11980' });
  });
  afterAll(async () => {
    await ctx?.close();
    await fake?.close();
  });

  const seedNew = () => syncarooWebhook({
    connectionId: 555, locationId: '11980', syncarooId: '61116c0bab789b6cc1feec23', resourceId: '',
    apiUrl: resourceUrl(555, '61116c0bab789b6cc1feec23'), action: 'new', actionCallback: `${resourceUrl(555, '61116c0bab789b6cc1feec23')}/mapped`,
  });

  describe('hash (checked before anything else)', () => {
    it.each([
      ['missing', (b: Record<string, unknown>) => b],
      ['empty', (b: Record<string, unknown>) => ({ ...b, hash: '' })],
      ['signed with another secret', (b: Record<string, unknown>) => signSyncaroo(b, 'not-the-secret')],
      ['upper-case hex', (b: Record<string, unknown>) => { const s = signSyncaroo(b, SECRET); return { ...s, hash: String(s.hash).toUpperCase() }; }],
      ['over a body that was changed afterwards', (b: Record<string, unknown>) => ({ ...signSyncaroo(b, SECRET), locationId: '99999' })],
      ['over the members in another order', (b: Record<string, unknown>) => {
        const { hash, ...rest } = signSyncaroo(b, SECRET);
        const { connectionId, ...others } = rest;
        return { ...others, connectionId, hash };
      }],
    ])('%s → 401 problem+json, nothing stored', async (_label, tamper) => {
      const before = await countEvents(ctx);
      const res = await post(tamper(seedNew())).expect(401);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 401, title: 'Unauthorized' });
      expect(await countEvents(ctx)).toBe(before);
    });

    it('answers 401 before looking at the shape (an invalid body with a bad hash is 401, not 400)', async () => {
      await post({ connectionId: 'nope', hash: 'f'.repeat(64) }).expect(401);
      await post([1, 2, 3]).expect(401);
    });

    it('answers 400 for unparsable JSON', async () => {
      const res = await ctx.http().post('/webhooks/syncaroo').set('content-type', 'application/json').send('{"connectionId": 555,').expect(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    });
  });

  describe('shape', () => {
    it.each([
      ['connectionId as a string', (b: Record<string, any>) => ({ ...b, connectionId: '555' }), 'connectionId'],
      ['connectionId missing', (b: Record<string, any>) => { const { connectionId: _c, ...r } = b; return r; }, 'connectionId'],
      ['locationId as a number', (b: Record<string, any>) => ({ ...b, locationId: 11980 }), 'locationId'],
      ['metaData missing', (b: Record<string, any>) => { const { metaData: _m, ...r } = b; return r; }, 'metaData'],
      ['syncarooId missing', (b: Record<string, any>) => ({ ...b, metaData: { ...b.metaData, syncarooId: undefined } }), 'metaData.syncarooId'],
      ['resourceType not a string', (b: Record<string, any>) => ({ ...b, metaData: { ...b.metaData, resourceType: 1 } }), 'metaData.resourceType'],
      ['attributeType missing', (b: Record<string, any>) => ({ ...b, metaData: { ...b.metaData, attributeType: undefined } }), 'metaData.attributeType'],
      ['apiUrl missing', (b: Record<string, any>) => ({ ...b, metaData: { ...b.metaData, apiUrl: undefined } }), 'metaData.apiUrl'],
    ])('%s → 400 with errors[], nothing stored', async (_label, change, field) => {
      const before = await countEvents(ctx);
      const res = await post(signSyncaroo(change(seedNew()), SECRET)).expect(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await countEvents(ctx)).toBe(before);
    });
  });

  describe('URL guard: apiUrl and actionCallback must start with {SYNCAROO_API_URL}/{connectionId}/', () => {
    const hostile = () => {
      const origin = fake.baseUrl;
      const port = fake.port;
      return [
        ['another host', `http://evil.example/api/v1/555/locations/x`],
        ['another port', `http://127.0.0.1:${port === 65535 ? port - 1 : port + 1}/api/v1/555/x`],
        ['another scheme', `https://127.0.0.1:${port}/api/v1/555/x`],
        ['localhost instead of 127.0.0.1', `http://localhost:${port}/api/v1/555/x`],
        ['userinfo', `http://user:pw@127.0.0.1:${port}/api/v1/555/x`],
        ['host behind userinfo', `http://127.0.0.1:${port}@evil.example/api/v1/555/x`],
        ['a .. segment', `${api}/555/../556/x`],
        ['..;', `${api}/555/..;/556/x`],
        ['%2e%2e', `${api}/555/%2e%2e/556/x`],
        ['%2E%2E mixed with a dot', `${api}/555/.%2E/556/x`],
        ['an encoded slash', `${api}/555%2f..%2f556/x`],
        ['double encoding', `${api}/555/%252e%252e/556/x`],
        ['another connection', `${api}/556/locations/x`],
        ['a connection with 555 as prefix (5555)', `${api}/5555/locations/x`],
        ['the connection without a trailing slash', `${api}/555`],
        ['backslashes', `${api}/555\\..\\556/x`],
        ['a space', `${api}/55 5/x`],
        ['a tab', `${api}/55\t5/x`],
        ['the prefix in the query only', `${origin}/api/v1?/555/x`],
        ['the prefix in the fragment only', `${origin}/other#/api/v1/555/x`],
        ['another API path', `${origin}/api/v10/555/x`],
        ['a relative URL', `/api/v1/555/x`],
        ['a file: URL', `file:///api/v1/555/x`],
      ] as Array<[string, string]>;
    };

    it('rejects at least 20 hostile apiUrls with 400, stores nothing and fetches nothing', async () => {
      const list = hostile();
      expect(list.length).toBeGreaterThanOrEqual(20);
      const before = await countEvents(ctx);
      const callsBefore = fake.calls.length;
      for (const [label, url] of list) {
        const body = syncarooWebhook({ connectionId: 555, locationId: '11980', syncarooId: 'hostile', resourceId: 'r1', apiUrl: url });
        const res = await post(signSyncaroo(body, SECRET));
        expect({ label, status: res.status }).toEqual({ label, status: 400 });
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'metaData.apiUrl' })]);
      }
      expect(await countEvents(ctx)).toBe(before);
      expect(fake.calls.length).toBe(callsBefore);
    });

    it('rejects hostile actionCallbacks the same way', async () => {
      const before = await countEvents(ctx);
      for (const [label, url] of hostile()) {
        const body = { ...seedNew(), actionCallback: url };
        const res = await post(signSyncaroo(body, SECRET));
        expect({ label, status: res.status }).toEqual({ label, status: 400 });
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'actionCallback' })]);
      }
      expect(await countEvents(ctx)).toBe(before);
    });

    it('accepts the seed example rewritten to the configured API URL', async () => {
      const res = await post(signSyncaroo(seedNew(), SECRET)).expect(202);
      expect(res.body).toEqual({ eventId: expect.any(String), status: 'accepted' });
    });
  });

  it('stores the event with partition key, priority, the body once (no raw copy) and no connection yet', async () => {
    const body = signSyncaroo(syncarooWebhook({
      connectionId: 555, locationId: '11980', syncarooId: 'avail-sid', attributeType: 'availability', resourceId: 'r-x',
      apiUrl: `${resourceUrl(555, 'avail-sid')}/availability`,
    }), SECRET);
    const res = await post(body).expect(202);
    const [row] = await ctx.db.query(
      `SELECT provider, event_type, connection_id, partition_key, priority, payload, convert_from(raw, 'UTF8') AS raw FROM inbound_events WHERE id = $1`,
      [res.body.eventId]);
    expect(row).toMatchObject({ provider: 'syncaroo', event_type: 'availability', connection_id: null, partition_key: 'syncaroo:555:avail-sid', priority: 5 });
    expect(row.payload).toEqual(body);
    expect(row.raw).toBeNull();
    const critical = await post(signSyncaroo(syncarooWebhook({ connectionId: 555, locationId: '11980', syncarooId: 'crit', apiUrl: resourceUrl(555, 'crit') }), SECRET)).expect(202);
    const [c] = await ctx.db.query(`SELECT priority FROM inbound_events WHERE id = $1`, [critical.body.eventId]);
    expect(c.priority).toBe(1);
  });

  it('accepts an unknown attributeType, then ignores it', async () => {
    const body = signSyncaroo(syncarooWebhook({ connectionId: 555, locationId: '11980', syncarooId: 'odd', attributeType: 'amenities', apiUrl: `${api}/555/amenities/odd` }), SECRET);
    const res = await post(body).expect(202);
    const row = await waitFor(async () => {
      const [e] = await ctx.db.query(`SELECT status, last_error FROM inbound_events WHERE id = $1`, [res.body.eventId]);
      return e.status === 'ignored' && e;
    });
    expect(row.last_error).toContain('amenities');
  });

  it('coalesces an identical body while the first one is still pending', async () => {
    const sid = 'coalesce-sid';
    const path = new URL(resourceUrl(555, sid)).pathname;
    fake.set(path, { id: sid, name: 'Focus room', type: 'meeting-room', capacity: 2 });
    // Keep the partition busy so the next body stays pending.
    const gate = fake.gate(path);
    const first = await post(signSyncaroo(syncarooWebhook({ connectionId: 555, locationId: '11980', syncarooId: sid, resourceId: 'r-coalesce', apiUrl: resourceUrl(555, sid) }), SECRET)).expect(202);
    await waitFor(async () => gate.waiting() === 1);
    const body = signSyncaroo({ ...syncarooWebhook({ connectionId: 555, locationId: '11980', syncarooId: sid, resourceId: 'r-coalesce', apiUrl: resourceUrl(555, sid) }), webhookType: 'data-2' }, SECRET);
    const a = await post(body).expect(202);
    const b = await post(body).expect(202);
    expect(a.body.status).toBe('accepted');
    expect(b.body).toEqual({ eventId: a.body.eventId, status: 'coalesced' });
    expect(a.body.eventId).not.toBe(first.body.eventId);
    gate.release();
    await waitFor(async () => {
      const rows = await ctx.db.query(`SELECT status FROM inbound_events WHERE id = ANY($1::uuid[])`, [[first.body.eventId, a.body.eventId]]);
      return rows.length === 2 && rows.every((r: { status: string }) => r.status === 'done');
    });
    // Two events, two fetches: the coalesced delivery did not add a third.
    expect(fake.callsTo(path, 'GET').filter((c) => c.status === 200)).toHaveLength(2);
    const [{ n }] = await ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events WHERE partition_key = $1`, [`syncaroo:555:${sid}`]);
    expect(n).toBe(2);
  });

  it('is described in the OpenAPI document', async () => {
    const res = await ctx.http().get('/docs-json').expect(200);
    const op = res.body.paths['/webhooks/syncaroo']?.post;
    expect(op).toBeDefined();
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['202', '400', '401', '503']));
  });
});

describe('POST /webhooks/syncaroo when Syncaroo is not configured', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await startTestApp({ SYNCAROO_CLIENT_ID: 'only-the-id' });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('answers 503 problem+json and stores nothing, even for a well-signed body', async () => {
    const body = signSyncaroo(syncarooWebhook({ connectionId: 555, locationId: '11980', syncarooId: 's', apiUrl: 'https://app.syncaroo.com/api/v1/555/x' }), SECRET);
    const res = await ctx.http().post('/webhooks/syncaroo').send(body).expect(503);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 503 });
    expect(await countEvents(ctx)).toBe(0);
  });
});
