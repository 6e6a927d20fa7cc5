import { randomBytes, randomUUID } from 'node:crypto';
import {
  adminClient, Client, client, CreatedKey, expectNoSecretsIn, expectProblem, expectProblemOneOf, expectStatus, ISO_Z, Json, KEY_FORMAT,
  login, markKeyCreation, newAccount, newKey, newUser, NON_ADMIN_SCOPES, Recorder, sessionSetCookie, setCookies, sha256Hex, uniq, UUID,
} from './support/accounts-fixtures';
import { ADMIN_TOKEN, READ_TOKEN, startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * CONTRACT.md section 8: accounts, account listings, users, scoped API keys, sessions, CSRF and login
 * throttling, through the admin API. Isolation between accounts is in account-isolation.e2e-spec.ts.
 */
describe('accounts, users, API keys and sessions (section 8)', () => {
  let ctx: TestContext;
  const rec = new Recorder();
  let admin: Client;
  const as = (token: string) => client(ctx, rec, { bearer: token });
  const count = async (table: string): Promise<number> => (await ctx.db.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;

  async function insertResource(id: string, locationId: string, connectionId: string): Promise<void> {
    await ctx.db.query(
      `INSERT INTO resources (id, location_id, connection_id, type, name, capacity, status, provider, external_id, attributes, source_hash, updated_at)
       VALUES ($1, $2, $3, 'meeting-room', $1, 4, 'active', 'syncaroo', $1, '{}', 'h', '2026-01-01T00:00:00Z')`,
      [id, locationId, connectionId],
    );
  }
  /** A Syncaroo connection of the account (admin), mapped to a new location. */
  async function connectionOf(accountId: string | null, locationId = uniq('loc')): Promise<{ connection: Json; locationId: string }> {
    const res = await admin.post('/admin/connections').send({ provider: 'syncaroo', externalId: String(100000 + Math.floor(Math.random() * 1e9)), ...(accountId ? { accountId } : {}) });
    expectStatus(res, 201);
    expectStatus(await admin.post(`/admin/connections/${res.body.id}/locations`).send({ locationId }), 201);
    return { connection: res.body, locationId };
  }

  beforeAll(async () => {
    // TEST_LOG_LEVEL=error shows the server's log when a case fails with a 5xx.
    ctx = await startTestApp(process.env.TEST_LOG_LEVEL ? { LOG_LEVEL: process.env.TEST_LOG_LEVEL } : {});
    admin = adminClient(ctx, rec);
  });
  afterAll(async () => { await ctx?.close(); });

  describe('accounts', () => {
    it('POST /admin/accounts → 201 {id, name, externalId, createdAt, updatedAt}; GET /admin/accounts/{id} answers the same', async () => {
      const externalId = uniq('crm');
      const res = await admin.post('/admin/accounts').send({ name: 'Acme coworking', externalId });
      expectStatus(res, 201);
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID), name: 'Acme coworking', externalId, createdAt: expect.stringMatching(ISO_Z), updatedAt: expect.stringMatching(ISO_Z),
      });
      const again = await admin.get(`/admin/accounts/${res.body.id}`);
      expectStatus(again, 200);
      expect(again.body).toEqual(res.body);

      const bare = await admin.post('/admin/accounts').send({ name: 'No external id' });
      expectStatus(bare, 201);
      expect(bare.body).toMatchObject({ name: 'No external id', externalId: null });
      const [row] = await ctx.db.query('SELECT name, external_id FROM accounts WHERE id = $1', [bare.body.id]);
      expect(row).toEqual({ name: 'No external id', external_id: null });
    });

    it('the same externalId twice → 409 problem+json, one row; two accounts without externalId are fine', async () => {
      const externalId = uniq('dup');
      await newAccount(ctx, rec, { externalId });
      const res = await admin.post('/admin/accounts').send({ name: 'Second', externalId });
      expectProblem(res, 409);
      expect((await ctx.db.query('SELECT count(*)::int AS n FROM accounts WHERE external_id = $1', [externalId]))[0].n).toBe(1);
      await newAccount(ctx, rec);
      await newAccount(ctx, rec);
    });

    it('GET /admin/accounts is a list {items, nextCursor} that pages with limit and cursor without gaps or duplicates', async () => {
      const made = [await newAccount(ctx, rec), await newAccount(ctx, rec), await newAccount(ctx, rec)];
      const seen: Json[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await admin.get(`/admin/accounts?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expectStatus(res, 200);
        expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items);
        cursor = res.body.nextCursor;
        pages += 1;
      } while (cursor && pages < 100);
      const ids = seen.map((a) => a.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(await count('accounts'));
      for (const a of made) expect(seen).toContainEqual(a);
      const whole = await admin.get('/admin/accounts?limit=500');
      expect(whole.body.nextCursor).toBeNull();
      expectProblem(await admin.get('/admin/accounts?limit=0'), 400, 'limit');
      expectProblem(await admin.get('/admin/accounts?limit=501'), 400, 'limit');
      expectProblem(await admin.get('/admin/accounts?cursor=bm9wZQ'), 400, 'cursor');
    });

    it('GET /admin/accounts/{id}: unknown → 404; not a uuid → 400 or 404; problem+json, never 500', async () => {
      const res = await admin.get(`/admin/accounts/${randomUUID()}`);
      expectProblem(res, 404);
      for (const id of ['not-a-uuid', '1', 'x'.repeat(300), '%27%3B--']) {
        expectProblemOneOf(await admin.get(`/admin/accounts/${id}`), [400, 404]);
      }
    });

    it('PATCH /admin/accounts/{id} {name} → 200 renamed; unknown → 404; bad name → 400 field name, unchanged', async () => {
      const a = await newAccount(ctx, rec, { externalId: uniq('crm') });
      const res = await admin.patch(`/admin/accounts/${a.id}`).send({ name: 'Renamed operator' });
      expectStatus(res, 200);
      expect(res.body).toEqual({ ...a, name: 'Renamed operator', updatedAt: expect.stringMatching(ISO_Z) });
      expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(a.updatedAt));
      expect((await admin.get(`/admin/accounts/${a.id}`)).body.name).toBe('Renamed operator');
      expectProblem(await admin.patch(`/admin/accounts/${randomUUID()}`).send({ name: 'x' }), 404);
      const wrong: string[] = [];
      for (const [body, field] of [[{ name: '' }, 'name'], [{ name: 'x'.repeat(201) }, 'name'], [{ name: 42 }, 'name'], [{ name: null }, 'name'], [{ name: 'ok', owner: 'me' }, 'owner']] as const) {
        const res = await admin.patch(`/admin/accounts/${a.id}`).send(body);
        const fields = Array.isArray(res.body?.errors) ? res.body.errors.map((e: { field: string }) => e.field) : [];
        if (res.status !== 400 || !fields.includes(field)) wrong.push(`${JSON.stringify(body)} → ${res.status} ${res.text}`);
      }
      expect(wrong).toEqual([]);
      expect((await ctx.db.query('SELECT name FROM accounts WHERE id = $1', [a.id]))[0].name).toBe('Renamed operator');
    });

    it('validates POST /admin/accounts precisely and writes nothing', async () => {
      const before = await count('accounts');
      const cases: Array<[unknown, string]> = [
        [{}, 'name'],
        [{ name: '' }, 'name'],
        [{ name: 'x'.repeat(201) }, 'name'],
        [{ name: 7 }, 'name'],
        [{ name: 'ok', externalId: '' }, 'externalId'],
        [{ name: 'ok', externalId: 'x'.repeat(201) }, 'externalId'],
        [{ name: 'ok', externalId: 12 }, 'externalId'],
        [{ name: 'ok', extra: true }, 'extra'],
      ];
      for (const [body, field] of cases) expectProblem(await admin.post('/admin/accounts').send(body as object), 400, field);
      const bad = await admin.post('/admin/accounts').set('Content-Type', 'application/json').send('{"name":');
      expectProblem(bad, 400);
      expect(await count('accounts')).toBe(before);
      // The bounds themselves are fine.
      const edge = await admin.post('/admin/accounts').send({ name: 'n'.repeat(200), externalId: uniq('e').padEnd(200, 'e') });
      expectStatus(edge, 201);
    });
  });

  describe('account locations', () => {
    it('PUT /admin/accounts/{id}/locations/{locationId} → 201 when new, 200 again; the listing is the account’s', async () => {
      const a = await newAccount(ctx, rec);
      const loc = uniq('listing');
      const created = await admin.put(`/admin/accounts/${a.id}/locations/${loc}`).send({ name: 'Amsterdam Zuid', timezone: 'Europe/Amsterdam' });
      expectStatus(created, 201);
      expect(created.body).toEqual({ accountId: a.id, locationId: loc, name: 'Amsterdam Zuid', timezone: 'Europe/Amsterdam' });
      const again = await admin.put(`/admin/accounts/${a.id}/locations/${loc}`).send({ name: 'Amsterdam South', timezone: 'Europe/Amsterdam' });
      expectStatus(again, 200);
      expect(again.body).toEqual({ accountId: a.id, locationId: loc, name: 'Amsterdam South', timezone: 'Europe/Amsterdam' });
      const [row] = await ctx.db.query('SELECT account_id, name, timezone FROM locations WHERE id = $1', [loc]);
      expect(row).toEqual({ account_id: a.id, name: 'Amsterdam South', timezone: 'Europe/Amsterdam' });

      const list = await admin.get(`/admin/accounts/${a.id}/locations`);
      expectStatus(list, 200);
      expect(list.body).toEqual({ items: [again.body], nextCursor: null });
      const bare = uniq('bare');
      const b = await admin.put(`/admin/accounts/${a.id}/locations/${bare}`).send({});
      expectStatus(b, 201);
      expect(b.body).toEqual({ accountId: a.id, locationId: bare, name: null, timezone: null });
      const two = await admin.get(`/admin/accounts/${a.id}/locations`);
      expect(two.body.items.map((l: Json) => l.locationId).sort()).toEqual([loc, bare].sort());
      // The listing is a location of the section 6 read API.
      const read = await as(READ_TOKEN).get(`/locations/${loc}`);
      expectStatus(read, 200);
      expect(read.body).toMatchObject({ id: loc, name: 'Amsterdam South', timezone: 'Europe/Amsterdam' });
    });

    it('an existing location of no account is given to the account', async () => {
      const a = await newAccount(ctx, rec);
      const loc = uniq('orphan');
      await ctx.db.query(`INSERT INTO locations (id, name) VALUES ($1, 'Orphan')`, [loc]);
      const res = await admin.put(`/admin/accounts/${a.id}/locations/${loc}`).send({ timezone: 'Europe/Warsaw' });
      if (![200, 201].includes(res.status)) throw new Error(`expected 200 or 201, got ${res.status} ${res.text}`);
      expect(res.body).toMatchObject({ accountId: a.id, locationId: loc, timezone: 'Europe/Warsaw' });
      expect((await ctx.db.query('SELECT account_id FROM locations WHERE id = $1', [loc]))[0].account_id).toBe(a.id);
    });

    it('a location of another account → 409 and it stays there; bad timezone → 400; unknown account → 404', async () => {
      const a = await newAccount(ctx, rec);
      const b = await newAccount(ctx, rec);
      const loc = uniq('owned');
      expectStatus(await admin.put(`/admin/accounts/${a.id}/locations/${loc}`).send({ name: 'A’s' }), 201);
      expectProblem(await admin.put(`/admin/accounts/${b.id}/locations/${loc}`).send({ name: 'B’s' }), 409);
      expect((await ctx.db.query('SELECT account_id, name FROM locations WHERE id = $1', [loc]))[0]).toEqual({ account_id: a.id, name: 'A’s' });
      expect((await admin.get(`/admin/accounts/${b.id}/locations`)).body.items).toEqual([]);

      const fresh = uniq('tz');
      for (const timezone of ['Mars/Olympus', 'UTC+25', '', 5]) {
        expectProblem(await admin.put(`/admin/accounts/${a.id}/locations/${fresh}`).send({ timezone }), 400, 'timezone');
      }
      expectProblem(await admin.put(`/admin/accounts/${a.id}/locations/${fresh}`).send({ name: 'x'.repeat(501) }), 400, 'name');
      expectProblem(await admin.put(`/admin/accounts/${a.id}/locations/${fresh}`).send({ color: 'red' }), 400, 'color');
      expectProblem(await admin.put(`/admin/accounts/${randomUUID()}/locations/${fresh}`).send({}), 404);
      expect(await ctx.db.query('SELECT id FROM locations WHERE id = $1', [fresh])).toEqual([]);
      expectProblem(await admin.get(`/admin/accounts/${randomUUID()}/locations`), 404);
    });

    it('DELETE → 204 and the listing is gone from the account; 409 while a connection maps it; another account’s → 404', async () => {
      const a = await newAccount(ctx, rec);
      const b = await newAccount(ctx, rec);
      const loc = uniq('del');
      expectStatus(await admin.put(`/admin/accounts/${a.id}/locations/${loc}`).send({}), 201);
      expectProblem(await admin.delete(`/admin/accounts/${b.id}/locations/${loc}`), 404);
      const gone = await admin.delete(`/admin/accounts/${a.id}/locations/${loc}`);
      expectStatus(gone, 204);
      expect(gone.text).toBeFalsy();
      expect((await admin.get(`/admin/accounts/${a.id}/locations`)).body.items).toEqual([]);
      const rows = await ctx.db.query('SELECT account_id FROM locations WHERE id = $1', [loc]);
      expect(rows.filter((r: Json) => r.account_id === a.id)).toEqual([]);
      expectProblem(await admin.delete(`/admin/accounts/${a.id}/locations/${loc}`), 404);

      const { connection, locationId } = await connectionOf(a.id);
      expect((await admin.get(`/admin/accounts/${a.id}/locations`)).body.items.map((l: Json) => l.locationId)).toEqual([locationId]);
      expectProblem(await admin.delete(`/admin/accounts/${a.id}/locations/${locationId}`), 409);
      expect((await ctx.db.query('SELECT account_id FROM locations WHERE id = $1', [locationId]))[0].account_id).toBe(a.id);
      // Once unmapped, it can be removed.
      expectStatus(await admin.delete(`/admin/connections/${connection.id}/locations/${locationId}`), 204);
      expectStatus(await admin.delete(`/admin/accounts/${a.id}/locations/${locationId}`), 204);
    });
  });

  describe('connections carry accountId', () => {
    it('POST with accountId sets it; every connection answer has accountId (null when none); PATCH {accountId} sets it', async () => {
      const a = await newAccount(ctx, rec);
      const withAccount = await admin.post('/admin/connections').send({ provider: 'stratech', externalId: uniq('org'), accountId: a.id });
      expectStatus(withAccount, 201);
      expect(withAccount.body.accountId).toBe(a.id);
      const without = await admin.post('/admin/connections').send({ provider: 'stratech', externalId: uniq('org') });
      expectStatus(without, 201);
      expect(without.body).toHaveProperty('accountId', null);
      expect((await admin.get(`/admin/connections/${withAccount.body.id}`)).body.accountId).toBe(a.id);
      expect((await admin.get(`/admin/connections/${without.body.id}`)).body.accountId).toBeNull();
      const list = await admin.get('/admin/connections?limit=500');
      expectStatus(list, 200);
      for (const c of list.body.items) expect(c).toHaveProperty('accountId');
      expect(list.body.items.find((c: Json) => c.id === withAccount.body.id).accountId).toBe(a.id);

      const patched = await admin.patch(`/admin/connections/${without.body.id}`).send({ accountId: a.id });
      expectStatus(patched, 200);
      expect(patched.body.accountId).toBe(a.id);
      expect((await ctx.db.query('SELECT account_id FROM connections WHERE id = $1', [without.body.id]))[0].account_id).toBe(a.id);
      const renamed = await admin.patch(`/admin/connections/${without.body.id}`).send({ name: 'Renamed' });
      expect(renamed.body.accountId).toBe(a.id);
    });

    it('an accountId of no account → refused (400 or 404), nothing written', async () => {
      const before = await count('connections');
      expectProblemOneOf(await admin.post('/admin/connections').send({ provider: 'stratech', externalId: uniq('org'), accountId: randomUUID() }), [400, 404]);
      expectProblem(await admin.post('/admin/connections').send({ provider: 'stratech', externalId: uniq('org'), accountId: 'acme' }), 400, 'accountId');
      expect(await count('connections')).toBe(before);
      const c = await ctx.newConnection({ provider: 'stratech', externalId: uniq('org') });
      expectProblemOneOf(await admin.patch(`/admin/connections/${c.id}`).send({ accountId: randomUUID() }), [400, 404]);
      expect((await ctx.db.query('SELECT account_id FROM connections WHERE id = $1', [c.id]))[0].account_id).toBeNull();
    });

    it('mapping to a connection of an account: a location of no account becomes the account’s; another account’s → 409', async () => {
      const a = await newAccount(ctx, rec);
      const b = await newAccount(ctx, rec);
      const { connection } = await connectionOf(a.id);
      const free = uniq('free');
      const mapped = await admin.post(`/admin/connections/${connection.id}/locations`).send({ locationId: free, name: 'Free desk' });
      expectStatus(mapped, 201);
      expect((await ctx.db.query('SELECT account_id FROM locations WHERE id = $1', [free]))[0].account_id).toBe(a.id);
      const listed = await admin.get(`/admin/accounts/${a.id}/locations`);
      expect(listed.body.items.map((l: Json) => l.locationId)).toContain(free);

      const existingFree = uniq('existing');
      await ctx.db.query(`INSERT INTO locations (id, name) VALUES ($1, 'Existing')`, [existingFree]);
      expectStatus(await admin.post(`/admin/connections/${connection.id}/locations`).send({ locationId: existingFree }), 201);
      expect((await ctx.db.query('SELECT account_id FROM locations WHERE id = $1', [existingFree]))[0].account_id).toBe(a.id);

      const bLoc = uniq('b-listing');
      expectStatus(await admin.put(`/admin/accounts/${b.id}/locations/${bLoc}`).send({}), 201);
      expectProblem(await admin.post(`/admin/connections/${connection.id}/locations`).send({ locationId: bLoc }), 409);
      expect(await ctx.db.query('SELECT connection_id FROM location_mappings WHERE location_id = $1', [bLoc])).toEqual([]);
      expect((await ctx.db.query('SELECT account_id FROM locations WHERE id = $1', [bLoc]))[0].account_id).toBe(b.id);
    });

    it('with an account key, a new connection belongs to the key’s account; another account’s id in the body → 404', async () => {
      const a = await newAccount(ctx, rec);
      const b = await newAccount(ctx, rec);
      const key = await newKey(ctx, rec, { scopes: ['connections:read', 'connections:write'], accountId: a.id });
      const res = await as(key.key).post('/admin/connections').send({ provider: 'stratech', externalId: uniq('org') });
      expectStatus(res, 201);
      expect(res.body.accountId).toBe(a.id);
      expect((await ctx.db.query('SELECT account_id FROM connections WHERE id = $1', [res.body.id]))[0].account_id).toBe(a.id);
      const own = await as(key.key).post('/admin/connections').send({ provider: 'stratech', externalId: uniq('org'), accountId: a.id });
      expectStatus(own, 201);
      expect(own.body.accountId).toBe(a.id);
      const before = await count('connections');
      expectProblem(await as(key.key).post('/admin/connections').send({ provider: 'stratech', externalId: uniq('org'), accountId: b.id }), 404);
      expect(await count('connections')).toBe(before);
      // Its own locations are mapped like an admin would.
      const loc = uniq('keyloc');
      expectStatus(await as(key.key).post(`/admin/connections/${res.body.id}/locations`).send({ locationId: loc, externalId: 'rst_1' }), 201);
      expect((await ctx.db.query('SELECT account_id FROM locations WHERE id = $1', [loc]))[0].account_id).toBe(a.id);
    });
  });

  describe('users', () => {
    it('POST /admin/accounts/{id}/users → 201 {id, accountId, email, createdAt}; only an argon2id hash is stored', async () => {
      const a = await newAccount(ctx, rec);
      const email = `${uniq('ada')}@example.test`;
      const password = 'correct horse battery staple';
      rec.passwords.add(password);
      const res = await admin.post(`/admin/accounts/${a.id}/users`).send({ email, password });
      expectStatus(res, 201);
      expect(res.body).toEqual({ id: expect.stringMatching(UUID), accountId: a.id, email, createdAt: expect.stringMatching(ISO_Z) });
      const [row] = await ctx.db.query('SELECT account_id, email, password_hash FROM account_users WHERE id = $1', [res.body.id]);
      expect(row.account_id).toBe(a.id);
      expect(row.email).toBe(email);
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      expect(row.password_hash).not.toContain(password);
      const all = JSON.stringify(await ctx.db.query('SELECT * FROM account_users'));
      expect(all).not.toContain(password);

      const list = await admin.get(`/admin/accounts/${a.id}/users`);
      expectStatus(list, 200);
      expect(list.body).toEqual({ items: [res.body], nextCursor: null });
      expectProblem(await admin.get(`/admin/accounts/${randomUUID()}/users`), 404);
    });

    it('e-mail is unique across all accounts, case-insensitively (409)', async () => {
      const a = await newAccount(ctx, rec);
      const b = await newAccount(ctx, rec);
      const local = uniq('grace');
      await newUser(ctx, rec, a.id, `${local}@example.test`);
      for (const [account, email] of [[a.id, `${local}@example.test`], [b.id, `${local}@example.test`], [b.id, `${local.toUpperCase()}@EXAMPLE.TEST`]]) {
        expectProblem(await admin.post(`/admin/accounts/${account}/users`).send({ email, password: 'another-good-password' }), 409);
      }
      expect((await ctx.db.query('SELECT count(*)::int AS n FROM account_users WHERE lower(email) = lower($1)', [`${local}@example.test`]))[0].n).toBe(1);
      expect((await admin.get(`/admin/accounts/${b.id}/users`)).body.items).toEqual([]);
    });

    it('validates: password ≥ 12 characters (field password), a real e-mail (field email), unknown account → 404; nothing written', async () => {
      const a = await newAccount(ctx, rec);
      const before = await count('account_users');
      const cases: Array<[unknown, string]> = [
        [{ email: `${uniq('u')}@example.test`, password: 'elevenchars' }, 'password'],
        [{ email: `${uniq('u')}@example.test` }, 'password'],
        [{ email: `${uniq('u')}@example.test`, password: 123456789012 }, 'password'],
        [{ email: 'not-an-email', password: 'long-enough-password' }, 'email'],
        [{ email: '@example.test', password: 'long-enough-password' }, 'email'],
        [{ email: 'a b@example.test', password: 'long-enough-password' }, 'email'],
        [{ password: 'long-enough-password' }, 'email'],
        [{ email: `${uniq('u')}@example.test`, password: 'long-enough-password', admin: true }, 'admin'],
      ];
      for (const [body, field] of cases) expectProblem(await admin.post(`/admin/accounts/${a.id}/users`).send(body as object), 400, field);
      expectProblem(await admin.post(`/admin/accounts/${randomUUID()}/users`).send({ email: `${uniq('u')}@example.test`, password: 'long-enough-password' }), 404);
      expect(await count('account_users')).toBe(before);
      // Exactly 12 characters is enough.
      await newUser(ctx, rec, a.id, `${uniq('twelve')}@example.test`, 'twelve-chars');
    });

    it('DELETE /admin/users/{id} → 204; the user’s sessions stop working and it can no longer log in; again → 404', async () => {
      const a = await newAccount(ctx, rec);
      const user = await newUser(ctx, rec, a.id);
      const session = await login(ctx, rec, { email: user.email, password: user.password });
      expectStatus(await client(ctx, rec, { cookie: session.cookie }).get('/auth/session'), 200);
      const res = await admin.delete(`/admin/users/${user.id}`);
      expectStatus(res, 204);
      expectProblem(await client(ctx, rec, { cookie: session.cookie }).get('/auth/session'), 401);
      expectProblem(await client(ctx, rec, { cookie: session.cookie }).get('/resources'), 401);
      expectProblem(await client(ctx, rec, null).post('/auth/login').send({ email: user.email, password: user.password }), 401);
      expect((await admin.get(`/admin/accounts/${a.id}/users`)).body.items).toEqual([]);
      expectProblem(await admin.delete(`/admin/users/${user.id}`), 404);
      expectProblem(await admin.delete(`/admin/users/${randomUUID()}`), 404);
    });
  });

  describe('API keys', () => {
    it('POST /admin/api-keys → 201 with the key once (isk_ + 40, prefix = first 12); only its SHA-256 is stored; GET never has key', async () => {
      const a = await newAccount(ctx, rec);
      const res = await admin.post('/admin/api-keys').send({ name: 'Reporting', scopes: ['inventory:read', 'events:read'], accountId: a.id });
      expectStatus(res, 201);
      markKeyCreation(rec, res.body.key);
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID), name: 'Reporting', accountId: a.id, scopes: ['inventory:read', 'events:read'], prefix: res.body.key.slice(0, 12),
        createdAt: expect.stringMatching(ISO_Z), expiresAt: null, lastUsedAt: null, key: expect.stringMatching(KEY_FORMAT),
      });
      expect(res.body.prefix).toMatch(/^isk_[A-Za-z0-9]{8}$/);
      const [row] = await ctx.db.query('SELECT key_hash, prefix FROM api_keys WHERE id = $1', [res.body.id]);
      expect(row).toEqual({ key_hash: sha256Hex(res.body.key), prefix: res.body.prefix });
      expect(JSON.stringify(await ctx.db.query('SELECT * FROM api_keys'))).not.toContain(res.body.key);

      const list = await admin.get('/admin/api-keys');
      expectStatus(list, 200);
      expect(Object.keys(list.body).sort()).toEqual(['items', 'nextCursor']);
      const { key: _key, ...withoutKey } = res.body;
      expect(list.body.items).toContainEqual(withoutKey);
      for (const k of list.body.items) expect(k).not.toHaveProperty('key');
      expect(list.text).not.toContain(res.body.key);

      const other = await newKey(ctx, rec, { scopes: ['inventory:read'] });
      expect(other.key).not.toBe(res.body.key);
      expect(other).toMatchObject({ accountId: null, scopes: ['inventory:read'], expiresAt: null, lastUsedAt: null });
    });

    it('a key works as a bearer token; lastUsedAt is set after one use', async () => {
      const key = await newKey(ctx, rec, { scopes: ['inventory:read'] });
      expectStatus(await as(key.key).get('/locations'), 200);
      const used = await waitFor(async () => {
        const list = await admin.get('/admin/api-keys?limit=500');
        const item = list.body.items.find((k: Json) => k.id === key.id);
        return item?.lastUsedAt ? item : null;
      }, 5000);
      expect(used.lastUsedAt).toMatch(ISO_Z);
      expect(Date.parse(used.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(key.createdAt) - 1000);
    });

    it('DELETE /admin/api-keys/{id} → 204, then that key gets 401; again or unknown → 404', async () => {
      const key = await newKey(ctx, rec, { scopes: ['inventory:read', 'connections:read'] });
      expectStatus(await as(key.key).get('/admin/connections'), 200);
      const res = await admin.delete(`/admin/api-keys/${key.id}`);
      expectStatus(res, 204);
      expectProblem(await as(key.key).get('/admin/connections'), 401);
      expectProblem(await as(key.key).get('/locations'), 401);
      expectProblem(await admin.delete(`/admin/api-keys/${key.id}`), 404);
      expectProblem(await admin.delete(`/admin/api-keys/${randomUUID()}`), 404);
      expectProblemOneOf(await admin.delete('/admin/api-keys/not-a-uuid'), [400, 404]);
    });

    it('a revoked key gets 401 in another process too (a second app on the same database)', async () => {
      const second = await startTestApp({}, { shareDatabaseWith: ctx });
      try {
        const key = await newKey(ctx, rec, { scopes: ['inventory:read'] });
        const there = () => client(second, rec, { bearer: key.key }).get('/locations');
        expectStatus(await there(), 200);
        expectStatus(await admin.delete(`/admin/api-keys/${key.id}`), 204);
        expectProblem(await as(key.key).get('/locations'), 401);
        // CONTRACT: "after which that key gets 401"; another process may have it cached for a few seconds.
        await waitFor(async () => (await there()).status === 401, 15000, 200);
        expectProblem(await there(), 401);
      } finally {
        await second.app.close();
      }
    });

    it('expiresAt given with an offset is answered in UTC with Z', async () => {
      const key = await newKey(ctx, rec, { scopes: ['inventory:read'], expiresAt: '2030-01-01T02:00:00+02:00' });
      expect(key.expiresAt).toMatch(ISO_Z);
      expect(Date.parse(key.expiresAt)).toBe(Date.parse('2030-01-01T00:00:00Z'));
    });

    it('an expired key gets 401; a key with a future expiresAt works and shows it', async () => {
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      const key = await newKey(ctx, rec, { scopes: ['inventory:read'], expiresAt });
      expect(key.expiresAt).toBe(expiresAt);
      expectStatus(await as(key.key).get('/locations'), 200);
      expect((await admin.get('/admin/api-keys?limit=500')).body.items.find((k: Json) => k.id === key.id).expiresAt).toBe(expiresAt);
      // Expired in the database before its first use (a key already verified may be cached for a few seconds, like a revocation in another process).
      const expiring = await newKey(ctx, rec, { scopes: ['inventory:read'], expiresAt });
      await ctx.db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [expiring.id]);
      expectProblem(await as(expiring.key).get('/locations'), 401);
      const neverExpiring = await newKey(ctx, rec, { scopes: ['inventory:read'] });
      await ctx.db.query(`UPDATE api_keys SET expires_at = now() - interval '1 day' WHERE id = $1`, [neverExpiring.id]);
      expectProblem(await as(neverExpiring.key).get('/resources'), 401);
    });

    it.each([
      ['no Authorization header', null],
      ['a garbage token', 'garbage'],
      ['a well-formed key that was never issued', `isk_${'A'.repeat(40)}`],
      ['a random well-formed key', `isk_${randomBytes(30).toString('base64').replace(/[^A-Za-z0-9]/g, '').padEnd(40, 'z').slice(0, 40)}`],
    ])('%s → 401 problem+json', async (_label, token) => {
      const c = token === null ? client(ctx, rec, null) : as(token);
      expectProblem(await c.get('/locations'), 401);
      expectProblem(await c.get('/admin/connections'), 401);
      expectProblem(await c.get('/admin/accounts'), 401);
    });

    it('a real key with something appended or cut off → 401', async () => {
      const key = await newKey(ctx, rec, { scopes: ['inventory:read'] });
      expectProblem(await as(`${key.key}x`).get('/locations'), 401);
      expectProblem(await as(key.key.slice(0, -1)).get('/locations'), 401);
      expectProblem(await as(key.prefix).get('/locations'), 401);
      expectProblem(await client(ctx, rec, null).get('/locations').set('Authorization', `Basic ${key.key}`), 401);
    });

    const routes: Array<[string, string, (c: Client) => Promise<import('supertest').Response>, number]> = [
      ['inventory:read', 'GET /locations', (c) => c.get('/locations'), 200],
      ['inventory:read', 'GET /resources', (c) => c.get('/resources'), 200],
      ['inventory:read', 'GET /los', (c) => c.get('/los'), 200],
      ['connections:read', 'GET /admin/connections', (c) => c.get('/admin/connections'), 200],
      ['connections:write', 'POST /admin/connections', (c) => c.post('/admin/connections').send({ provider: 'stratech', externalId: uniq('org') }), 201],
      ['events:read', 'GET /admin/events', (c) => c.get('/admin/events'), 200],
      ['events:write', 'POST /admin/events/{unknown}/replay', (c) => c.post(`/admin/events/${randomUUID()}/replay`), 404],
      ['admin', 'GET /admin/accounts', (c) => c.get('/admin/accounts'), 200],
      ['admin', 'GET /admin/api-keys', (c) => c.get('/admin/api-keys'), 200],
    ];
    it.each(routes.filter(([scope]) => scope !== 'admin'))('scope %s: %s works with an account key holding only it, 403 with an account key holding every other scope', async (scope, _route, call, ok) => {
      const a = await newAccount(ctx, rec);
      const only = await newKey(ctx, rec, { scopes: [scope], accountId: a.id });
      expectStatus(await call(as(only.key)), ok);
      const others = await newKey(ctx, rec, { scopes: NON_ADMIN_SCOPES.filter((s) => s !== scope), accountId: a.id });
      expectProblem(await call(as(others.key)), 403);
    });

    it.each(routes)('scope %s: %s works with a global key holding only it, 403 with a global key holding every other scope', async (scope, _route, call, ok) => {
      const only = await newKey(ctx, rec, { scopes: [scope] });
      expectStatus(await call(as(only.key)), ok);
      const others = await newKey(ctx, rec, { scopes: [...NON_ADMIN_SCOPES, 'admin'].filter((s) => s !== scope) });
      if (scope !== 'admin') {
        // `admin` covers everything, so "every other scope" leaves admin out too.
        const noAdmin = await newKey(ctx, rec, { scopes: NON_ADMIN_SCOPES.filter((s) => s !== scope) });
        expectProblem(await call(as(noAdmin.key)), 403);
        expectStatus(await call(as(others.key)), ok);
      } else {
        expectProblem(await call(as(others.key)), 403);
      }
    });

    it('connections:read alone cannot change connections: POST, PATCH, resync, mapping → 403 and nothing written', async () => {
      const key = await newKey(ctx, rec, { scopes: ['connections:read'] });
      const c = await ctx.newConnection({ provider: 'stratech', externalId: uniq('org'), name: 'Before' });
      const before = await count('connections');
      expectProblem(await as(key.key).post('/admin/connections').send({ provider: 'stratech', externalId: uniq('org') }), 403);
      expectProblem(await as(key.key).patch(`/admin/connections/${c.id}`).send({ name: 'After' }), 403);
      expectProblem(await as(key.key).post(`/admin/connections/${c.id}/resync`), 403);
      expectProblem(await as(key.key).post(`/admin/connections/${c.id}/locations`).send({ locationId: uniq('l') }), 403);
      expect(await count('connections')).toBe(before);
      expect((await ctx.db.query('SELECT name FROM connections WHERE id = $1', [c.id]))[0].name).toBe('Before');
      expect(await ctx.db.query('SELECT * FROM location_mappings WHERE connection_id = $1', [c.id])).toEqual([]);
    });

    it('READ_TOKEN is global inventory:read + changes:read: 200 on reads, 403 on /admin/connections, /admin/accounts and /admin/api-keys', async () => {
      const r = as(READ_TOKEN);
      expectStatus(await r.get('/locations'), 200);
      for (const res of [
        await r.get('/admin/connections'), await r.get('/admin/events'), await r.get('/admin/accounts'), await r.get('/admin/api-keys'),
        await r.post('/admin/api-keys').send({ name: 'x', scopes: ['inventory:read'] }), await r.post('/admin/accounts').send({ name: 'x' }),
      ]) expectProblem(res, 403);
    });

    it('the account-admin routes need admin: an account key with every other scope → 403, nothing written', async () => {
      const a = await newAccount(ctx, rec);
      const user = await newUser(ctx, rec, a.id);
      const key = await newKey(ctx, rec, { scopes: [...NON_ADMIN_SCOPES], accountId: a.id });
      const k = as(key.key);
      const counts = async () => Promise.all(['accounts', 'account_users', 'api_keys', 'locations'].map(count));
      const before = await counts();
      const calls: Array<[string, () => Promise<import('supertest').Response>]> = [
        ['POST /admin/accounts', () => k.post('/admin/accounts').send({ name: 'Mine' })],
        ['GET /admin/accounts', () => k.get('/admin/accounts')],
        ['GET /admin/accounts/{own}', () => k.get(`/admin/accounts/${a.id}`)],
        ['PATCH /admin/accounts/{own}', () => k.patch(`/admin/accounts/${a.id}`).send({ name: 'Hijack' })],
        ['PUT /admin/accounts/{own}/locations/{x}', () => k.put(`/admin/accounts/${a.id}/locations/${uniq('l')}`).send({})],
        ['GET /admin/accounts/{own}/locations', () => k.get(`/admin/accounts/${a.id}/locations`)],
        ['DELETE /admin/accounts/{own}/locations/{x}', () => k.delete(`/admin/accounts/${a.id}/locations/${uniq('l')}`)],
        ['POST /admin/accounts/{own}/users', () => k.post(`/admin/accounts/${a.id}/users`).send({ email: `${uniq('u')}@example.test`, password: 'long-enough-password' })],
        ['GET /admin/accounts/{own}/users', () => k.get(`/admin/accounts/${a.id}/users`)],
        ['DELETE /admin/users/{own user}', () => k.delete(`/admin/users/${user.id}`)],
        ['POST /admin/api-keys', () => k.post('/admin/api-keys').send({ name: 'more', scopes: ['inventory:read'], accountId: a.id })],
        ['GET /admin/api-keys', () => k.get('/admin/api-keys')],
        ['DELETE /admin/api-keys/{itself}', () => k.delete(`/admin/api-keys/${key.id}`)],
      ];
      const wrong: string[] = [];
      for (const [label, call] of calls) {
        const res = await call();
        if (res.status !== 403 || !/application\/problem\+json/.test(String(res.headers['content-type']))) wrong.push(`${label}: ${res.status} ${res.text}`);
      }
      expect(wrong).toEqual([]);
      expect(await counts()).toEqual(before);
      expectStatus(await k.get('/locations'), 200);
      expect((await ctx.db.query('SELECT name FROM accounts WHERE id = $1', [a.id]))[0].name).toBe(a.name);
    });

    it('validates POST /admin/api-keys (scopes, expiresAt, accountId, name) and writes nothing', async () => {
      const a = await newAccount(ctx, rec);
      const before = await count('api_keys');
      const cases: Array<[Json, string]> = [
        [{ name: 'k', scopes: ['admin'], accountId: a.id }, 'scopes'],
        [{ name: 'k', scopes: ['inventory:read', 'admin'], accountId: a.id }, 'scopes'],
        [{ name: 'k', scopes: ['inventory:write'] }, 'scopes'],
        [{ name: 'k', scopes: ['Inventory:Read'] }, 'scopes'],
        [{ name: 'k', scopes: [] }, 'scopes'],
        [{ name: 'k' }, 'scopes'],
        [{ name: 'k', scopes: 'inventory:read' }, 'scopes'],
        [{ name: 'k', scopes: [42] }, 'scopes'],
        [{ name: 'k', scopes: ['inventory:read'], expiresAt: 'tomorrow' }, 'expiresAt'],
        [{ name: 'k', scopes: ['inventory:read'], expiresAt: '2031-02-30T00:00:00Z' }, 'expiresAt'],
        [{ name: 'k', scopes: ['inventory:read'], expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
        [{ name: 'k', scopes: ['inventory:read'], expiresAt: 1893456000 }, 'expiresAt'],
        [{ name: 'k', scopes: ['inventory:read'], accountId: randomUUID() }, 'accountId'],
        [{ name: 'k', scopes: ['inventory:read'], accountId: 'acme' }, 'accountId'],
        [{ scopes: ['inventory:read'] }, 'name'],
        [{ name: '', scopes: ['inventory:read'] }, 'name'],
        [{ name: 'x'.repeat(201), scopes: ['inventory:read'] }, 'name'],
        [{ name: 'k', scopes: ['inventory:read'], key: `isk_${'a'.repeat(40)}` }, 'key'],
      ];
      const wrong: string[] = [];
      for (const [body, field] of cases) {
        const res = await admin.post('/admin/api-keys').send(body);
        const fields = Array.isArray(res.body?.errors) ? res.body.errors.map((e: { field: string }) => e.field) : [];
        if (res.status !== 400 || !/application\/problem\+json/.test(String(res.headers['content-type'])) || !fields.includes(field)) {
          wrong.push(`${JSON.stringify(body)} → ${res.status} ${res.text} (wanted 400 with field ${field})`);
        }
      }
      expect(wrong).toEqual([]);
      expect(await count('api_keys')).toBe(before);
      // A global key may hold admin and then acts as ADMIN_TOKEN does.
      const globalAdmin = await newKey(ctx, rec, { scopes: ['admin'] });
      expectStatus(await as(globalAdmin.key).get('/admin/accounts'), 200);
      expectStatus(await as(globalAdmin.key).get('/resources'), 200);
      expectStatus(await as(globalAdmin.key).get('/admin/events'), 200);
    });
  });

  describe('sessions', () => {
    let account: Json;
    let other: Json;
    let user: Json & { password: string };
    let own: { connection: Json; locationId: string };
    let foreign: { connection: Json; locationId: string };
    beforeAll(async () => {
      account = await newAccount(ctx, rec);
      other = await newAccount(ctx, rec);
      user = await newUser(ctx, rec, account.id);
      own = await connectionOf(account.id);
      foreign = await connectionOf(other.id);
      await insertResource(uniq('r-own'), own.locationId, own.connection.id);
      await insertResource(uniq('r-foreign'), foreign.locationId, foreign.connection.id);
    });

    it('POST /auth/login {email, password} → 200 {user: {id, email, accountId, admin: false}} and an HttpOnly, SameSite=Lax isid cookie', async () => {
      const res = await client(ctx, rec, null).post('/auth/login').send({ email: user.email, password: user.password });
      expectStatus(res, 200);
      expect(res.body).toEqual({ user: { id: user.id, email: user.email, accountId: account.id, admin: false } });
      const line = sessionSetCookie(res);
      expect(line).toBeDefined();
      const attrs = line!.split(';').map((s) => s.trim().toLowerCase());
      expect(attrs).toContain('httponly');
      expect(attrs).toContain('samesite=lax');
      expect(attrs).not.toContain('secure'); // PUBLIC_URL is http in tests
      expect(line!.split(';')[0].length).toBeGreaterThan('isid='.length + 16);
    });

    it('GET /auth/session → 200 {user, csrfToken} with the cookie; 401 without it or with a forged one', async () => {
      const s = await login(ctx, rec, { email: user.email, password: user.password });
      const res = await client(ctx, rec, { cookie: s.cookie }).get('/auth/session');
      expectStatus(res, 200);
      expect(res.body).toEqual({ user: { id: user.id, email: user.email, accountId: account.id, admin: false }, csrfToken: expect.any(String) });
      expect(res.body.csrfToken.length).toBeGreaterThan(0);
      expectProblem(await client(ctx, rec, null).get('/auth/session'), 401);
      expectProblem(await client(ctx, rec, { cookie: 'isid=forged-session-id-0000000000' }).get('/auth/session'), 401);
      expectProblem(await client(ctx, rec, { cookie: `isid=${s.cookie.slice(5, -2)}` }).get('/auth/session'), 401);
      // A bearer token is not a session.
      expectProblem(await as(ADMIN_TOKEN).get('/auth/session'), 401);
    });

    it('a wrong e-mail and a wrong password get the same 401 and no cookie', async () => {
      const anon = client(ctx, rec, null);
      const wrongPassword = await anon.post('/auth/login').send({ email: user.email, password: 'not-the-password-at-all' });
      const wrongEmail = await anon.post('/auth/login').send({ email: `${uniq('nobody')}@example.test`, password: user.password });
      expectProblem(wrongPassword, 401);
      expectProblem(wrongEmail, 401);
      expect(wrongEmail.body).toEqual(wrongPassword.body);
      expect(sessionSetCookie(wrongPassword)).toBeUndefined();
      expect(sessionSetCookie(wrongEmail)).toBeUndefined();
    });

    it('bad login bodies → 400/401 problem+json, never 500', async () => {
      const anon = client(ctx, rec, null);
      // Throwaway e-mails: these must not count against a real user's failures.
      expectProblemOneOf(await anon.post('/auth/login').send({}), [400, 401]);
      expectProblem(await anon.post('/auth/login').send({ email: 5, password: 'long-enough-password' }), 400, 'email');
      expectProblem(await anon.post('/auth/login').send({ email: `${uniq('b')}@example.test`, password: ['x'] }), 400, 'password');
      expectProblem(await anon.post('/auth/login').set('Content-Type', 'application/json').send('{"email":'), 400);
      expectProblemOneOf(await anon.post('/auth/login').send({ email: `${uniq('b')}@example.test` }), [400, 401]);
    });

    it('more than 5 failures for one e-mail within a minute: the 6th attempt, even right, → 429 with Retry-After; other e-mails unaffected', async () => {
      const victim = await newUser(ctx, rec, account.id);
      const anon = client(ctx, rec, null);
      for (let i = 0; i < 5; i++) expectProblem(await anon.post('/auth/login').send({ email: victim.email, password: `wrong-password-${i}` }), 401);
      const sixth = await anon.post('/auth/login').send({ email: victim.email, password: victim.password });
      expectProblem(sixth, 429);
      expect(sixth.headers['retry-after']).toMatch(/^\d+$/);
      expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(sixth.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(sessionSetCookie(sixth)).toBeUndefined();
      // The same e-mail in another case is the same e-mail.
      expectProblem(await anon.post('/auth/login').send({ email: victim.email.toUpperCase(), password: victim.password }), 429);
      // Someone else still signs in.
      await login(ctx, rec, { email: user.email, password: user.password });
      // An e-mail nobody has is throttled the same way (no difference that tells which e-mails exist).
      const ghost = `${uniq('ghost')}@example.test`;
      for (let i = 0; i < 5; i++) expectProblem(await anon.post('/auth/login').send({ email: ghost, password: `wrong-password-${i}` }), 401);
      expectProblem(await anon.post('/auth/login').send({ email: ghost, password: 'wrong-password-x' }), 429);
    });

    it('POST /auth/login {adminToken} opens an admin session {id: null, email: null, accountId: null, admin: true}; a wrong one → 401', async () => {
      const res = await client(ctx, rec, null).post('/auth/login').send({ adminToken: ADMIN_TOKEN });
      expectStatus(res, 200);
      expect(res.body).toEqual({ user: { id: null, email: null, accountId: null, admin: true } });
      const line = sessionSetCookie(res)!;
      expect(line.split(';').map((s) => s.trim().toLowerCase())).toEqual(expect.arrayContaining(['httponly', 'samesite=lax']));
      const wrong = await client(ctx, rec, null).post('/auth/login').send({ adminToken: `${ADMIN_TOKEN}-not` });
      expectProblem(wrong, 401);
      expect(setCookies(wrong).filter((c) => c.startsWith('isid='))).toEqual([]);
      expectProblem(await client(ctx, rec, null).post('/auth/login').send({ adminToken: READ_TOKEN }), 401);

      const s = await login(ctx, rec, { adminToken: ADMIN_TOKEN });
      expect((await client(ctx, rec, { cookie: s.cookie }).get('/auth/session')).body.user).toEqual({ id: null, email: null, accountId: null, admin: true });
      const list = await client(ctx, rec, { cookie: s.cookie }).get('/admin/accounts');
      expectStatus(list, 200);
      const before = await count('accounts');
      expectProblem(await client(ctx, rec, { cookie: s.cookie }).post('/admin/accounts').send({ name: 'No CSRF' }), 403);
      expect(await count('accounts')).toBe(before);
      const made = await client(ctx, rec, { cookie: s.cookie, csrf: s.csrf }).post('/admin/accounts').send({ name: 'With CSRF' });
      expectStatus(made, 201);
      // PUT is an unsafe method too.
      const loc = uniq('csrf-put');
      expectProblem(await client(ctx, rec, { cookie: s.cookie }).put(`/admin/accounts/${made.body.id}/locations/${loc}`).send({}), 403);
      expect(await ctx.db.query('SELECT id FROM locations WHERE id = $1', [loc])).toEqual([]);
      expectStatus(await client(ctx, rec, { cookie: s.cookie, csrf: s.csrf }).put(`/admin/accounts/${made.body.id}/locations/${loc}`).send({}), 201);
    });

    it('an account user’s session has every scope but admin, on its own account only', async () => {
      const s = await login(ctx, rec, { email: user.email, password: user.password });
      const c = client(ctx, rec, { cookie: s.cookie, csrf: s.csrf });
      const resources = await c.get('/resources');
      expectStatus(resources, 200);
      expect(resources.body.items.length).toBeGreaterThan(0);
      expect(resources.body.items.every((r: Json) => r.locationId === own.locationId)).toBe(true);
      const locations = await c.get('/locations');
      expect(locations.body.items.map((l: Json) => l.id)).toEqual([own.locationId]);
      const connections = await c.get('/admin/connections');
      expectStatus(connections, 200);
      expect(connections.body.items.map((x: Json) => x.id)).toEqual([own.connection.id]);
      expectProblem(await c.get(`/admin/connections/${foreign.connection.id}`), 404);
      expectStatus(await c.get('/admin/events'), 200);
      for (const res of [await c.get('/admin/accounts'), await c.get(`/admin/accounts/${account.id}`), await c.get('/admin/api-keys'),
        await c.post('/admin/api-keys').send({ name: 'x', scopes: ['inventory:read'], accountId: account.id }),
        await c.post('/admin/accounts').send({ name: 'x' })]) expectProblem(res, 403);
      const created = await c.post('/admin/connections').send({ provider: 'stratech', externalId: uniq('org') });
      expectStatus(created, 201);
      expect(created.body.accountId).toBe(account.id);
    });

    it('CSRF: cookie-authenticated POST, PATCH and DELETE without x-csrf-token, or with a wrong one, → 403 and nothing written', async () => {
      const s = await login(ctx, rec, { email: user.email, password: user.password });
      const noHeader = client(ctx, rec, { cookie: s.cookie });
      const wrongHeader = client(ctx, rec, { cookie: s.cookie, csrf: `${s.csrf}x` });
      const emptyHeader = client(ctx, rec, { cookie: s.cookie, csrf: '' });
      const right = client(ctx, rec, { cookie: s.cookie, csrf: s.csrf });
      const snapshot = async () => ({
        connections: await count('connections'),
        own: (await ctx.db.query('SELECT name, status FROM connections WHERE id = $1', [own.connection.id]))[0],
        mappings: await ctx.db.query('SELECT location_id FROM location_mappings WHERE connection_id = $1 ORDER BY location_id', [own.connection.id]),
      });
      const before = await snapshot();
      for (const c of [noHeader, wrongHeader, emptyHeader]) {
        expectProblem(await c.post('/admin/connections').send({ provider: 'stratech', externalId: uniq('org') }), 403);
        expectProblem(await c.patch(`/admin/connections/${own.connection.id}`).send({ name: 'CSRF victim' }), 403);
        expectProblem(await c.post(`/admin/connections/${own.connection.id}/locations`).send({ locationId: uniq('csrf') }), 403);
        expectProblem(await c.delete(`/admin/connections/${own.connection.id}/locations/${own.locationId}`), 403);
      }
      expect(await snapshot()).toEqual(before);
      // A GET needs no token.
      expectStatus(await noHeader.get('/admin/connections'), 200);
      // With the right header it works.
      expectStatus(await right.patch(`/admin/connections/${own.connection.id}`).send({ name: 'Renamed by session' }), 200);
      const extra = uniq('csrf-ok');
      expectStatus(await right.post(`/admin/connections/${own.connection.id}/locations`).send({ locationId: extra }), 201);
      expectStatus(await right.delete(`/admin/connections/${own.connection.id}/locations/${extra}`), 204);
      // The token of another session does not fit this one.
      const s2 = await login(ctx, rec, { email: user.email, password: user.password });
      expectProblem(await client(ctx, rec, { cookie: s.cookie, csrf: s2.csrf }).patch(`/admin/connections/${own.connection.id}`).send({ name: 'Cross' }), 403);
      expect((await ctx.db.query('SELECT name FROM connections WHERE id = $1', [own.connection.id]))[0].name).toBe('Renamed by session');
    });

    it('Bearer requests need no CSRF header', async () => {
      const key = await newKey(ctx, rec, { scopes: ['connections:read', 'connections:write'], accountId: account.id });
      expectStatus(await as(key.key).post('/admin/connections').send({ provider: 'stratech', externalId: uniq('org') }), 201);
      expectStatus(await as(ADMIN_TOKEN).post('/admin/accounts').send({ name: 'bearer, no csrf' }), 201);
    });

    it('POST /auth/logout needs the CSRF header; then → 204 and the cookie no longer works', async () => {
      const s = await login(ctx, rec, { email: user.email, password: user.password });
      expectProblem(await client(ctx, rec, { cookie: s.cookie }).post('/auth/logout'), 403);
      expectStatus(await client(ctx, rec, { cookie: s.cookie }).get('/auth/session'), 200);
      const out = await client(ctx, rec, { cookie: s.cookie, csrf: s.csrf }).post('/auth/logout');
      expectStatus(out, 204);
      expectProblem(await client(ctx, rec, { cookie: s.cookie }).get('/auth/session'), 401);
      expectProblem(await client(ctx, rec, { cookie: s.cookie }).get('/resources'), 401);
      expectProblem(await client(ctx, rec, { cookie: s.cookie, csrf: s.csrf }).post('/admin/connections').send({ provider: 'stratech', externalId: uniq('org') }), 401);
      expectProblem(await client(ctx, rec, null).post('/auth/logout'), 401);
    });
  });

  it('describes the section 8 routes in the OpenAPI document', async () => {
    const doc = await client(ctx, rec, null).get('/docs-json');
    expectStatus(doc, 200);
    const paths = doc.body.paths as Record<string, Record<string, unknown>>;
    const want: Array<[string, string[]]> = [
      ['/admin/accounts', ['get', 'post']],
      ['/admin/accounts/{id}', ['get', 'patch']],
      ['/admin/accounts/{id}/locations', ['get']],
      ['/admin/accounts/{id}/locations/{locationId}', ['put', 'delete']],
      ['/admin/accounts/{id}/users', ['get', 'post']],
      ['/admin/users/{id}', ['delete']],
      ['/admin/api-keys', ['get', 'post']],
      ['/admin/api-keys/{id}', ['delete']],
      ['/auth/login', ['post']],
      ['/auth/session', ['get']],
      ['/auth/logout', ['post']],
    ];
    const missing = want.flatMap(([path, methods]) => methods.filter((m) => !paths[path]?.[m]).map((m) => `${m.toUpperCase()} ${path}`));
    expect(missing).toEqual([]);
  });

  // Last, in its own block: it reads every answer recorded by the blocks above.
  describe('secrets', () => {
    it('no answer carried a password, a hash or a key (other than the answer that created it); the database holds no plaintext', async () => {
      await expectNoSecretsIn(ctx, rec);
      const stored = JSON.stringify([
        await ctx.db.query('SELECT * FROM api_keys'), await ctx.db.query('SELECT * FROM account_users'), await ctx.db.query('SELECT * FROM sessions'),
      ]);
      for (const k of rec.keys) expect(stored).not.toContain(k);
      for (const p of rec.passwords) expect(stored).not.toContain(p);
    });
  });
});
