import { StratechFake, StratechKit } from './fakes/stratech-fake.server';
import { startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';

const SECRET = 'stratech-webhook-secret-0123';

describe('stratech: webhook intake and authorization', () => {
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

  it('exchanges the code (form-encoded, client credentials, redirect_uri) and activates a new connection', async () => {
    const redirectUri = 'https://example.stratechbooking.nl/login-client-callback';
    const code = fake.issueCode('org_12345', redirectUri);
    const res = await kit.post(kit.codeEvent('org_12345', code, redirectUri)).expect(202);
    expect(res.body).toEqual({ eventId: expect.any(String), status: 'accepted' });
    const event = await kit.settle(res.body.eventId);
    expect(event).toMatchObject({ status: 'done', last_error: null });

    const [call] = fake.callsOf('token', 'org_12345');
    expect(call).toMatchObject({ method: 'POST', path: '/org_12345/connect/token', status: 200 });
    expect(call.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(call.form).toEqual({ grant_type: 'authorization_code', client_id: fake.clientId, client_secret: fake.clientSecret, code, redirect_uri: redirectUri });

    const connection = await ctx.admin.get(`/admin/connections/${event.connection_id}`).expect(200);
    expect(connection.body).toMatchObject({ provider: 'stratech', externalId: 'org_12345', status: 'active', webhookUrl: null });
    expect(JSON.stringify(connection.body)).not.toMatch(/rt-|at-/);
    // Stored encrypted: the refresh token Stratech issued is not readable in the row.
    const [refresh] = fake.refreshTokensOf('org_12345');
    const [row] = await ctx.db.query(`SELECT credentials FROM connections WHERE id = $1`, [event.connection_id]);
    expect(row.credentials).not.toBeNull();
    expect(Buffer.from(row.credentials).toString('latin1')).not.toContain(refresh);
    // The admin events API never shows the code.
    const detail = await ctx.admin.get(`/admin/events/${event.id}`).expect(200);
    expect(JSON.stringify(detail.body)).not.toContain(code);
  });

  it('a re-delivered code event after success is ignored, not exchanged twice', async () => {
    const code = fake.issueCode('org_redeliver');
    const body = kit.codeEvent('org_redeliver', code);
    expect((await kit.settle(await kit.send(body))).status).toBe('done');
    const again = await kit.settle(await kit.send(body));
    expect(again).toMatchObject({ status: 'ignored', last_error: 'authorization code already exchanged' });
    expect(fake.callsOf('token', 'org_redeliver')).toHaveLength(1);
  });

  it('activates a connection an admin created as pending (externalId = organizationReference)', async () => {
    const created = await ctx.admin.post('/admin/connections').send({ provider: 'stratech', externalId: 'org_pending', name: 'Park Pending' }).expect(201);
    expect(created.body.status).toBe('pending');
    const id = await kit.authorize('org_pending');
    expect(id).toBe(created.body.id);
    const after = await ctx.admin.get(`/admin/connections/${id}`).expect(200);
    expect(after.body).toMatchObject({ status: 'active', name: 'Park Pending' });
  });

  it('revocation erases tokens; later events are ignored; a new authorization re-activates', async () => {
    const id = await kit.authorize('org_revoke');
    const revoked = await kit.settle(await kit.send({ eventType: 'Authorization.revoked', eventData: { organizationReference: 'org_revoke' } }));
    expect(revoked).toMatchObject({ status: 'done', connection_id: id });
    const [row] = await ctx.db.query(`SELECT status, credentials FROM connections WHERE id = $1`, [id]);
    expect(row).toEqual({ status: 'revoked', credentials: null });

    const los = await kit.settle(await kit.send(kit.losCreated('org_revoke', 'rst_r', 'dc_r', 'k1')));
    expect(los).toMatchObject({ status: 'ignored', last_error: 'connection revoked', connection_id: id });
    const partial = await kit.settle(await kit.send(kit.losUpdated('org_revoke', 'rst_r', 'dc_r', 'k1', [
      { productId: 'p1', losPriceAvailability: [{ arrivalDate: '2022-04-01T00:00:00+02:00', lengthOfStay: 1, unitsAvailable: 3 }] },
    ])));
    expect(partial).toMatchObject({ status: 'ignored', last_error: 'connection revoked' });
    expect(fake.callsOf('los')).toHaveLength(0);
    const again = await kit.settle(await kit.send({ eventType: 'Authorization.revoked', eventData: { organizationReference: 'org_revoke' } }));
    expect(again.status).toBe('ignored');

    expect(await kit.authorize('org_revoke')).toBe(id);
    const [active] = await ctx.db.query(`SELECT status FROM connections WHERE id = $1`, [id]);
    expect(active.status).toBe('active');
  });

  it('a new authorization re-activates a connection an admin disabled, with the new tokens', async () => {
    const id = await kit.authorize('org_disabled_auth');
    await ctx.admin.patch(`/admin/connections/${id}`).send({ status: 'disabled' }).expect(200);
    const before = await ctx.db.query(`SELECT credentials FROM connections WHERE id = $1`, [id]);
    expect(await kit.authorize('org_disabled_auth')).toBe(id);
    const [after] = await ctx.db.query(`SELECT status, credentials FROM connections WHERE id = $1`, [id]);
    expect(after.status).toBe('active');
    expect(Buffer.from(after.credentials).equals(Buffer.from(before[0].credentials))).toBe(false);
  });

  it('revocation of an unknown organization is ignored', async () => {
    const row = await kit.settle(await kit.send({ eventType: 'Authorization.revoked', eventData: { organizationReference: 'org_never_seen' } }));
    expect(row.status).toBe('ignored');
    const n = await ctx.db.query(`SELECT 1 FROM connections WHERE external_id = 'org_never_seen'`);
    expect(n).toHaveLength(0);
  });

  it('a rejected code (invalid_grant) is dead without retries; the error names no code', async () => {
    const row = await kit.settle(await kit.send(kit.codeEvent('org_badcode', 'code-that-stratech-never-issued')), ['dead', 'done']);
    expect(row.status).toBe('dead');
    expect(row.attempts).toBe(1);
    expect(row.last_error).toMatch(/400/);
    expect(row.last_error).not.toContain('code-that-stratech-never-issued');
    expect(await ctx.db.query(`SELECT 1 FROM connections WHERE external_id = 'org_badcode'`)).toHaveLength(0);
  });

  it('a 503 with Retry-After from the identity server is retried, then succeeds', async () => {
    fake.failNext('token', 503, { retryAfter: '0' });
    const code = fake.issueCode('org_flaky');
    const row = await kit.settle(await kit.send(kit.codeEvent('org_flaky', code)), ['done', 'dead']);
    expect(row).toMatchObject({ status: 'done', attempts: 2 });
    expect(fake.callsOf('token', 'org_flaky').map((c) => c.status)).toEqual([503, 200]);
  });

  it('wrong or missing secret → 404 problem+json, nothing stored', async () => {
    const before = await kit.eventCount();
    const wrong = await kit.post(kit.codeEvent('org_x', 'c'), 'not-the-secret').expect(404);
    expect(wrong.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(wrong.body).toMatchObject({ status: 404, title: 'Not Found' });
    await kit.post(kit.codeEvent('org_x', 'c'), `${SECRET}x`).expect(404);
    await ctx.http().post('/webhooks/stratech').send(kit.codeEvent('org_x', 'c')).expect(404);
    expect(await kit.eventCount()).toBe(before);
  });

  it.each([
    ['not an object', 'body', [1, 2]],
    ['no eventType', 'eventType', { eventData: {} }],
    ['eventType not a string', 'eventType', { eventType: 5, eventData: {} }],
    ['no eventData', 'eventData', { eventType: 'Authorization.revoked' }],
    ['eventData an array', 'eventData', { eventType: 'Authorization.revoked', eventData: [] }],
    ['code missing', 'eventData.code', { eventType: 'Authorization.code.created', eventData: { organizationReference: 'o' } }],
    ['redirectUri not a string', 'eventData.redirectUri', { eventType: 'Authorization.code.created', eventData: { organizationReference: 'o', code: 'c', redirectUri: 1 } }],
    ['revoked without org', 'eventData.organizationReference', { eventType: 'Authorization.revoked', eventData: {} }],
    ['los.created without key', 'eventData.key', { eventType: 'PriceAvailability.los.created', eventData: { organizationReference: 'o', resortReference: 'r', channelReference: 'c' } }],
    ['los.updated without products', 'eventData.products', { eventType: 'PriceAvailability.los.updated', eventData: { losKey: 'k', organizationReference: 'o', resortReference: 'r', channelReference: 'c' } }],
    ['los.updated bad date', 'eventData.products[0].losPriceAvailability[0].arrivalDate', { eventType: 'PriceAvailability.los.updated', eventData: { losKey: 'k', organizationReference: 'o', resortReference: 'r', channelReference: 'c', products: [{ productId: 'p', losPriceAvailability: [{ arrivalDate: '2022-02-30T00:00:00+01:00', lengthOfStay: 1, unitsAvailable: 1 }] }] } }],
    ['los.updated lengthOfStay 0', 'eventData.products[0].losPriceAvailability[0].lengthOfStay', { eventType: 'PriceAvailability.los.updated', eventData: { losKey: 'k', organizationReference: 'o', resortReference: 'r', channelReference: 'c', products: [{ productId: 'p', losPriceAvailability: [{ arrivalDate: '2022-04-01', lengthOfStay: 0, unitsAvailable: 1 }] }] } }],
    ['los.updated negative units', 'eventData.products[0].losPriceAvailability[0].unitsAvailable', { eventType: 'PriceAvailability.los.updated', eventData: { losKey: 'k', organizationReference: 'o', resortReference: 'r', channelReference: 'c', products: [{ productId: 'p', losPriceAvailability: [{ arrivalDate: '2022-04-01', lengthOfStay: 1, unitsAvailable: -2 }] }] } }],
  ])('bad body (%s) → 400 naming %s, nothing stored', async (_what, field, body) => {
    const before = await kit.eventCount();
    const res = await kit.post(body).expect(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await kit.eventCount()).toBe(before);
  });

  it('unparsable JSON → 400, nothing stored', async () => {
    const before = await kit.eventCount();
    const res = await ctx.http().post(`/webhooks/stratech/${SECRET}`).set('Content-Type', 'application/json').send('{"eventType":').expect(400);
    expect(res.body.detail).toMatch(/JSON/);
    expect(await kit.eventCount()).toBe(before);
  });

  it('an unknown eventType is accepted, then ignored', async () => {
    const res = await kit.post({ eventType: 'Reservation.created', eventData: { anything: true } }).expect(202);
    const row = await kit.settle(res.body.eventId);
    expect(row.status).toBe('ignored');
    expect(row.last_error).toMatch(/unknown Stratech event type/);
  });

  it('resync is accepted and ignored: Stratech has no listing API', async () => {
    const id = await kit.authorize('org_resync');
    const res = await ctx.admin.post(`/admin/connections/${id}/resync`).expect(202);
    const row = await kit.settle(res.body.eventId);
    expect(row).toMatchObject({ status: 'ignored', last_error: 'stratech has no listing API; datasets arrive by webhook' });
  });

  it('describes the webhook in the OpenAPI document', async () => {
    const doc = await ctx.http().get('/docs-json').expect(200);
    expect(doc.body.paths['/webhooks/stratech/{secret}'].post.responses).toHaveProperty('202');
  });
});

describe('stratech: disabled (credentials not configured)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await startTestApp({ STRATECH_CLIENT_ID: 'id-only' });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('answers 503 problem+json and stores nothing', async () => {
    const res = await ctx.http().post(`/webhooks/stratech/${SECRET}`).send({ eventType: 'Authorization.revoked', eventData: { organizationReference: 'o' } }).expect(503);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const [{ n }] = await ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events`);
    expect(n).toBe(0);
  });

  it('an event stored while Stratech was configured waits (retried), it is not run with empty credentials', async () => {
    const [row] = await ctx.db.query(
      `INSERT INTO inbound_events (provider, event_type, status, partition_key, priority, payload, headers, next_attempt_at)
       VALUES ('stratech', 'Authorization.revoked', 'pending', 'stratech:o:auth', 1, '{"eventType": "Authorization.revoked", "eventData": {"organizationReference": "o"}}', '{}', now())
       RETURNING id`);
    const failed = await waitFor(async () => {
      const [r] = await ctx.db.query(`SELECT status, last_error, next_attempt_at FROM inbound_events WHERE id = $1`, [row.id]);
      return r.status === 'failed' ? r : null;
    });
    expect(failed.last_error).toBe('stratech is not configured on this server');
    expect(failed.next_attempt_at).not.toBeNull();
  });
});
