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

    // Lockme sends the browser back with a code (and may add parameters of its own).
    const code = fake.issueCode(redirectUri);
    const done = await ctx.http().get('/connect/lockme/callback').query({ code, state, lang: 'pl' }).expect(200);
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

    // The code is single-use at Lockme: a replayed callback is refused, tokens stay.
    const replay = await ctx.http().get('/connect/lockme/callback').query({ code, state }).expect(400);
    expect(replay.body.detail).toMatch(/refused the authorization code/);
    expect(await ctx.app.get(ConnectionsService).getCredentials(c.id)).toEqual(stored);
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

    // A state for a connection that has since disappeared (or never existed) → 404.
    await ctx.http().get('/connect/lockme/callback').query({ code, state: signState('00000000-0000-4000-8000-000000000000', KEY) }).expect(404);
    // Lockme down → 503, try again later.
    fake.failNext('token', 503);
    await ctx.http().get('/connect/lockme/callback').query({ code, state: signState(c.id, KEY) }).expect(503);
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

    const start = await ctx.admin.get(`/connect/lockme?connectionId=${c.id}`).redirects(0).expect(302);
    const state = new URL(start.headers.location).searchParams.get('state')!;
    const code = fake.issueCode(`${ctx.baseUrl}/connect/lockme/callback`);
    await ctx.http().get('/connect/lockme/callback').query({ code, state }).expect(200);
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
