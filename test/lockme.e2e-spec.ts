import { ConnectionsService } from '../src/connections/connections.service';
import { LockmeTokenStore } from '../src/providers/lockme/lockme-token.store';
import { addMessage, deleteMessage, editMessage, LOCKME_PII, LockmeFake } from './fakes/lockme-fake.server';
import { startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';

interface EventRow {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  connection_id: string | null;
}

describe('lockme: webhook pointers, fetch → apply → acknowledge', () => {
  let fake: LockmeFake;
  let ctx: TestContext;
  let nextMessageId = 7000;

  beforeAll(async () => {
    fake = await LockmeFake.start();
    fake.rooms = [{ roomid: 12, room: 'Pharaoh tomb', department: 3 }, { roomid: 13, room: 'Bank heist', department: 3 }];
    ctx = await startTestApp(fake.env);
  });
  afterAll(async () => {
    await ctx?.close();
    await fake?.close();
  });

  /** A Lockme connection with pasted tokens the fake knows, mapped to a Warsaw location unless told otherwise. */
  async function connection(options: { map?: boolean; expiresAt?: string; accessValid?: boolean; timezone?: string } = {}) {
    const tokens = fake.grant({ accessValid: options.accessValid });
    const c = await ctx.newConnection({
      provider: 'lockme', externalId: undefined, name: 'Escape room',
      credentials: { ...tokens, ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}) },
    });
    const location = options.map === false ? null : await ctx.newLocation(c.id, { timezone: options.timezone ?? 'Europe/Warsaw', name: 'Kraków' });
    return { id: c.id as string, path: new URL(c.webhookUrl).pathname, tokens, locationId: location?.locationId as string | undefined };
  }

  /** Puts the message at the fake and delivers its pointer; returns the webhook answer. */
  async function deliver(path: string, message: unknown, messageId = String(nextMessageId++)) {
    fake.messages.set(messageId, message);
    const res = await ctx.http().post(path).set('X-MessageId', messageId).set('User-Agent', 'LockMe/1.0');
    return { res, messageId };
  }

  async function event(id: string): Promise<EventRow> {
    const [row] = await ctx.db.query(`SELECT id, status, attempts, last_error, connection_id FROM inbound_events WHERE id = $1`, [id]);
    return row;
  }

  function settle(id: string, statuses = ['done', 'ignored', 'held', 'dead']): Promise<EventRow> {
    return waitFor(async () => {
      const row = await event(id);
      return row && statuses.includes(row.status) ? row : null;
    }, 15000);
  }

  /** Delivers and waits for the event to finish; expects `done` unless told. */
  async function apply(path: string, message: unknown, expected = 'done') {
    const { res, messageId } = await deliver(path, message);
    expect(res.status).toBe(202);
    const row = await settle(res.body.eventId);
    expect({ status: row.status, lastError: row.last_error }).toEqual({ status: expected, lastError: expected === 'done' ? null : expect.any(String) });
    return { eventId: res.body.eventId as string, messageId, row };
  }

  async function booking(connectionId: string, reservationId: string) {
    const rows = await ctx.db.query(
      `SELECT b.*, b.price::float8 AS price_num FROM bookings b WHERE b.provider = 'lockme' AND b.connection_id = $1 AND b.external_id = $2`,
      [connectionId, reservationId]);
    expect(rows.length).toBeLessThanOrEqual(1);
    return rows[0] ?? null;
  }

  async function eventCount(): Promise<number> {
    const [{ n }] = await ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events`);
    return n;
  }

  it('add → edit (moved) → delete: one booking on room 12, times read as Warsaw time, each message acknowledged after it applied', async () => {
    const c = await connection();
    const add = await apply(c.path, addMessage(555001));
    expect(fake.acks(add.messageId)).toBe(1);
    const created = await booking(c.id, '555001');
    expect(created).toMatchObject({ status: 'confirmed', people: 4, price_num: 180, currency: null, ends_at: null });
    expect(new Date(created.starts_at).toISOString()).toBe('2026-12-05T17:30:00.000Z');

    const [room] = await ctx.db.query(`SELECT * FROM resources WHERE id = $1`, [created.resource_id]);
    expect(room).toMatchObject({ provider: 'lockme', connection_id: c.id, external_id: '12', type: 'room', name: 'Pharaoh tomb', status: 'active', location_id: c.locationId });
    // The read API shows it the contract's way.
    const listed = await ctx.reader.get(`/resources/${created.resource_id}/bookings`).expect(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ externalId: '555001', start: '2026-12-05T17:30:00.000Z', end: null, status: 'confirmed', people: 4, price: 180, currency: null })]);

    // The message was fetched with the connection's own token, and the ack came after the fetch.
    const get = fake.callsOf('message-get', `/message/${add.messageId}`);
    expect(get).toHaveLength(1);
    expect(get[0].authorization).toBe(`Bearer ${c.tokens.accessToken}`);
    const order = fake.calls.filter((x) => x.path.endsWith(`/message/${add.messageId}`)).map((x) => x.kind);
    expect(order).toEqual(['message-get', 'message-ack']);

    const edit = await apply(c.path, editMessage(555001));
    expect(fake.acks(edit.messageId)).toBe(1);
    const moved = await booking(c.id, '555001');
    expect(new Date(moved.starts_at).toISOString()).toBe('2026-12-06T09:00:00.000Z');
    expect(moved).toMatchObject({ id: created.id, status: 'confirmed', resource_id: created.resource_id });

    const del = await apply(c.path, deleteMessage(555001));
    expect(fake.acks(del.messageId)).toBe(1);
    const cancelled = await booking(c.id, '555001');
    expect(cancelled).toMatchObject({ id: created.id, status: 'cancelled' });
    expect(new Date(cancelled.starts_at).toISOString()).toBe('2026-12-06T09:00:00.000Z');
    const [{ n }] = await ctx.db.query(`SELECT count(*)::int AS n FROM resources WHERE connection_id = $1`, [c.id]);
    expect(n).toBe(1);
  });

  it('applies a burst of messages of one connection in the order received', async () => {
    const c = await connection();
    const answers = [];
    for (const m of [addMessage(600), editMessage(600, { date: '2026-12-07', hour: '12:00:00' }), deleteMessage(600), addMessage(601, { roomid: 13 }, 13)]) {
      answers.push((await deliver(c.path, m)).res.body.eventId as string);
    }
    for (const id of answers) expect((await settle(id)).status).toBe('done');
    expect(await booking(c.id, '600')).toMatchObject({ status: 'cancelled' });
    expect(new Date((await booking(c.id, '600')).starts_at).toISOString()).toBe('2026-12-07T11:00:00.000Z');
    const other = await booking(c.id, '601');
    const [room13] = await ctx.db.query(`SELECT external_id, name FROM resources WHERE id = $1`, [other.resource_id]);
    expect(room13).toEqual({ external_id: '13', name: 'Bank heist' });
  });

  it('an unpaid web hold (source=web, status 0) is pending, and confirmed once paid', async () => {
    const c = await connection();
    await apply(c.path, addMessage(700, { status: 0, source: 'web' }));
    expect(await booking(c.id, '700')).toMatchObject({ status: 'pending' });
    await apply(c.path, editMessage(700, { date: '2026-12-05', hour: '18:30:00', status: 1, source: 'web' }));
    expect(await booking(c.id, '700')).toMatchObject({ status: 'confirmed' });
  });

  it('a test message changes nothing but is acknowledged', async () => {
    const c = await connection();
    const before = await ctx.db.query(`SELECT count(*)::int AS n FROM bookings`);
    const t = await apply(c.path, { action: 'test' });
    expect(fake.acks(t.messageId)).toBe(1);
    expect(await ctx.db.query(`SELECT count(*)::int AS n FROM bookings`)).toEqual(before);
  });

  it('reads the wall time in the mapped location time zone', async () => {
    const c = await connection({ timezone: 'Europe/London' });
    await apply(c.path, addMessage(800, { date: '2026-07-01', hour: '10:00:00' }));
    expect(new Date((await booking(c.id, '800')).starts_at).toISOString()).toBe('2026-07-01T09:00:00.000Z');
  });

  it('refreshes an expired access token first; the rotated refresh token replaces the old one', async () => {
    const c = await connection({ expiresAt: '2020-01-01T00:00:00Z', accessValid: false });
    const tokenCallsBefore = fake.callsOf('token').length;
    const first = await apply(c.path, addMessage(900));
    const refreshes = fake.callsOf('token').slice(tokenCallsBefore);
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0].form).toEqual({ grant_type: 'refresh_token', refresh_token: c.tokens.refreshToken, client_id: fake.clientId, client_secret: fake.clientSecret });
    // The expired token was never sent to the API.
    expect(fake.calls.some((x) => x.authorization === `Bearer ${c.tokens.accessToken}`)).toBe(false);
    expect(fake.acks(first.messageId)).toBe(1);

    const stored = await ctx.app.get(ConnectionsService).getCredentials(c.id);
    expect(stored!.refreshToken).not.toBe(c.tokens.refreshToken);
    expect(fake.isRefreshTokenValid(stored!.refreshToken!)).toBe(true);
    expect(fake.isRefreshTokenValid(c.tokens.refreshToken)).toBe(false);
    expect(Date.parse(stored!.expiresAt!)).toBeGreaterThan(Date.now() + 3000 * 1000);
    const [row] = await ctx.db.query(`SELECT credentials FROM connections WHERE id = $1`, [c.id]);
    expect(Buffer.from(row.credentials).toString('latin1')).not.toContain(stored!.refreshToken!);

    // The fresh token is used as is: no second refresh.
    await apply(c.path, addMessage(901));
    expect(fake.callsOf('token').slice(tokenCallsBefore)).toHaveLength(1);
    expect(fake.callsOf('message-get').at(-1)!.authorization).toBe(`Bearer ${stored!.accessToken}`);
  });

  it('on a 401 mid-flow (token revoked between fetch and ack) refreshes once and finishes', async () => {
    const c = await connection();
    const tokenCallsBefore = fake.callsOf('token').length;
    fake.failNext('message-ack', 401, { revokeToken: true, path: new RegExp(`/message/${nextMessageId}$`) });
    const m = await apply(c.path, addMessage(1000));
    expect(m.row.attempts).toBe(1);
    expect(fake.callsOf('token').slice(tokenCallsBefore).map((x) => x.form!.grant_type)).toEqual(['refresh_token']);
    const acks = fake.callsOf('message-ack', `/message/${m.messageId}`);
    expect(acks.map((x) => x.status)).toEqual([401, 200]);
    expect(acks[1].authorization).not.toBe(acks[0].authorization);
    expect(await booking(c.id, '1000')).toMatchObject({ status: 'confirmed' });
  });

  it('an ack that fails after commit is retried: re-applied without a second booking, then acknowledged', async () => {
    const c = await connection();
    fake.failNext('message-ack', 503, { path: new RegExp(`/message/${nextMessageId}$`) });
    const m = await apply(c.path, addMessage(1100));
    expect(m.row.attempts).toBe(2);
    expect(fake.callsOf('message-get', `/message/${m.messageId}`)).toHaveLength(2);
    expect(fake.callsOf('message-ack', `/message/${m.messageId}`).map((x) => x.status)).toEqual([503, 200]);
    const [{ n }] = await ctx.db.query(`SELECT count(*)::int AS n FROM bookings WHERE connection_id = $1`, [c.id]);
    expect(n).toBe(1);
    expect(await booking(c.id, '1100')).toMatchObject({ status: 'confirmed' });
  });

  it('a re-delivered X-MessageId of a done event is a duplicate (200, same event) and is acknowledged again', async () => {
    const c = await connection();
    const m = await apply(c.path, addMessage(1200));
    expect(fake.acks(m.messageId)).toBe(1);
    const again = await ctx.http().post(c.path).set('X-MessageId', m.messageId).expect(200);
    expect(again.body).toEqual({ eventId: m.eventId, status: 'duplicate' });
    await waitFor(async () => fake.acks(m.messageId) === 2);
    expect(fake.callsOf('message-get', `/message/${m.messageId}`)).toHaveLength(1);
    const [{ n }] = await ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events WHERE connection_id = $1`, [c.id]);
    expect(n).toBe(1);
    // The same message id on another connection is another message.
    const other = await connection();
    const res = await ctx.http().post(other.path).set('X-MessageId', m.messageId).expect(202);
    expect(res.body.status).toBe('accepted');
    expect(res.body.eventId).not.toBe(m.eventId);
  });

  it('GET works like POST', async () => {
    const c = await connection();
    const messageId = String(nextMessageId++);
    fake.messages.set(messageId, { action: 'test' });
    const res = await ctx.http().get(c.path).set('X-MessageId', messageId).expect(202);
    expect((await settle(res.body.eventId)).status).toBe('done');
    expect(fake.acks(messageId)).toBe(1);
  });

  it('unknown webhook key → 404 problem+json, nothing stored', async () => {
    const before = await eventCount();
    for (const key of ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'short', 'x'.repeat(200)]) {
      const res = await ctx.http().post(`/webhooks/lockme/${key}`).set('X-MessageId', '123');
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    await ctx.http().get('/webhooks/lockme/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').set('X-MessageId', '123').expect(404);
    expect(await eventCount()).toBe(before);
  });

  it('missing or malformed X-MessageId → 400 problem+json, nothing stored', async () => {
    const c = await connection();
    const before = await eventCount();
    const missing = await ctx.http().post(c.path).expect(400);
    expect(missing.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(missing.body.errors).toEqual([{ field: 'X-MessageId', message: 'required' }]);
    for (const bad of ['abc', '12a', '-1', '1.5', '123456789012345678901', '']) {
      const res = await ctx.http().post(c.path).set('X-MessageId', bad);
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/X-MessageId/);
    }
    await ctx.http().get(c.path).set('X-MessageId', 'nope').expect(400);
    expect(await eventCount()).toBe(before);
    // 20 digits is still a message id.
    await ctx.http().post(c.path).set('X-MessageId', '12345678901234567890').expect(202);
  });

  it('never stores or returns customer data (name, e-mail, phone, comment)', async () => {
    const c = await connection();
    const m = await apply(c.path, addMessage(1300));
    await apply(c.path, editMessage(1300));
    const needles = [LOCKME_PII.surname, LOCKME_PII.email, LOCKME_PII.phone, LOCKME_PII.comment, '600 000 000'];
    const check = (what: string, text: string) => {
      for (const needle of needles) expect(`${what}: ${text}`).not.toContain(needle);
    };

    const detail = await ctx.admin.get(`/admin/events/${m.eventId}`).expect(200);
    expect(detail.body.payload).toEqual({ messageId: m.messageId });
    expect(detail.body.headers).toEqual({ 'x-messageid': m.messageId });
    check('event detail', JSON.stringify(detail.body));
    check('event list', JSON.stringify((await ctx.admin.get(`/admin/events?provider=lockme&connectionId=${c.id}`).expect(200)).body));
    const b = await booking(c.id, '1300');
    check('bookings API', (await ctx.reader.get(`/resources/${b.resource_id}/bookings`)).text);
    check('resource API', (await ctx.reader.get(`/resources/${b.resource_id}`)).text);
    check('resources API', (await ctx.reader.get(`/resources?provider=lockme`)).text);
    check('locations API', (await ctx.reader.get(`/locations`)).text);

    // Every text of every row of the tables processing writes to.
    for (const table of ['bookings', 'resources', 'locations', 'inbound_events', 'connections']) {
      const rows: Array<{ t: string }> = await ctx.db.query(`SELECT row_to_json(x)::text AS t FROM ${table} x`);
      check(table, rows.map((r) => r.t).join('\n'));
    }
    const raw: Array<{ t: string | null }> = await ctx.db.query(`SELECT convert_from(raw, 'UTF8') AS t FROM inbound_events WHERE raw IS NOT NULL AND provider = 'lockme'`);
    check('raw bodies', raw.map((r) => r.t ?? '').join('\n'));
  });

  it('holds messages of a connection without a location, unacknowledged, until one is mapped', async () => {
    const c = await connection({ map: false });
    const { res, messageId } = await deliver(c.path, addMessage(1400));
    const row = await settle(res.body.eventId);
    expect(row).toMatchObject({ status: 'held', connection_id: c.id });
    expect(row.last_error).toMatch(/no location mapped/);
    expect(fake.acks(messageId)).toBe(0);
    await ctx.newLocation(c.id, { timezone: 'Europe/Warsaw' });
    expect((await settle(res.body.eventId, ['done'])).status).toBe('done');
    expect(fake.acks(messageId)).toBe(1);
    expect(await booking(c.id, '1400')).toMatchObject({ status: 'confirmed' });
  });

  it('holds messages of a disabled connection and runs them when it is re-enabled', async () => {
    const c = await connection();
    await ctx.admin.patch(`/admin/connections/${c.id}`).send({ status: 'disabled' }).expect(200);
    const { res, messageId } = await deliver(c.path, addMessage(1500));
    expect(await settle(res.body.eventId)).toMatchObject({ status: 'held', last_error: 'connection is disabled' });
    expect(fake.callsOf('message-get', `/message/${messageId}`)).toHaveLength(0);
    await ctx.admin.patch(`/admin/connections/${c.id}`).send({ status: 'active' }).expect(200);
    expect((await settle(res.body.eventId, ['done'])).status).toBe('done');
    expect(await booking(c.id, '1500')).not.toBeNull();
  });

  it('a delete for a reservation never seen records it cancelled; a message Lockme no longer has is ignored', async () => {
    const c = await connection();
    await apply(c.path, deleteMessage(1600));
    expect(await booking(c.id, '1600')).toMatchObject({ status: 'cancelled' });
    const { res } = await deliver(c.path, addMessage(1601), '99999999');
    fake.messages.delete('99999999');
    const row = await settle(res.body.eventId);
    expect(row.status).toBe('ignored');
    expect(row.last_error).toMatch(/404/);
  });

  it('a failing room list does not fail the booking: the room stays unnamed until the list answers again', async () => {
    const c = await connection();
    fake.failNext('rooms', 500);
    await apply(c.path, addMessage(1800));
    const b = await booking(c.id, '1800');
    expect(b.status).toBe('confirmed');
    const name = async () => (await ctx.db.query(`SELECT name FROM resources WHERE id = $1`, [b.resource_id]))[0].name;
    expect(await name()).toBeNull();
    await apply(c.path, editMessage(1800));
    expect(await name()).toBe('Pharaoh tomb');
  });

  it('a Lockme 5xx on fetch is retried with the event, then succeeds', async () => {
    const c = await connection();
    fake.failNext('message-get', 500, { path: new RegExp(`/message/${nextMessageId}$`) });
    const m = await apply(c.path, addMessage(1700));
    expect(m.row.attempts).toBe(2);
    expect(fake.acks(m.messageId)).toBe(1);
  });
});

