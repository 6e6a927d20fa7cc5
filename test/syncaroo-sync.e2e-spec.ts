import { signSyncaroo, SyncarooFake, syncarooWebhook, WebhookSpec } from './fakes/syncaroo-fake.server';
import { startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';

const SECRET = 'syncaroo-webhook-secret-for-tests';
/** Syncaroo's own location id, as it appears in the seed's apiUrls. */
const SYNC_LOC = '61116b1ad9fa63170734b694';

interface EventRow {
  id: string;
  status: string;
  connection_id: string | null;
  attempts: number;
  last_error: string | null;
}

describe('Syncaroo sync: seed webhooks end to end against a fake Syncaroo API', () => {
  let fake: SyncarooFake;
  let ctx: TestContext;
  let api: string;
  let conn555: Record<string, any>;

  const resourcePath = (cid: number, sid: string, loc = SYNC_LOC) => `/api/v1/${cid}/locations/${loc}/resources/${sid}`;
  const url = (path: string) => `${fake.baseUrl}${path}`;

  const send = async (spec: WebhookSpec | Record<string, unknown>): Promise<string> => {
    const body = 'apiUrl' in spec ? syncarooWebhook(spec as WebhookSpec) : spec;
    const res = await ctx.http().post('/webhooks/syncaroo').send(signSyncaroo(body, SECRET)).expect(202);
    expect(res.body.status).toBe('accepted');
    return res.body.eventId;
  };
  const eventRow = async (id: string): Promise<EventRow> =>
    (await ctx.db.query(`SELECT id, status, connection_id, attempts, last_error FROM inbound_events WHERE id = $1`, [id]))[0];
  /** Waits until the event reaches `status`; fails fast if it lands in another final state. */
  const settled = (id: string, status: string, timeoutMs = 10000) =>
    waitFor(async () => {
      const row = await eventRow(id);
      if (row.status !== status && ['done', 'dead', 'ignored'].includes(row.status)) {
        throw new Error(`event ended ${row.status} (${row.last_error}), expected ${status}`);
      }
      return row.status === status && row;
    }, timeoutMs);
  /** Every event of the connection has settled (a resync's per-item repairs run after the resync itself). */
  const repaired = (connectionId: string) => waitFor(async () => {
    const [r] = await ctx.db.query(
      `SELECT count(*)::int AS n FROM inbound_events WHERE (connection_id::text = $1 OR payload->>'connectionId' = $1) AND status IN ('pending', 'processing', 'failed')`, [connectionId]);
    return r.n === 0;
  });
  const resourceRows = (externalId: string) =>
    ctx.db.query(`SELECT * FROM resources WHERE provider = 'syncaroo' AND external_id = $1 ORDER BY created_at`, [externalId]);

  beforeAll(async () => {
    fake = await SyncarooFake.start();
    api = fake.apiUrl;
    ctx = await startTestApp(fake.env(SECRET));
    conn555 = await ctx.newConnection({ provider: 'syncaroo', externalId: '555', name: 'Acme coworking' });
    await ctx.newLocation(conn555.id, { locationId: '11980', name: 'Amsterdam Zuid', timezone: 'Europe/Amsterdam' });
  });
  afterAll(async () => {
    await ctx?.close();
    await fake?.close();
  });

  describe('the seed examples (connection 555, location 11980)', () => {
    const SID = '61116c0bab789b6cc1feec23';
    const PATH = resourcePath(555, SID);
    let createdId: string;

    it('"new resource added": fetches apiUrl with the Bearer token, creates the resource, then POSTs its id to actionCallback', async () => {
      fake.set(PATH, {
        id: SID, name: 'Board Room', type: 'meeting-room', description: 'Big table, screen', capacity: 12, units: 1, size: 30,
        bookable: true, availableFrom: '2021-08-01', rates: [{ period: 'hour', price: 25, currency: 'EUR' }],
      });
      const eventId = await send({
        connectionId: 555, locationId: '11980', syncarooId: SID, resourceType: 'meeting-room', resourceId: '',
        apiUrl: url(PATH), action: 'new', actionCallback: url(`${PATH}/mapped`),
      });
      const event = await settled(eventId, 'done');
      expect(event.connection_id).toBe(conn555.id);

      const rows = await resourceRows(SID);
      expect(rows).toHaveLength(1);
      const r = rows[0];
      createdId = r.id;
      expect(r).toMatchObject({
        location_id: '11980', connection_id: conn555.id, type: 'meeting-room', name: 'Board Room', capacity: 12, status: 'active',
      });
      expect(r.attributes).toMatchObject({ description: 'Big table, screen', units: 1, size: 30, bookable: true, availableFrom: '2021-08-01', rates: [{ period: 'hour', price: 25, currency: 'EUR' }] });

      const gets = fake.callsTo(PATH, 'GET');
      expect(gets).toHaveLength(1);
      expect(gets[0].token).toMatch(/^fake-token-/);
      const callbacks = fake.callsTo(`${PATH}/mapped`, 'POST');
      expect(callbacks).toHaveLength(1);
      expect(JSON.parse(callbacks[0].body)).toEqual({ resourceId: createdId });
      expect(callbacks[0].token).toBe(gets[0].token);
      // The callback came after the fetch (and so after the write that followed it).
      expect(fake.calls.indexOf(callbacks[0])).toBeGreaterThan(fake.calls.indexOf(gets[0]));

      const view = await ctx.reader.get(`/resources/${createdId}`).expect(200);
      expect(view.body).toMatchObject({ id: createdId, locationId: '11980', type: 'meeting-room', name: 'Board Room', capacity: 12, status: 'active', provider: 'syncaroo', externalId: SID });
    });

    it('"update to a previously mapped resource": fetches again and updates the same row', async () => {
      fake.set(PATH, { id: SID, name: 'Board Room XL', type: 'meeting-room', capacity: 14, rates: [{ period: 'day', price: 150 }] });
      const eventId = await send({ connectionId: 555, locationId: '11980', syncarooId: SID, resourceId: createdId, apiUrl: url(PATH) });
      await settled(eventId, 'done');
      const rows = await resourceRows(SID);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: createdId, name: 'Board Room XL', capacity: 14, status: 'active' });
      expect(rows[0].attributes.rates).toEqual([{ period: 'day', price: 150 }]);
      expect(fake.callsTo(`${PATH}/mapped`, 'POST')).toHaveLength(1);
    });

    it('a second identical webhook after the first is done is accepted and fetched again; unchanged data keeps updatedAt', async () => {
      const spec = { connectionId: 555, locationId: '11980', syncarooId: SID, resourceId: createdId, apiUrl: url(PATH) };
      const [before] = await resourceRows(SID);
      const getsBefore = fake.callsTo(PATH, 'GET').length;
      const first = await send(spec);
      await settled(first, 'done');
      const second = await send(spec);
      expect(second).not.toBe(first);
      await settled(second, 'done');
      expect(fake.callsTo(PATH, 'GET').length).toBe(getsBefore + 2);
      const [after] = await resourceRows(SID);
      expect(after.updated_at.toISOString()).toBe(before.updated_at.toISOString());

      fake.set(PATH, { id: SID, name: 'Board Room XXL', type: 'meeting-room', capacity: 14, rates: [{ period: 'day', price: 150 }] });
      await settled(await send(spec), 'done');
      const [changed] = await resourceRows(SID);
      expect(changed.name).toBe('Board Room XXL');
      expect(changed.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
    });

    it('"availability": replaces the resource\'s windows', async () => {
      const path = `${PATH}/availability`;
      fake.set(path, [
        { start: '2022-01-10T09:00:00Z', end: '2022-01-10T12:00:00Z' },
        { start: '2022-01-10T13:00:00+01:00', end: '2022-01-10T17:00:00+01:00' },
      ]);
      const spec = { connectionId: 555, locationId: '11980', syncarooId: SID, resourceId: createdId, attributeType: 'availability', apiUrl: url(path) };
      await settled(await send(spec), 'done');
      const windows = async () => (await ctx.db.query(
        `SELECT starts_at, ends_at FROM availability_windows WHERE resource_id = $1 ORDER BY starts_at`, [createdId]))
        .map((w: { starts_at: Date; ends_at: Date }) => [w.starts_at.toISOString(), w.ends_at.toISOString()]);
      expect(await windows()).toEqual([
        ['2022-01-10T09:00:00.000Z', '2022-01-10T12:00:00.000Z'],
        ['2022-01-10T12:00:00.000Z', '2022-01-10T16:00:00.000Z'],
      ]);
      const view = await ctx.reader.get(`/resources/${createdId}/availability`).expect(200);
      expect(view.body.items).toHaveLength(2);

      fake.set(path, [{ start: '2022-01-11T09:00:00Z', end: '2022-01-11T18:00:00Z' }]);
      await settled(await send({ ...spec, resourceId: '' }), 'done'); // found by its Syncaroo id as well
      expect(await windows()).toEqual([['2022-01-11T09:00:00.000Z', '2022-01-11T18:00:00.000Z']]);
    });

    it('"locations": updates the location\'s name and time zone', async () => {
      const path = `/api/v1/555/locations/${SYNC_LOC}`;
      fake.set(path, { id: SYNC_LOC, Name: 'Acme Zuid', Description: 'Near the station', TimeZone: 'Europe/London', address: {}, hoursOfOperation: [] });
      await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: SYNC_LOC, resourceType: '', attributeType: 'locations', apiUrl: url(path) }), 'done');
      const [loc] = await ctx.db.query(`SELECT name, timezone FROM locations WHERE id = '11980'`);
      expect(loc).toEqual({ name: 'Acme Zuid', timezone: 'Europe/London' });
      const view = await ctx.reader.get('/locations/11980').expect(200);
      expect(view.body).toMatchObject({ name: 'Acme Zuid', timezone: 'Europe/London' });
    });

    it('"a booking slot has been created or updated": upserts the booking by syncarooId; a 404 later cancels it', async () => {
      const bookingId = '61c18cf515e22a061cf589b1*1640124000000*1640125800000';
      const path = `${PATH}/bookings/${bookingId}`;
      fake.set(path, { id: bookingId, start: '2021-12-21T22:00:00Z', end: '2021-12-21T22:30:00Z', status: 'confirmed' });
      const spec = { connectionId: 555, locationId: '11980', syncarooId: bookingId, resourceId: createdId, attributeType: 'bookings', apiUrl: url(path) };
      await settled(await send(spec), 'done');
      const booking = async () => (await ctx.db.query(
        `SELECT resource_id, starts_at, ends_at, status FROM bookings WHERE provider = 'syncaroo' AND external_id = $1`, [bookingId]));
      const [b] = await booking();
      expect(b).toMatchObject({ resource_id: createdId, status: 'confirmed' });
      expect(b.starts_at.toISOString()).toBe('2021-12-21T22:00:00.000Z');
      expect(b.ends_at.toISOString()).toBe('2021-12-21T22:30:00.000Z');
      const view = await ctx.reader.get(`/resources/${createdId}/bookings`).expect(200);
      expect(view.body.items).toEqual([expect.objectContaining({ externalId: bookingId, status: 'confirmed', start: '2021-12-21T22:00:00.000Z' })]);

      fake.remove(path);
      await settled(await send(spec), 'done');
      expect(await booking()).toEqual([expect.objectContaining({ status: 'cancelled' })]);
    });

    it('a booking without resourceId finds its resource through the /resources/{syncarooId}/ segment of apiUrl', async () => {
      const bookingId = 'b2*1640200000000*1640203600000';
      const path = `${PATH}/bookings/${bookingId}`;
      fake.set(path, { id: bookingId, start: 1640200000000, end: 1640203600000, status: 'pending' });
      await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: bookingId, resourceId: '', attributeType: 'bookings', apiUrl: url(path) }), 'done');
      const [b] = await ctx.db.query(`SELECT resource_id, status FROM bookings WHERE external_id = $1`, [bookingId]);
      expect(b).toEqual({ resource_id: createdId, status: 'pending' });
    });

    it('"a previously mapped resource is unmapped/removed": status becomes removed without a fetch', async () => {
      const gets = fake.callsTo(PATH, 'GET').length;
      await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: SID, resourceId: createdId, apiUrl: url(PATH), action: 'unmapped' }), 'done');
      const [r] = await resourceRows(SID);
      expect(r).toMatchObject({ id: createdId, status: 'removed' });
      expect(fake.callsTo(PATH, 'GET').length).toBe(gets);
      const view = await ctx.reader.get(`/resources/${createdId}`).expect(200);
      expect(view.body.status).toBe('removed');
    });
  });

  it('a 404 from apiUrl marks the resource removed; dedicated-desk is stored as fixed-desk', async () => {
    const sid = 'desk-404';
    const path = resourcePath(555, sid);
    fake.set(path, { id: sid, name: 'Desk 7', type: 'dedicated-desk', capacity: 1 });
    const spec = { connectionId: 555, locationId: '11980', syncarooId: sid, resourceType: 'dedicated-desk', resourceId: 'desk-7', apiUrl: url(path) };
    await settled(await send(spec), 'done');
    expect(await resourceRows(sid)).toEqual([expect.objectContaining({ id: 'desk-7', type: 'fixed-desk', status: 'active' })]);
    fake.remove(path);
    await settled(await send(spec), 'done');
    expect(await resourceRows(sid)).toEqual([expect.objectContaining({ id: 'desk-7', status: 'removed' })]);
  });

  it('an unsupported resourceType is accepted, then ignored without writing', async () => {
    const sid = 'parking-1';
    const path = resourcePath(555, sid);
    fake.set(path, { id: sid, name: 'Parking spot', type: 'parking' });
    const row = await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: sid, resourceType: 'parking', apiUrl: url(path) }), 'ignored');
    expect(row.last_error).toContain('parking');
    expect(await resourceRows(sid)).toEqual([]);
  });

  describe('faults', () => {
    it('provider 500 then success: the event is retried and done', async () => {
      const sid = 'flaky-500';
      const path = resourcePath(555, sid);
      fake.set(path, { id: sid, name: 'Phone booth', type: 'meeting-room', capacity: 1 });
      fake.fail(path, 500, 1);
      const row = await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: sid, resourceId: 'booth-1', apiUrl: url(path) }), 'done');
      expect(row.attempts).toBe(2);
      expect(fake.callsTo(path, 'GET').map((c) => c.status)).toEqual([500, 200]);
      expect(await resourceRows(sid)).toEqual([expect.objectContaining({ id: 'booth-1', name: 'Phone booth' })]);
    });

    it('a 429 with Retry-After is retried, and last_error names the status without any token', async () => {
      const sid = 'rate-limited';
      const path = resourcePath(555, sid);
      fake.set(path, { id: sid, name: 'Loft', type: 'office', capacity: 6 });
      fake.fail(path, 429, 1, { headers: { 'retry-after': '1' } });
      const eventId = await send({ connectionId: 555, locationId: '11980', syncarooId: sid, resourceId: 'loft-1', apiUrl: url(path) });
      const failed = await waitFor(async () => {
        const r = await eventRow(eventId);
        return (r.status === 'failed' || r.status === 'done') && r;
      });
      if (failed.status === 'failed') {
        expect(failed.last_error).toContain('429');
        expect(failed.last_error).not.toMatch(/fake-token/);
      }
      await settled(eventId, 'done');
      expect(fake.callsTo(path, 'GET').map((c) => c.status)).toEqual([429, 200]);
    });

    it('callback failure then retry: the same resource id is posted again and no second resource is created', async () => {
      const sid = 'callback-flaky';
      const path = resourcePath(555, sid);
      fake.set(path, { id: sid, name: 'Studio', type: 'office', capacity: 4 });
      fake.fail(`${path}/mapped`, 503, 1);
      const row = await settled(await send({
        connectionId: 555, locationId: '11980', syncarooId: sid, resourceType: 'office', resourceId: '',
        apiUrl: url(path), action: 'new', actionCallback: url(`${path}/mapped`),
      }), 'done');
      expect(row.attempts).toBe(2);
      const rows = await resourceRows(sid);
      expect(rows).toHaveLength(1);
      const callbacks = fake.callsTo(`${path}/mapped`, 'POST');
      expect(callbacks.map((c) => c.status)).toEqual([503, 200]);
      expect(callbacks.map((c) => JSON.parse(c.body))).toEqual([{ resourceId: rows[0].id }, { resourceId: rows[0].id }]);
    });

    it('a 401 from the API renews the token once and repeats the call', async () => {
      const sid = 'renew-401';
      const path = resourcePath(555, sid);
      fake.set(path, { id: sid, name: 'Lounge', type: 'hot-desk', capacity: 20 });
      fake.revokeTokens();
      const mark = fake.calls.length;
      await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: sid, resourceType: 'hot-desk', resourceId: 'lounge-1', apiUrl: url(path) }), 'done');
      const seen = fake.calls.slice(mark).map((c) => `${c.method} ${c.path === path ? 'resource' : c.path} ${c.status}`);
      expect(seen).toEqual(['GET resource 401', 'POST /api/v1/oauth/token 200', 'GET resource 200']);
      expect(await resourceRows(sid)).toEqual([expect.objectContaining({ type: 'hot-desk', name: 'Lounge' })]);
    });

    it('token expiry: a token is reused while valid and renewed before use once it has expired (no 401 needed)', async () => {
      const spec = (sid: string) => ({ connectionId: 555, locationId: '11980', syncarooId: sid, resourceType: 'office', resourceId: sid, apiUrl: url(resourcePath(555, sid)) });
      const seen = (mark: number, sid: string) =>
        fake.calls.slice(mark).map((c) => `${c.method} ${c.path === resourcePath(555, sid) ? 'resource' : c.path} ${c.status}`);
      for (const sid of ['ttl-a', 'ttl-b', 'ttl-c']) fake.set(resourcePath(555, sid), { id: sid, name: sid, type: 'office' });
      try {
        fake.tokenTtlSeconds = 1;
        fake.revokeTokens(); // the next call gets a 401 and renews into a 1-second token
        await settled(await send(spec('ttl-a')), 'done');
        fake.tokenTtlSeconds = 3600;
        await new Promise((r) => setTimeout(r, 1100));
        let mark = fake.calls.length;
        await settled(await send(spec('ttl-b')), 'done');
        expect(seen(mark, 'ttl-b')).toEqual(['POST /api/v1/oauth/token 200', 'GET resource 200']);
        mark = fake.calls.length;
        await settled(await send(spec('ttl-c')), 'done');
        expect(seen(mark, 'ttl-c')).toEqual(['GET resource 200']);
      } finally {
        fake.tokenTtlSeconds = 3600;
      }
    });
  });

  describe('tenants', () => {
    let conn556: Record<string, any>;
    beforeAll(async () => {
      conn556 = await ctx.newConnection({ provider: 'syncaroo', externalId: '556', name: 'Other operator' });
      await ctx.newLocation(conn556.id, { locationId: '22000', name: 'Rotterdam' });
    });

    it('an event may not write a location of another connection: held, nothing fetched or written', async () => {
      const sid = 'intruder-1';
      const path = resourcePath(556, sid);
      fake.set(path, { id: sid, name: 'Sneaky room', type: 'meeting-room' });
      const row = await settled(await send({ connectionId: 556, locationId: '11980', syncarooId: sid, resourceId: 'sneaky', apiUrl: url(path) }), 'held');
      expect(row.connection_id).toBe(conn556.id);
      expect(row.last_error).toContain('not mapped');
      expect(fake.callsTo(path)).toHaveLength(0);
      expect(await resourceRows(sid)).toEqual([]);
      expect(await ctx.db.query(`SELECT id FROM resources WHERE id = 'sneaky'`)).toEqual([]);
    });

    it('an event may not take over a resource of another connection: held, the owner\'s row untouched', async () => {
      const ownSid = 'owned-by-555';
      fake.set(resourcePath(555, ownSid), { id: ownSid, name: 'Original', type: 'meeting-room', capacity: 8 });
      await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: ownSid, resourceId: 'owned-1', apiUrl: url(resourcePath(555, ownSid)) }), 'done');
      const [before] = await ctx.db.query(`SELECT * FROM resources WHERE id = 'owned-1'`);

      const theirSid = 'their-item';
      const path = resourcePath(556, theirSid);
      fake.set(path, { id: theirSid, name: 'Hijacked', type: 'meeting-room', capacity: 1 });
      const row = await settled(await send({ connectionId: 556, locationId: '22000', syncarooId: theirSid, resourceId: 'owned-1', apiUrl: url(path) }), 'held');
      expect(row.last_error).toContain('another connection');
      const [after] = await ctx.db.query(`SELECT * FROM resources WHERE id = 'owned-1'`);
      expect(after).toEqual(before);

      // Same for a booking or availability pointing at it.
      const bookingPath = `${path}/bookings/x1`;
      fake.set(bookingPath, { id: 'x1', start: '2022-02-01T10:00:00Z', end: '2022-02-01T11:00:00Z', status: 'confirmed' });
      await settled(await send({ connectionId: 556, locationId: '22000', syncarooId: 'x1', resourceId: 'owned-1', attributeType: 'bookings', apiUrl: url(bookingPath) }), 'held');
      expect(await ctx.db.query(`SELECT id FROM bookings WHERE external_id = 'x1'`)).toEqual([]);
    });

    it('the same Syncaroo id in two connections makes two separate resources', async () => {
      const sid = 'shared-sid';
      fake.set(resourcePath(555, sid), { id: sid, name: 'In 555', type: 'office' });
      fake.set(resourcePath(556, sid), { id: sid, name: 'In 556', type: 'office' });
      await settled(await send({ connectionId: 555, locationId: '11980', syncarooId: sid, resourceType: 'office', apiUrl: url(resourcePath(555, sid)) }), 'done');
      await settled(await send({ connectionId: 556, locationId: '22000', syncarooId: sid, resourceType: 'office', apiUrl: url(resourcePath(556, sid)) }), 'done');
      const rows = await resourceRows(sid);
      expect(rows.map((r: { connection_id: string; location_id: string; name: string }) => [r.connection_id, r.location_id, r.name]).sort()).toEqual([
        [conn555.id, '11980', 'In 555'], [conn556.id, '22000', 'In 556'],
      ].sort());
    });

    it('a disabled connection holds its events; re-enabling runs them', async () => {
      await ctx.admin.patch(`/admin/connections/${conn556.id}`).send({ status: 'disabled' }).expect(200);
      const sid = 'while-disabled';
      fake.set(resourcePath(556, sid), { id: sid, name: 'Later', type: 'office' });
      const eventId = await send({ connectionId: 556, locationId: '22000', syncarooId: sid, resourceType: 'office', apiUrl: url(resourcePath(556, sid)) });
      const heldRow = await settled(eventId, 'held');
      expect(heldRow.last_error).toContain('disabled');
      await ctx.admin.patch(`/admin/connections/${conn556.id}`).send({ status: 'active' }).expect(200);
      await settled(eventId, 'done');
      expect(await resourceRows(sid)).toEqual([expect.objectContaining({ connection_id: conn556.id, name: 'Later' })]);
    });
  });

  it('held until the connection and the mapping exist, then processed by itself (callback included)', async () => {
    const sid = 'early-bird';
    const path = resourcePath(557, sid);
    fake.set(path, { id: sid, name: 'Early room', type: 'meeting-room', capacity: 3 });
    const eventId = await send({
      connectionId: 557, locationId: '33000', syncarooId: sid, resourceId: '', apiUrl: url(path), action: 'new', actionCallback: url(`${path}/mapped`),
    });
    const first = await settled(eventId, 'held');
    expect(first.last_error).toContain('unknown connectionId');
    expect(first.connection_id).toBeNull();

    const conn557 = await ctx.newConnection({ provider: 'syncaroo', externalId: '557' });
    const second = await waitFor(async () => {
      const r = await eventRow(eventId);
      return r.status === 'held' && r.last_error?.includes('not mapped') && r;
    });
    expect(second.connection_id).toBe(conn557.id);
    expect(fake.callsTo(path)).toHaveLength(0);

    await ctx.newLocation(conn557.id, { locationId: '33000' });
    await settled(eventId, 'done');
    const rows = await resourceRows(sid);
    expect(rows).toEqual([expect.objectContaining({ connection_id: conn557.id, location_id: '33000', name: 'Early room' })]);
    expect(fake.callsTo(`${path}/mapped`, 'POST').map((c) => JSON.parse(c.body))).toEqual([{ resourceId: rows[0].id }]);
  });

  it('resync lists each mapped location\'s resources, repairs drift and marks the missing ones removed', async () => {
    const conn = await ctx.newConnection({ provider: 'syncaroo', externalId: '558' });
    await ctx.newLocation(conn.id, { locationId: '44000', externalId: 'sloc-558' });
    const keep = 'keep-me';
    const gone = 'gone-upstream';
    for (const [sid, name] of [[keep, 'Keep'], [gone, 'Gone']]) {
      const path = resourcePath(558, sid, 'sloc-558');
      fake.set(path, { id: sid, name, type: 'meeting-room', capacity: 4 });
      await settled(await send({ connectionId: 558, locationId: '44000', syncarooId: sid, apiUrl: url(path) }), 'done');
    }
    const [keepBefore] = await resourceRows(keep);
    fake.set('/api/v1/558/locations/sloc-558/resources', [
      { id: keep, name: 'Keep (renamed)', type: 'meeting-room', capacity: 4 },
      { id: 'new-upstream', name: 'New desk area', type: 'hot-desk', capacity: 10 },
    ]);
    const res = await ctx.admin.post(`/admin/connections/${conn.id}/resync`).expect(202);
    await settled(res.body.eventId, 'done');
    await repaired(conn.id);

    expect(await resourceRows(keep)).toEqual([expect.objectContaining({ id: keepBefore.id, name: 'Keep (renamed)', status: 'active' })]);
    expect(await resourceRows(gone)).toEqual([expect.objectContaining({ status: 'removed' })]);
    expect(await resourceRows('new-upstream')).toEqual([expect.objectContaining({ location_id: '44000', type: 'hot-desk', status: 'active' })]);
    // Other connections' resources are not looked at.
    expect(await resourceRows('owned-by-555')).toEqual([expect.objectContaining({ status: 'active' })]);
    const list = fake.callsTo('/api/v1/558/locations/sloc-558/resources', 'GET');
    expect(list).toHaveLength(1);
    expect(list[0].token).toMatch(/^fake-token-/);
  });

  it('resync cannot race webhooks: a resource created while the list was read is not removed, one unmapped meanwhile does not come back', async () => {
    const conn = await ctx.newConnection({ provider: 'syncaroo', externalId: '559' });
    await ctx.newLocation(conn.id, { locationId: '45000', externalId: 'sloc-559' });
    const listPath = '/api/v1/559/locations/sloc-559/resources';
    const leaving = 'leaving-559';
    const leavingPath = resourcePath(559, leaving, 'sloc-559');
    fake.set(leavingPath, { id: leaving, name: 'Leaving', type: 'meeting-room', capacity: 4 });
    await settled(await send({ connectionId: 559, locationId: '45000', syncarooId: leaving, apiUrl: url(leavingPath) }), 'done');
    // The list Syncaroo answers was taken before the two webhooks below: it still has `leaving`, not `arriving`.
    fake.set(listPath, [{ id: leaving, name: 'Leaving', type: 'meeting-room', capacity: 4 }]);
    const gate = fake.gate(listPath);
    const res = await ctx.admin.post(`/admin/connections/${conn.id}/resync`).expect(202);
    await waitFor(async () => gate.waiting() === 1);

    const arriving = 'arriving-559';
    const arrivingPath = resourcePath(559, arriving, 'sloc-559');
    fake.set(arrivingPath, { id: arriving, name: 'Arriving', type: 'hot-desk', capacity: 8 });
    await settled(await send({ connectionId: 559, locationId: '45000', syncarooId: arriving, resourceType: 'hot-desk', apiUrl: url(arrivingPath) }), 'done');
    await settled(await send({ connectionId: 559, locationId: '45000', syncarooId: leaving, apiUrl: url(leavingPath), action: 'unmapped' }), 'done');
    expect(await resourceRows(leaving)).toEqual([expect.objectContaining({ status: 'removed' })]);

    gate.release();
    await settled(res.body.eventId, 'done');
    await repaired(conn.id);
    expect(await resourceRows(arriving)).toEqual([expect.objectContaining({ status: 'active', name: 'Arriving' })]);
    expect(await resourceRows(leaving)).toEqual([expect.objectContaining({ status: 'removed' })]);
  });
});
