import { createHash } from 'node:crypto';
import { ConnectionsService } from '../src/connections/connections.service';
import { signState } from '../src/providers/lockme/lockme-oauth-state';
import { addMessage, LockmeFake } from './fakes/lockme-fake.server';
import { ENCRYPTION_KEY, startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';

const KEY = Buffer.from(ENCRYPTION_KEY, 'base64');

describe('lockme: connect flow (OAuth2 authorization code)', () => {
  let fake: LockmeFake;
  let ctx: TestContext;

  beforeAll(async () => {
    fake = await LockmeFake.start();
    ctx = await startTestApp(fake.env);
  });
  afterAll(async () => {
    await ctx?.close();
    await fake?.close();
  });

  const eventStatus = async (id: string) => (await ctx.db.query(`SELECT status, last_error FROM inbound_events WHERE id = $1`, [id]))[0];

  const setCookiesOf = (res: { headers: Record<string, unknown> }) => ([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? []);
  /** The `name=value` a browser sends back, '' when there is none. */
  const cookieOf = (res: { headers: Record<string, unknown> }) => (setCookiesOf(res)[0] ?? '').split(';')[0];
  /** GET /connect/lockme as the admin: the state in the redirect and the browser cookie it is bound to. */
  async function startConnect(connectionId: string): Promise<{ state: string; cookie: string }> {
    const res = await ctx.admin.get(`/connect/lockme?connectionId=${connectionId}`).redirects(0).expect(302);
    return { state: new URL(res.headers.location).searchParams.get('state')!, cookie: cookieOf(res) };
  }
  const callback = (query: Record<string, string>, cookie?: string) => {
    const req = ctx.http().get('/connect/lockme/callback').query(query);
    return cookie === undefined ? req : req.set('Cookie', cookie);
  };

  it('pending connection: messages are held; connect → redirect, callback stores tokens, activates, releases the held message', async () => {
    const c = await ctx.newConnection({ provider: 'lockme', externalId: undefined, name: 'Escape Gdańsk' });
    expect(c.status).toBe('pending');
    await ctx.newLocation(c.id, { timezone: 'Europe/Warsaw' });
    fake.messages.set('4242', addMessage(4242));
    const hook = await ctx.http().post(new URL(c.webhookUrl).pathname).set('X-MessageId', '4242').expect(202);
    const heldRow = await waitFor(async () => {
      const row = await eventStatus(hook.body.eventId);
      return row?.status === 'held' ? row : null;
    });
    expect(heldRow.last_error).toMatch(/not connected/);

    const start = await ctx.admin.get(`/connect/lockme?connectionId=${c.id}`).redirects(0).expect(302);
    const location = new URL(start.headers.location);
    expect(`${location.origin}${location.pathname}`).toBe(`${fake.baseUrl}/authorize`);
    const redirectUri = `${ctx.baseUrl}/connect/lockme/callback`;
    expect(Object.fromEntries(location.searchParams)).toEqual({
      response_type: 'code', client_id: fake.clientId, redirect_uri: redirectUri, scope: 'rooms_manage', state: expect.any(String),
    });
    const state = location.searchParams.get('state')!;
    const cookie = cookieOf(start);

    // Lockme sends the browser back with a code (and may add parameters of its own).
    const code = fake.issueCode(redirectUri);
    const done = await callback({ code, state, lang: 'pl' }, cookie).expect(200);
    expect(done.body).toEqual({ connectionId: c.id, status: 'active' });
    const [exchange] = fake.callsOf('token');
    expect(exchange.form).toEqual({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: fake.clientId, client_secret: fake.clientSecret });

    const stored = await ctx.app.get(ConnectionsService).getCredentials(c.id);
    expect(stored).toEqual({ accessToken: expect.stringMatching(/^at-/), refreshToken: expect.stringMatching(/^rt-/), expiresAt: expect.any(String) });
    const [row] = await ctx.db.query(`SELECT credentials FROM connections WHERE id = $1`, [c.id]);
    expect(Buffer.from(row.credentials).toString('latin1')).not.toContain(stored!.accessToken);
    const view = await ctx.admin.get(`/admin/connections/${c.id}`).expect(200);
    expect(view.body.status).toBe('active');
    expect(JSON.stringify(view.body)).not.toContain(stored!.refreshToken!);

    await waitFor(async () => (await eventStatus(hook.body.eventId))?.status === 'done');
    expect(fake.acks('4242')).toBe(1);
    const [booking] = await ctx.db.query(`SELECT status FROM bookings WHERE connection_id = $1 AND external_id = '4242'`, [c.id]);
    expect(booking).toEqual({ status: 'confirmed' });

    // The state is single-use: a replayed callback (same browser, even with a fresh code) is refused before any
    // token exchange, and the tokens stay.
    const tokenCalls = fake.callsOf('token').length;
    for (const again of [code, fake.issueCode(redirectUri)]) {
      const replay = await callback({ code: again, state }, cookie).expect(400);
      expect(replay.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(replay.body.detail).toMatch(/already used/);
    }
    expect(fake.callsOf('token')).toHaveLength(tokenCalls);
    expect(await ctx.app.get(ConnectionsService).getCredentials(c.id)).toEqual(stored);
  });

  it('the start sets an HttpOnly SameSite=Lax cookie for the callback; only hashes are stored; the cookie is cleared once used', async () => {
    const c = await ctx.newConnection({ provider: 'lockme', externalId: undefined });
    const start = await ctx.admin.get(`/connect/lockme?connectionId=${c.id}`).redirects(0).expect(302);
    const state = new URL(start.headers.location).searchParams.get('state')!;
    const setCookies = setCookiesOf(start);
    expect(setCookies).toHaveLength(1);
    expect(setCookies[0]).toMatch(/^lockme_connect_[0-9a-f]{16}=[A-Za-z0-9_-]{43}; /);
    expect(setCookies[0].split('; ').slice(1)).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/connect/lockme/callback', 'Max-Age=600']));
    expect(setCookies[0]).not.toMatch(/Secure/); // PUBLIC_URL is http here
    const cookie = cookieOf(start);
    const rows = await ctx.db.query(`SELECT * FROM oauth_states WHERE connection_id = $1`, [c.id]);
    expect(rows).toEqual([{
      nonce_hash: expect.stringMatching(/^[0-9a-f]{64}$/), connection_id: c.id, browser_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      created_at: expect.any(Date), used_at: null,
    }]);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(cookie.split('=')[1]);
    expect(text).not.toContain(JSON.parse(Buffer.from(state.split('.')[0], 'base64url').toString()).n);

    const done = await callback({ code: fake.issueCode(`${ctx.baseUrl}/connect/lockme/callback`), state }, cookie).expect(200);
    expect(setCookiesOf(done).join()).toMatch(new RegExp(`^${cookie.split('=')[0]}=;.*Expires=Thu, 01 Jan 1970`));
    const [used] = await ctx.db.query(`SELECT used_at FROM oauth_states WHERE connection_id = $1`, [c.id]);
    expect(used.used_at).toEqual(expect.any(Date));
  });

  it('the state is bound to the browser that started the flow: another value of its cookie → 400, the state stays usable', async () => {
    const c = await ctx.newConnection({ provider: 'lockme', externalId: undefined });
    const redirectUri = `${ctx.baseUrl}/connect/lockme/callback`;
    const { state, cookie } = await startConnect(c.id);
    const other = await startConnect(c.id);
    const tokenCalls = fake.callsOf('token').length;
    const cases: Array<[string | undefined, RegExp]> = [
      [`${cookie.split('=')[0]}=${'A'.repeat(43)}`, /browser that started it/],
      [`${cookie.split('=')[0]}=${other.cookie.split('=')[1]}`, /browser that started it/],
    ];
    for (const [sent, detail] of cases) {
      const res = await callback({ code: fake.issueCode(redirectUri), state }, sent);
      expect([res.status, res.body.detail]).toEqual([400, expect.stringMatching(detail)]);
    }
    expect(fake.callsOf('token')).toHaveLength(tokenCalls);
    expect(await ctx.app.get(ConnectionsService).getCredentials(c.id)).toBeNull();
    // Still unused: the browser that started it finishes the flow (among its other cookies).
    await callback({ code: fake.issueCode(redirectUri), state }, `theme=dark; ${other.cookie}; ${cookie}`).expect(200);
    expect(fake.callsOf('token')).toHaveLength(tokenCalls + 1);
  });

  it('a client without cookies (the connect link fetched with curl, opened elsewhere) may finish once: the state is single-use', async () => {
    const c = await ctx.newConnection({ provider: 'lockme', externalId: undefined });
    const redirectUri = `${ctx.baseUrl}/connect/lockme/callback`;
    const { state } = await startConnect(c.id);
    await callback({ code: fake.issueCode(redirectUri), state }).expect(200);
    const tokenCalls = fake.callsOf('token').length;
    const replay = await callback({ code: fake.issueCode(redirectUri), state }).expect(400);
    expect(replay.body.detail).toMatch(/already used/);
    expect(fake.callsOf('token')).toHaveLength(tokenCalls);
  });

  it('a state expires 10 minutes after it was issued (by the stored time, not only the signed one)', async () => {
    const c = await ctx.newConnection({ provider: 'lockme', externalId: undefined });
    const { state, cookie } = await startConnect(c.id);
    await ctx.db.query(`UPDATE oauth_states SET created_at = now() - interval '10 minutes 1 second' WHERE connection_id = $1`, [c.id]);
    const tokenCalls = fake.callsOf('token').length;
    const res = await callback({ code: fake.issueCode(`${ctx.baseUrl}/connect/lockme/callback`), state }, cookie).expect(400);
    expect(res.body.detail).toMatch(/expired/);
    expect(fake.callsOf('token')).toHaveLength(tokenCalls);
    expect(await ctx.app.get(ConnectionsService).getCredentials(c.id)).toBeNull();
  });

  it('Lockme down at the callback → 503, and the same state can be tried again', async () => {
    const c = await ctx.newConnection({ provider: 'lockme', externalId: undefined });
    const redirectUri = `${ctx.baseUrl}/connect/lockme/callback`;
    const { state, cookie } = await startConnect(c.id);
    const code = fake.issueCode(redirectUri);
    fake.failNext('token', 503);
    const down = await callback({ code, state }, cookie).expect(503);
    expect(down.headers['retry-after']).toMatch(/^\d+$/);
    await callback({ code, state }, cookie).expect(200);
    expect((await ctx.admin.get(`/admin/connections/${c.id}`)).body.status).toBe('active');
  });

  it('the start route is admin-only and checks the connection', async () => {
    const c = await ctx.newConnection({ provider: 'lockme', externalId: undefined });
    await ctx.http().get(`/connect/lockme?connectionId=${c.id}`).redirects(0).expect(401);
    await ctx.reader.get(`/connect/lockme?connectionId=${c.id}`).redirects(0).expect(403);
    const bad = await ctx.admin.get('/connect/lockme?connectionId=nope').expect(400);
    expect(bad.body.errors[0].field).toBe('connectionId');
    await ctx.admin.get('/connect/lockme').expect(400);
    await ctx.admin.get('/connect/lockme?connectionId=00000000-0000-4000-8000-000000000000').expect(404);
    const syncaroo = await ctx.newConnection({ provider: 'syncaroo' });
    await ctx.admin.get(`/connect/lockme?connectionId=${syncaroo.id}`).expect(400);
  });

  it('callback refuses a missing, forged or expired state, a missing code and a denied consent, storing nothing', async () => {
    const c = await ctx.newConnection({ provider: 'lockme', externalId: undefined });
    const redirectUri = `${ctx.baseUrl}/connect/lockme/callback`;
    const code = fake.issueCode(redirectUri);
    const tokenCalls = fake.callsOf('token').length;
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ code }, /state/],
      [{ code, state: 'garbage' }, /state/],
      [{ code, state: signState(c.id, Buffer.alloc(32, 9)) }, /state/],
      [{ code, state: signState(c.id, KEY, Date.now() - 11 * 60 * 1000) }, /expired/],
      [{ state: signState(c.id, KEY) }, /code/],
      [{ error: 'access_denied', state: signState(c.id, KEY) }, /did not grant/],
    ];
    for (const [query, detail] of cases) {
      const res = await ctx.http().get('/connect/lockme/callback').query(query);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.detail).toMatch(detail);
    }
    expect(fake.callsOf('token')).toHaveLength(tokenCalls);
    expect(await ctx.app.get(ConnectionsService).getCredentials(c.id)).toBeNull();
    expect((await ctx.admin.get(`/admin/connections/${c.id}`)).body.status).toBe('pending');

    // Signed with the right key but never issued by GET /connect/lockme (no stored nonce) → 400, no exchange.
    for (const connectionId of [c.id, '00000000-0000-4000-8000-000000000000']) {
      const state = signState(connectionId, KEY);
      // Even with a cookie of the name the flow would have set.
      const nonce = JSON.parse(Buffer.from(state.split('.')[0], 'base64url').toString()).n as string;
      const name = `lockme_connect_${createHash('sha256').update(nonce).digest('hex').slice(0, 16)}`;
      const res = await ctx.http().get('/connect/lockme/callback').query({ code, state }).set('Cookie', `${name}=${'A'.repeat(43)}`);
      expect([res.status, res.body.detail]).toEqual([400, expect.stringMatching(/state is missing or invalid/)]);
    }
    expect(fake.callsOf('token')).toHaveLength(tokenCalls);
  });

  it('reconnecting an active connection replaces its tokens and releases events held for a refused refresh token', async () => {
    const tokens = fake.grant({ accessValid: false });
    const c = await ctx.newConnection({ provider: 'lockme', externalId: undefined, credentials: { ...tokens, expiresAt: '2020-01-01T00:00:00Z' } });
    await ctx.newLocation(c.id, { timezone: 'Europe/Warsaw' });
    // Lockme forgot the refresh token (revoked in its panel): the message waits.
    fake.failNext('token', 400);
    fake.messages.set('5151', addMessage(5151));
    const hook = await ctx.http().post(new URL(c.webhookUrl).pathname).set('X-MessageId', '5151').expect(202);
    const held = await waitFor(async () => {
      const row = await eventStatus(hook.body.eventId);
      return row?.status === 'held' ? row : null;
    });
    expect(held.last_error).toMatch(/refused the refresh_token grant.*connect the connection again/);

    const { state, cookie } = await startConnect(c.id);
    const code = fake.issueCode(`${ctx.baseUrl}/connect/lockme/callback`);
    await callback({ code, state }, cookie).expect(200);
    await waitFor(async () => (await eventStatus(hook.body.eventId))?.status === 'done');
    expect(fake.acks('5151')).toBe(1);
  });
});