describe('lockme: one token refresh at a time per connection, across processes', () => {
  let fake: LockmeFake;
  let one: TestContext;
  let two: TestContext;

  beforeAll(async () => {
    fake = await LockmeFake.start();
    one = await startTestApp({ ...fake.env, WORKER: 'off' });
    two = await startTestApp({ ...fake.env, WORKER: 'off' }, { shareDatabaseWith: one });
  });
  afterAll(async () => {
    await two?.close();
    await one?.close();
    await fake?.close();
  });

  it('two processes refreshing the same expired token: one refresh at Lockme, both get the new token', async () => {
    const tokens = fake.grant({ accessValid: false });
    const c = await one.newConnection({ provider: 'lockme', externalId: undefined, credentials: { ...tokens, expiresAt: '2020-01-01T00:00:00Z' } });
    fake.tokenDelayMs = 300;
    const seen: string[] = [];
    const use = (t: string) => {
      seen.push(t);
      return Promise.resolve(t);
    };
    const [a, b] = await Promise.all([
      one.app.get(LockmeTokenStore).withAccessToken(c.id, use),
      two.app.get(LockmeTokenStore).withAccessToken(c.id, use),
    ]);
    fake.tokenDelayMs = 0;
    expect(fake.callsOf('token')).toHaveLength(1);
    expect(a).toBe(b);
    expect(a).not.toBe(tokens.accessToken);
    const stored = await one.app.get(ConnectionsService).getCredentials(c.id);
    expect(stored!.accessToken).toBe(a);
    expect(fake.isRefreshTokenValid(stored!.refreshToken!)).toBe(true);
  });
});
