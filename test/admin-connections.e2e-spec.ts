import { startTestApp, TestContext } from './support/test-app';

describe('admin: connections and location mappings', () => {
  let ctx: TestContext;
  beforeAll(async () => { ctx = await startTestApp(); });
  afterAll(async () => { await ctx.close(); });

  it('creates Syncaroo connection 555, maps location 11980, lists both, and refuses a second owner', async () => {
    const created = await ctx.admin.post('/admin/connections').send({ provider: 'syncaroo', externalId: '555', name: 'Acme coworking' }).expect(201);
    expect(created.body).toMatchObject({ provider: 'syncaroo', externalId: '555', name: 'Acme coworking', status: 'active' });
    expect(created.body.webhookUrl).toBe(`${ctx.baseUrl}/webhooks/syncaroo`);
    expect(created.body.createdAt).toMatch(/Z$/);

    const mapped = await ctx.admin.post(`/admin/connections/${created.body.id}/locations`).send({ locationId: '11980', name: 'Amsterdam Zuid', timezone: 'Europe/Amsterdam' }).expect(201);
    expect(mapped.body).toEqual({ connectionId: created.body.id, locationId: '11980', externalId: null, createdAt: expect.stringMatching(/Z$/) });

    const list = await ctx.admin.get('/admin/connections').expect(200);
    expect(list.body.items.map((c: { externalId: string }) => c.externalId)).toContain('555');
    expect(list.body.nextCursor).toBeNull();
    const mappings = await ctx.admin.get(`/admin/connections/${created.body.id}/locations`).expect(200);
    expect(mappings.body.items).toEqual([mapped.body]);

    const other = await ctx.newConnection({ provider: 'syncaroo', externalId: '556' });
    const clash = await ctx.admin.post(`/admin/connections/${other.id}/locations`).send({ locationId: '11980' }).expect(409);
    expect(clash.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(clash.body).toMatchObject({ status: 409, title: 'Conflict' });
    const still = await ctx.db.query(`SELECT connection_id FROM location_mappings WHERE location_id = '11980'`);
    expect(still).toEqual([{ connection_id: created.body.id }]);

    const location = await ctx.reader.get('/locations/11980').expect(200);
    expect(location.body).toMatchObject({ id: '11980', name: 'Amsterdam Zuid', timezone: 'Europe/Amsterdam', provider: 'syncaroo', connectionId: created.body.id });
  });

  it('answers 409 for the same (provider, externalId) twice', async () => {
    await ctx.newConnection({ provider: 'stratech', externalId: 'org_dup' });
    const res = await ctx.admin.post('/admin/connections').send({ provider: 'stratech', externalId: 'org_dup' }).expect(409);
    expect(res.body.detail).toContain('org_dup');
  });

  it('never returns credentials and stores them encrypted', async () => {
    const res = await ctx.admin.post('/admin/connections').send({
      provider: 'lockme', name: 'Escape Krakow',
      credentials: { accessToken: 'lockme-access-secret', refreshToken: 'lockme-refresh-secret', expiresAt: '2030-01-01T00:00:00Z' },
    }).expect(201);
    expect(JSON.stringify(res.body)).not.toContain('lockme-access-secret');
    expect(res.body).not.toHaveProperty('credentials');
    expect(res.body.status).toBe('active');
    expect(res.body.webhookUrl).toMatch(new RegExp(`^${ctx.baseUrl}/webhooks/lockme/[A-Za-z0-9_-]{32}$`));
    const again = await ctx.admin.get(`/admin/connections/${res.body.id}`).expect(200);
    expect(again.body.webhookUrl).toBe(res.body.webhookUrl);
    expect(JSON.stringify(again.body)).not.toContain('secret');
    const [row] = await ctx.db.query(`SELECT credentials, webhook_key_hash FROM connections WHERE id = $1`, [res.body.id]);
    expect(Buffer.from(row.credentials).toString('latin1')).not.toContain('lockme-refresh-secret');
    expect(row.webhook_key_hash).not.toBe(res.body.webhookUrl.split('/').pop());
    const patched = await ctx.admin.patch(`/admin/connections/${res.body.id}`).send({ credentials: { accessToken: 'a2-secret', refreshToken: 'r2-secret' } }).expect(200);
    expect(JSON.stringify(patched.body)).not.toContain('r2-secret');
  });

  it('validates input precisely and writes nothing', async () => {
    const before = await ctx.db.query('SELECT count(*)::int AS n FROM connections');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ provider: 'acme', externalId: '1' }, 'provider'],
      [{ provider: 'syncaroo' }, 'externalId'],
      [{ provider: 'syncaroo', externalId: 'abc' }, 'externalId'],
      [{ provider: 'syncaroo', externalId: '0555' }, 'externalId'],
      [{ provider: 'syncaroo', externalId: '9007199254740993' }, 'externalId'],
      [{ provider: 'syncaroo', externalId: '9', extra: true }, 'extra'],
      [{ provider: 'lockme', credentials: { accessToken: 'x' } }, 'credentials'],
      [{ provider: 'lockme', credentials: { accessToken: 'x', refreshToken: 'y', expiresAt: 'tomorrow' } }, 'credentials.expiresAt'],
      [{ provider: 'stratech' }, 'externalId'],
    ];
    for (const [body, field] of cases) {
      const res = await ctx.admin.post('/admin/connections').send(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const bad = await ctx.admin.post('/admin/connections').set('Content-Type', 'application/json').send('{"provider":');
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/JSON/);
    const after = await ctx.db.query('SELECT count(*)::int AS n FROM connections');
    expect(after).toEqual(before);
  });

  it('maps: bad ids, unknown connection, bad time zone, delete', async () => {
    await ctx.admin.get('/admin/connections/not-a-uuid').expect(400);
    await ctx.admin.get('/admin/connections/00000000-0000-4000-8000-000000000000').expect(404);
    const c = await ctx.newConnection();
    const tz = await ctx.admin.post(`/admin/connections/${c.id}/locations`).send({ locationId: 'x1', timezone: 'Mars/Olympus' }).expect(400);
    expect(tz.body.errors[0].field).toBe('timezone');
    await ctx.admin.post(`/admin/connections/${c.id}/locations`).send({ locationId: 'x1' }).expect(201);
    await ctx.admin.delete(`/admin/connections/${c.id}/locations/x1`).expect(204);
    await ctx.admin.delete(`/admin/connections/${c.id}/locations/x1`).expect(404);
    const other = await ctx.newConnection();
    await ctx.admin.post(`/admin/connections/${other.id}/locations`).send({ locationId: 'x1' }).expect(201);
  });

  it('patches name and status; a revoked or credential-less connection cannot be forced active', async () => {
    const c = await ctx.newConnection();
    const res = await ctx.admin.patch(`/admin/connections/${c.id}`).send({ name: 'Renamed', status: 'disabled' }).expect(200);
    expect(res.body).toMatchObject({ name: 'Renamed', status: 'disabled' });
    await ctx.admin.patch(`/admin/connections/${c.id}`).send({ status: 'revoked' }).expect(400);
    const s = await ctx.newConnection({ provider: 'stratech', externalId: 'org_pending' });
    expect(s.status).toBe('pending');
    await ctx.admin.patch(`/admin/connections/${s.id}`).send({ status: 'active' }).expect(409);
    // Revoked by the provider: no way back through the admin API, not even by way of `disabled`.
    await ctx.db.query(`UPDATE connections SET status = 'revoked', credentials = NULL WHERE id = $1`, [s.id]);
    for (const body of [{ status: 'active' }, { status: 'disabled' }, { credentials: { refreshToken: 'rt-new-token' } }]) {
      const r = await ctx.admin.patch(`/admin/connections/${s.id}`).send(body).expect(409);
      expect(r.body.detail).toMatch(/revoked/);
    }
    await ctx.admin.patch(`/admin/connections/${s.id}`).send({ name: 'Still renamable' }).expect(200);
    const [row] = await ctx.db.query(`SELECT status, credentials FROM connections WHERE id = $1`, [s.id]);
    expect(row).toEqual({ status: 'revoked', credentials: null });
  });

  it('pages connections with a cursor and rejects a forged cursor', async () => {
    const page1 = await ctx.admin.get('/admin/connections?limit=2').expect(200);
    expect(page1.body.items).toHaveLength(2);
    const page2 = await ctx.admin.get(`/admin/connections?limit=2&cursor=${page1.body.nextCursor}`).expect(200);
    expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);
    await ctx.admin.get('/admin/connections?cursor=bm9wZQ').expect(400);
    await ctx.admin.get('/admin/connections?limit=0').expect(400);
    await ctx.admin.get('/admin/connections?limit=501').expect(400);
  });

  it('guards /admin with the admin token: 401 without or wrong, 403 with the read token', async () => {
    await ctx.http().get('/admin/connections').expect(401);
    await ctx.http().get('/admin/connections').set('Authorization', 'Bearer wrong-token-123456789').expect(401);
    const res = await ctx.reader.get('/admin/connections').expect(403);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});