describe('lockme: disabled provider (no LOCKME_CLIENT_ID / LOCKME_CLIENT_SECRET)', () => {
  let ctx: TestContext;
  beforeAll(async () => { ctx = await startTestApp({ LOCKME_CLIENT_ID: undefined, LOCKME_CLIENT_SECRET: undefined }); });
  afterAll(async () => { await ctx?.close(); });

  it('webhooks and the connect flow answer 503 and store nothing', async () => {
    const c = await ctx.newConnection({ provider: 'lockme', externalId: undefined });
    const [{ n: before }] = await ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events`);
    const post = await ctx.http().post(new URL(c.webhookUrl).pathname).set('X-MessageId', '1').expect(503);
    expect(post.headers['content-type']).toMatch(/application\/problem\+json/);
    await ctx.http().get(new URL(c.webhookUrl).pathname).set('X-MessageId', '1').expect(503);
    await ctx.http().post('/webhooks/lockme/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').set('X-MessageId', '1').expect(503);
    const [{ n: after }] = await ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events`);
    expect(after).toBe(before);
    await ctx.admin.get(`/connect/lockme?connectionId=${c.id}`).redirects(0).expect(503);
    await ctx.http().get('/connect/lockme/callback').query({ code: 'x', state: 'y' }).expect(503);
  });

  it('documents the Lockme routes in the OpenAPI document', async () => {
    const doc = await ctx.http().get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/webhooks/lockme/{webhookKey}', '/connect/lockme', '/connect/lockme/callback']));
    const post = doc.body.paths['/webhooks/lockme/{webhookKey}'].post;
    expect(post.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['webhookKey', 'X-MessageId']));
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['200', '202', '400', '404', '503']));
    expect(doc.body.paths['/webhooks/lockme/{webhookKey}'].get).toBeDefined();
  });
});
