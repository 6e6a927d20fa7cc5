import { randomUUID } from 'node:crypto';
import { WebhookReceiver } from './fakes/webhook-receiver.server';
import {
  adminClient, Client, client, expectProblem, expectStatus, ISO_Z, Json, login, newAccount, newKey, newUser, Recorder, uniq, UUID,
} from './support/accounts-fixtures';
import { READ_TOKEN, startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * CONTRACT.md section 10, subscriptions: the admin API (who may, validation, isolation, the secret shown once)
 * and delivery to a real receiver on 127.0.0.1 that checks Standard Webhooks signatures with its own code:
 * order, batches of ≤ 100, retries with the same webhook-id and body while later changes wait, failing after
 * the last retry or a 410 and resuming with the failed batch, pause, rotation, the start at the head, and the
 * target rules (https, no loopback/private hosts) at creation and again at delivery.
 *
 * Changes are inserted into the `changes` table directly (one INSERT = one transaction = feed order), as the
 * triggers of the inventory tables do; one case goes through a real inventory write.
 */
const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

describe('subscriptions (section 10)', () => {
  let ctx: TestContext;
  const rec = new Recorder();
  let admin: Client;
  const as = (token: string) => client(ctx, rec, { bearer: token });
  const receivers: WebhookReceiver[] = [];
  /** Deleted after each case, so no subscription of one case takes changes of the next. */
  let cleanup: string[] = [];
  /** Every secret handed out, with the one answer allowed to carry it. */
  const secrets: Array<{ secret: string; answer: string }> = [];

  async function receiver(): Promise<WebhookReceiver> {
    const r = await WebhookReceiver.start();
    receivers.push(r);
    return r;
  }

  /** An account and a key of it holding changes:read. */
  async function tenant(): Promise<{ account: Json; key: string; as: Client }> {
    const account = await newAccount(ctx, rec);
    const key = await newKey(ctx, rec, { scopes: ['changes:read'], accountId: account.id });
    return { account, key: key.key, as: as(key.key) };
  }

  /** POST /admin/subscriptions → 201; the receiver is given the secret. */
  async function subscribe(by: Client, body: Json, r?: WebhookReceiver): Promise<Json> {
    const res = await by.post('/admin/subscriptions').send({ url: r?.url ?? 'http://127.0.0.1:9/unused', ...body });
    expectStatus(res, 201);
    secrets.push({ secret: res.body.secret, answer: res.text });
    cleanup.push(res.body.id);
    if (r) r.secrets = [res.body.secret];
    return res.body;
  }

  /** `count` changes of the account in one transaction (feed order = the order given); their entity ids. */
  async function addChanges(accountId: string | null, count = 1, type = 'resource'): Promise<string[]> {
    const ids = Array.from({ length: count }, () => uniq('ent'));
    await ctx.db.query(
      `INSERT INTO changes (account_id, type, op, location_id, resource_id, entity_id, dedupe_key)
       SELECT $1::uuid, $2::text, 'upsert', 'loc-subscriptions', t.e, t.e, $2::text || '|' || t.e FROM unnest($3::text[]) WITH ORDINALITY AS t(e, n) ORDER BY t.n`,
      [accountId, type, ids],
    );
    return ids;
  }

  const deliveries = async (by: Client, id: string, query = ''): Promise<Json[]> => {
    const res = await by.get(`/admin/subscriptions/${id}/deliveries${query}`);
    expectStatus(res, 200);
    return res.body.items;
  };
  /** The delivery log once nothing is pending (a receiver records a request before the worker settles it). */
  const settledLog = (by: Client, id: string, query = ''): Promise<Json[]> =>
    waitFor(async () => {
      const log = await deliveries(by, id, query);
      return log.every((d) => d.status !== 'pending') && log;
    });
  const entityIds = (r: WebhookReceiver) => r.deliveredChanges.map((c) => c.entityId);

  beforeAll(async () => {
    ctx = await startTestApp({
      SUBSCRIPTIONS_ALLOW_HTTP: 'true', SUBSCRIPTIONS_ALLOW_PRIVATE: 'true', RETRY_SCHEDULE: '0.05,0.1,0.2',
      ...(process.env.TEST_LOG_LEVEL ? { LOG_LEVEL: process.env.TEST_LOG_LEVEL } : {}),
    });
    admin = adminClient(ctx, rec);
  });
  afterEach(async () => {
    for (const id of cleanup) await admin.delete(`/admin/subscriptions/${id}`);
    cleanup = [];
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await ctx?.close();
  });

  describe('admin API', () => {
    it('POST → 201 with the secret (whsec_ + base64 of ≥ 24 bytes) once; GET, list, PATCH and DELETE never show it', async () => {
      const r = await receiver();
      const created = await subscribe(admin, { description: 'search index' }, r);
      expect(created).toEqual({
        id: expect.stringMatching(UUID), url: r.url, types: null, accountId: null, status: 'active', description: 'search index', failingReason: null,
        createdAt: expect.stringMatching(ISO_Z), updatedAt: expect.stringMatching(ISO_Z), secret: expect.stringMatching(SECRET),
      });
      expect(Buffer.from(created.secret.slice('whsec_'.length), 'base64').length).toBeGreaterThanOrEqual(24);
      const { secret, ...view } = created;

      const one = await admin.get(`/admin/subscriptions/${created.id}`);
      expectStatus(one, 200);
      expect(one.body).toEqual(view);
      const list = await admin.get('/admin/subscriptions');
      expectStatus(list, 200);
      expect(list.body.items).toContainEqual(view);
      expect(list.body).toHaveProperty('nextCursor');

      const patched = await admin.patch(`/admin/subscriptions/${created.id}`).send({ types: ['resource', 'booking'], description: null });
      expectStatus(patched, 200);
      expect(patched.body).toMatchObject({ id: created.id, types: ['resource', 'booking'], description: null, status: 'active' });
      const paused = await admin.patch(`/admin/subscriptions/${created.id}`).send({ status: 'paused', types: null });
      expectStatus(paused, 200);
      expect(paused.body).toMatchObject({ status: 'paused', types: null });
      for (const res of [one, list, patched, paused]) expect(res.text).not.toContain(secret);
      // Stored sealed, not as written.
      const [row] = await ctx.db.query(`SELECT encode(secret, 'escape') AS s FROM subscriptions WHERE id = $1`, [created.id]);
      expect(row.s).not.toContain(secret.slice(6, 20));

      expectStatus(await admin.delete(`/admin/subscriptions/${created.id}`), 204);
      expectProblem(await admin.get(`/admin/subscriptions/${created.id}`), 404);
      expectProblem(await admin.delete(`/admin/subscriptions/${created.id}`), 404);
      expectProblem(await admin.patch(`/admin/subscriptions/${created.id}`).send({ status: 'active' }), 404);
    });

    it('lists oldest first in keyset pages and filters by status', async () => {
      const t = await tenant();
      const ids = [];
      for (let i = 0; i < 3; i += 1) ids.push((await subscribe(t.as, { description: `n${i}` })).id);
      const first = await t.as.get('/admin/subscriptions?limit=2');
      expectStatus(first, 200);
      expect(first.body.items.map((s: Json) => s.id)).toEqual(ids.slice(0, 2));
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await t.as.get(`/admin/subscriptions?limit=2&cursor=${first.body.nextCursor}`);
      expect(second.body).toEqual({ items: [expect.objectContaining({ id: ids[2] })], nextCursor: null });
      expectStatus(await t.as.patch(`/admin/subscriptions/${ids[1]}`).send({ status: 'paused' }), 200);
      expect((await t.as.get('/admin/subscriptions?status=paused')).body.items.map((s: Json) => s.id)).toEqual([ids[1]]);
      const forged = Buffer.from(JSON.stringify(['not-a-time', randomUUID()])).toString('base64url');
      expectProblem(await t.as.get(`/admin/subscriptions?cursor=${forged}`), 400, 'cursor');
      expectProblem(await t.as.get(`/admin/subscriptions/${ids[0]}/deliveries?cursor=${Buffer.from('["x"]').toString('base64url')}`), 400, 'cursor');
    });

    it('validates: url, types (the feed types), status, accountId, description, unknown members → 400 naming the field', async () => {
      const cases: Array<[Json, string]> = [
        [{}, 'url'],
        [{ url: 'not a url' }, 'url'],
        [{ url: 'ftp://hooks.example.com/x' }, 'url'],
        [{ url: 'http://user:secret@127.0.0.1:9/x' }, 'url'],
        [{ url: 42 }, 'url'],
        [{ url: 'http://127.0.0.1:9/x', types: ['resource', 'nope'] }, 'types'],
        [{ url: 'http://127.0.0.1:9/x', types: [] }, 'types'],
        [{ url: 'http://127.0.0.1:9/x', types: 'resource' }, 'types'],
        [{ url: 'http://127.0.0.1:9/x', types: ['los', 'los'] }, 'types'],
        [{ url: 'http://127.0.0.1:9/x', accountId: 'nope' }, 'accountId'],
        [{ url: 'http://127.0.0.1:9/x', accountId: randomUUID() }, 'accountId'],
        [{ url: 'http://127.0.0.1:9/x', description: 'x'.repeat(501) }, 'description'],
        [{ url: 'http://127.0.0.1:9/x', status: 'paused' }, 'status'],
        [{ url: 'http://127.0.0.1:9/x', secret: 'whsec_AAAA' }, 'secret'],
      ];
      const before = (await ctx.db.query('SELECT count(*)::int AS n FROM subscriptions'))[0].n;
      for (const [body, field] of cases) {
        const res = await admin.post('/admin/subscriptions').send(body);
        try {
          expectProblem(res, 400, field);
        } catch (e) {
          throw new Error(`${JSON.stringify(body)}: ${(e as Error).message}`);
        }
      }
      expect((await ctx.db.query('SELECT count(*)::int AS n FROM subscriptions'))[0].n).toBe(before);
      const s = await subscribe(admin, {});
      for (const [body, field] of [[{ status: 'failing' }, 'status'], [{ status: null }, 'status'], [{ url: 'ftp://x.example/' }, 'url'], [{ types: ['x'] }, 'types'], [{ accountId: randomUUID() }, 'accountId']] as Array<[Json, string]>) {
        expectProblem(await admin.patch(`/admin/subscriptions/${s.id}`).send(body), 400, field);
      }
      expectProblem(await admin.get('/admin/subscriptions/not-a-uuid'), 400, 'id');
      expect((await admin.get(`/admin/subscriptions/${s.id}`)).body).toMatchObject({ url: 'http://127.0.0.1:9/unused', status: 'active', types: null });
    });

    it('READ_TOKEN and global non-admin keys get 403 everywhere; an account key needs changes:read; no credential → 401', async () => {
      const s = await subscribe(admin, {});
      const globalReader = await newKey(ctx, rec, { scopes: ['changes:read', 'inventory:read'] });
      const t = await tenant();
      const noScope = await newKey(ctx, rec, { scopes: ['inventory:read', 'connections:write'], accountId: t.account.id });
      for (const token of [READ_TOKEN, globalReader.key, noScope.key]) {
        const c = as(token);
        for (const res of [
          await c.post('/admin/subscriptions').send({ url: 'http://127.0.0.1:9/x' }),
          await c.get('/admin/subscriptions'),
          await c.get(`/admin/subscriptions/${s.id}`),
          await c.patch(`/admin/subscriptions/${s.id}`).send({ status: 'paused' }),
          await c.delete(`/admin/subscriptions/${s.id}`),
          await c.post(`/admin/subscriptions/${s.id}/rotate-secret`),
          await c.get(`/admin/subscriptions/${s.id}/deliveries`),
        ]) expectProblem(res, 403);
      }
      // Refused before the body is read: an invalid body is still 403, not 400.
      expectProblem(await as(READ_TOKEN).post('/admin/subscriptions').send({ url: 42, bogus: true }), 403);
      expectProblem(await ctx.http().get('/admin/subscriptions'), 401);
      expectProblem(await ctx.http().post('/admin/subscriptions').send({ url: 'http://127.0.0.1:9/x' }), 401);
      expect((await admin.get(`/admin/subscriptions/${s.id}`)).body.status).toBe('active');
    });

    it("an account credential's subscriptions are its own account's: another accountId → 403, another account's subscription → 404", async () => {
      const a = await tenant();
      const b = await tenant();
      const mine = await subscribe(a.as, { description: 'A' });
      expect(mine.accountId).toBe(a.account.id);
      expect((await subscribe(a.as, { accountId: a.account.id })).accountId).toBe(a.account.id);
      expectProblem(await a.as.post('/admin/subscriptions').send({ url: 'http://127.0.0.1:9/x', accountId: b.account.id }), 403);
      expectProblem(await a.as.post('/admin/subscriptions').send({ url: 'http://127.0.0.1:9/x', accountId: randomUUID() }), 403);
      const theirs = await subscribe(b.as, {});
      const byAdmin = await subscribe(admin, { accountId: b.account.id });
      expect(byAdmin.accountId).toBe(b.account.id);

      for (const id of [theirs.id, byAdmin.id]) {
        expectProblem(await a.as.get(`/admin/subscriptions/${id}`), 404);
        expectProblem(await a.as.patch(`/admin/subscriptions/${id}`).send({ status: 'paused' }), 404);
        expectProblem(await a.as.delete(`/admin/subscriptions/${id}`), 404);
        expectProblem(await a.as.post(`/admin/subscriptions/${id}/rotate-secret`), 404);
        expectProblem(await a.as.get(`/admin/subscriptions/${id}/deliveries`), 404);
      }
      const listA = (await a.as.get('/admin/subscriptions')).body.items.map((s: Json) => s.accountId);
      expect(new Set(listA)).toEqual(new Set([a.account.id]));
      const all = (await admin.get('/admin/subscriptions?limit=500')).body.items.map((s: Json) => s.id);
      expect(all).toEqual(expect.arrayContaining([mine.id, theirs.id, byAdmin.id]));
      const [row] = await ctx.db.query('SELECT status FROM subscriptions WHERE id = $1', [theirs.id]);
      expect(row.status).toBe('active');
    });

    it("an account user's session manages its account's subscriptions, with the CSRF token for changes", async () => {
      const t = await tenant();
      const user = await newUser(ctx, rec, t.account.id);
      const session = await login(ctx, rec, { email: user.email, password: user.password });
      const withCsrf = client(ctx, rec, { cookie: session.cookie, csrf: session.csrf });
      const created = await subscribe(withCsrf, {});
      expect(created.accountId).toBe(t.account.id);
      expectProblem(await client(ctx, rec, { cookie: session.cookie }).post('/admin/subscriptions').send({ url: 'http://127.0.0.1:9/x' }), 403);
      expectStatus(await client(ctx, rec, { cookie: session.cookie }).get(`/admin/subscriptions/${created.id}`), 200);
      expectStatus(await t.as.get(`/admin/subscriptions/${created.id}`), 200);
    });
  });

  describe('delivery', () => {
    it("delivers the account's changes in order, signed per Standard Webhooks, and logs each delivery", async () => {
      const a = await tenant();
      const b = await tenant();
      const r = await receiver();
      const sub = await subscribe(a.as, {}, r);
      const other = await addChanges(b.account.id);
      const expected = [...(await addChanges(a.account.id)), ...(await addChanges(a.account.id)), ...(await addChanges(a.account.id))];
      await waitFor(async () => r.deliveredChanges.length >= 3);
      // B's change came first in the feed: had it leaked, it would be in this or an earlier request.
      expect(entityIds(r)).toEqual(expected);
      expect(entityIds(r)).not.toContain(other[0]);
      for (const req of r.received) {
        expect(req.verifiedBy).toEqual([0]);
        expect(req.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
        expect(req.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
        expect(req.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
        expect(req.headers['content-type']).toBe('application/json');
        expect(req.json).toEqual({ type: 'inventory.changes', subscriptionId: sub.id, cursor: expect.any(String), changes: expect.any(Array) });
        for (const c of req.json.changes) {
          expect(c).toEqual({ id: expect.any(String), type: 'resource', op: 'upsert', locationId: 'loc-subscriptions', resourceId: c.entityId,
            entityId: expect.any(String), changedAt: expect.stringMatching(ISO_Z), data: null });
        }
      }
      const log = await settledLog(a.as, sub.id);
      expect(log).toHaveLength(r.received.length);
      // Newest first: the newest delivery carries the last body's cursor.
      expect(log[0].cursor).toBe(r.received[r.received.length - 1].json.cursor);
      expect(log.map((d) => d.webhookId).reverse()).toEqual(r.received.map((q) => q.headers['webhook-id']));
      for (const d of log) {
        expect(d).toEqual({ id: expect.stringMatching(UUID), webhookId: expect.any(String), status: 'succeeded', attempts: 1, cursor: expect.any(String),
          changeCount: expect.any(Number), lastStatus: 200, lastError: null, nextAttemptAt: null, createdAt: expect.stringMatching(ISO_Z), deliveredAt: expect.stringMatching(ISO_Z) });
        expect(JSON.stringify(d)).not.toContain('changes');
      }
    });

    it('sends at most 100 changes a delivery, in order, and pages the delivery log newest first', async () => {
      const t = await tenant();
      const r = await receiver();
      const sub = await subscribe(t.as, {}, r);
      const expected = await addChanges(t.account.id, 150);
      await waitFor(async () => r.deliveredChanges.length >= 150);
      expect(entityIds(r)).toEqual(expected);
      expect(r.received.map((q) => q.json.changes.length)).toEqual([100, 50]);
      await settledLog(t.as, sub.id);
      const first = await t.as.get(`/admin/subscriptions/${sub.id}/deliveries?limit=1`);
      expectStatus(first, 200);
      expect(first.body.items).toEqual([expect.objectContaining({ changeCount: 50, cursor: r.received[1].json.cursor })]);
      const second = await t.as.get(`/admin/subscriptions/${sub.id}/deliveries?limit=1&cursor=${first.body.nextCursor}`);
      expect(second.body).toEqual({ items: [expect.objectContaining({ changeCount: 100, cursor: r.received[0].json.cursor })], nextCursor: null });
    });

    it('retries with the same webhook-id and body (fresh signature each time) while later changes wait behind', async () => {
      const t = await tenant();
      const r = await receiver();
      r.answer(500, { status: 503, retryAfter: '0' });
      const sub = await subscribe(t.as, {}, r);
      const [c1] = await addChanges(t.account.id);
      await waitFor(async () => r.received.length >= 1);
      const [c2] = await addChanges(t.account.id);
      await waitFor(async () => entityIds(r).includes(c2));

      expect(r.received.map((q) => q.answered)).toEqual([500, 503, 200, 200]);
      const [first, second, third, later] = r.received;
      for (const retry of [second, third]) {
        expect(retry.headers['webhook-id']).toBe(first.headers['webhook-id']);
        expect(retry.raw).toBe(first.raw);
      }
      expect(first.json.changes.map((c: Json) => c.entityId)).toEqual([c1]);
      expect(later.headers['webhook-id']).not.toBe(first.headers['webhook-id']);
      expect(later.json.changes.map((c: Json) => c.entityId)).toEqual([c2]);
      for (const q of r.received) expect(q.verifiedBy).toEqual([0]);
      expect(entityIds(r)).toEqual([c1, c2]);

      const log = await settledLog(t.as, sub.id);
      expect(log).toEqual([
        expect.objectContaining({ status: 'succeeded', attempts: 1, lastStatus: 200, lastError: null, webhookId: later.headers['webhook-id'] }),
        expect.objectContaining({ status: 'succeeded', attempts: 3, lastStatus: 200, lastError: null, webhookId: first.headers['webhook-id'], cursor: first.json.cursor }),
      ]);
    });

    it('after the last retry the subscription is failing and sends nothing; PATCH active resumes with the failed batch, nothing skipped', async () => {
      const t = await tenant();
      const r = await receiver();
      r.fallback = { status: 500 };
      const sub = await subscribe(t.as, {}, r);
      const [c1] = await addChanges(t.account.id);
      await waitFor(async () => (await t.as.get(`/admin/subscriptions/${sub.id}`)).body.status === 'failing');
      const [c2] = await addChanges(t.account.id);

      const failing = (await t.as.get(`/admin/subscriptions/${sub.id}`)).body;
      expect(failing.failingReason).toMatch(/failed 4 times.*answered 500/);
      const [failed] = await deliveries(t.as, sub.id);
      // One attempt and the schedule's three retries.
      expect(failed).toMatchObject({ status: 'failed', attempts: 4, lastStatus: 500, lastError: expect.stringMatching(/answered 500/), deliveredAt: null, nextAttemptAt: null });
      expect(r.received).toHaveLength(4);
      expect(new Set(r.received.map((q) => q.raw)).size).toBe(1);

      r.fallback = { status: 200 };
      const resumed = await t.as.patch(`/admin/subscriptions/${sub.id}`).send({ status: 'active' });
      expectStatus(resumed, 200);
      expect(resumed.body).toMatchObject({ status: 'active', failingReason: null });
      await waitFor(async () => entityIds(r).includes(c2));
      // Nothing was sent while failing: the first four requests are the failed batch's.
      expect(r.received.slice(0, 4).every((q) => q.raw === r.received[0].raw)).toBe(true);
      expect(entityIds(r)).toEqual([c1, c2]);
      expect(r.received[4].headers['webhook-id']).not.toBe(r.received[0].headers['webhook-id']);
      const log = await settledLog(t.as, sub.id);
      expect(log.map((d) => d.status)).toEqual([...log.slice(0, -1).map(() => 'succeeded'), 'failed']);
    });

    it('a 410 makes the subscription failing at once; PATCH active sends that batch again', async () => {
      const t = await tenant();
      const r = await receiver();
      r.answer(410);
      const sub = await subscribe(t.as, {}, r);
      const [c1] = await addChanges(t.account.id);
      await waitFor(async () => (await t.as.get(`/admin/subscriptions/${sub.id}`)).body.status === 'failing');
      expect((await t.as.get(`/admin/subscriptions/${sub.id}`)).body.failingReason).toMatch(/410/);
      expect(await deliveries(t.as, sub.id)).toEqual([expect.objectContaining({ status: 'failed', attempts: 1, lastStatus: 410 })]);
      expect(r.received).toHaveLength(1);
      expectStatus(await t.as.patch(`/admin/subscriptions/${sub.id}`).send({ status: 'active' }), 200);
      await waitFor(async () => r.deliveredChanges.length >= 1);
      expect(entityIds(r)).toEqual([c1]);
      // A new delivery (its own webhook-id) of the same batch.
      expect(r.received[1].headers['webhook-id']).not.toBe(r.received[0].headers['webhook-id']);
      expect(r.received[1].json.changes).toEqual(r.received[0].json.changes);
      expect((await settledLog(t.as, sub.id)).map((d) => d.status)).toEqual(['succeeded', 'failed']);
    });

    it('a paused subscription sends nothing and keeps its place; resumed, it delivers what came meanwhile', async () => {
      const t = await tenant();
      const sentinel = await receiver();
      const r = await receiver();
      await subscribe(t.as, {}, sentinel);
      const sub = await subscribe(t.as, {}, r);
      expectStatus(await t.as.patch(`/admin/subscriptions/${sub.id}`).send({ status: 'paused' }), 200);
      const [c1] = await addChanges(t.account.id);
      await waitFor(async () => entityIds(sentinel).includes(c1));
      expect(r.received).toHaveLength(0);
      expect(await deliveries(t.as, sub.id)).toEqual([]);
      expectStatus(await t.as.patch(`/admin/subscriptions/${sub.id}`).send({ status: 'active' }), 200);
      await waitFor(async () => r.deliveredChanges.length >= 1);
      expect(entityIds(r)).toEqual([c1]);
    });

    it('delivers only the subscribed types', async () => {
      const t = await tenant();
      const r = await receiver();
      await subscribe(t.as, { types: ['booking', 'los'] }, r);
      await addChanges(t.account.id, 2, 'resource');
      const [booking] = await addChanges(t.account.id, 1, 'booking');
      await addChanges(t.account.id, 1, 'availability');
      const [los] = await addChanges(t.account.id, 1, 'los');
      await waitFor(async () => entityIds(r).includes(los));
      expect(entityIds(r)).toEqual([booking, los]);
      expect(r.deliveredChanges.map((c) => c.type)).toEqual(['booking', 'los']);
    });

    it('after rotate-secret both secrets sign (two signatures) until the previous one expires', async () => {
      const t = await tenant();
      const r = await receiver();
      const sub = await subscribe(t.as, {}, r);
      const old = sub.secret;
      const rotated = await t.as.post(`/admin/subscriptions/${sub.id}/rotate-secret`);
      expectStatus(rotated, 200);
      expect(rotated.body).toEqual({ secret: expect.stringMatching(SECRET) });
      secrets.push({ secret: rotated.body.secret, answer: rotated.text });
      expect(rotated.body.secret).not.toBe(old);
      r.secrets = [old, rotated.body.secret];

      const [c1] = await addChanges(t.account.id);
      await waitFor(async () => entityIds(r).includes(c1));
      const during = r.received[r.received.length - 1];
      expect(during.headers['webhook-signature']!.toString().split(' ')).toHaveLength(2);
      expect(during.verifiedBy).toEqual([0, 1]);

      await ctx.db.query(`UPDATE subscriptions SET previous_expires_at = now() - interval '1 second' WHERE id = $1`, [sub.id]);
      const [c2] = await addChanges(t.account.id);
      await waitFor(async () => entityIds(r).includes(c2));
      const after = r.received[r.received.length - 1];
      expect(after.headers['webhook-signature']!.toString().split(' ')).toHaveLength(1);
      expect(after.verifiedBy).toEqual([1]);
    });

    it('a new subscription starts at the head: changes from before its creation are not sent', async () => {
      const t = await tenant();
      const [before] = await addChanges(t.account.id);
      const r = await receiver();
      await subscribe(t.as, {}, r);
      const [after] = await addChanges(t.account.id);
      await waitFor(async () => entityIds(r).includes(after));
      // `before` precedes `after` in the feed, so had it been due it would have come first.
      expect(entityIds(r)).toEqual([after]);
      expect(entityIds(r)).not.toContain(before);
    });

    it('a real inventory write (an account listing) reaches the receiver through the feed', async () => {
      const t = await tenant();
      const r = await receiver();
      await subscribe(t.as, { types: ['location'] }, r);
      const locationId = uniq('sub-loc');
      expectStatus(await admin.put(`/admin/accounts/${t.account.id}/locations/${locationId}`).send({ name: 'Utrecht', timezone: 'Europe/Amsterdam' }), 201);
      await waitFor(async () => r.deliveredChanges.some((c) => c.locationId === locationId));
      expect(r.deliveredChanges).toEqual([expect.objectContaining({ type: 'location', op: 'upsert', locationId, entityId: locationId, resourceId: null })]);
      expect(r.received[0].verifiedBy).toEqual([0]);
    });

    it('two processes share the work: every batch is sent once, each subscription in order', async () => {
      const second = await startTestApp({ SUBSCRIPTIONS_ALLOW_HTTP: 'true', SUBSCRIPTIONS_ALLOW_PRIVATE: 'true' }, { shareDatabaseWith: ctx });
      try {
        const t = await tenant();
        const rs = await Promise.all(Array.from({ length: 4 }, () => receiver()));
        for (const x of rs) await subscribe(t.as, {}, x);
        const expected: string[] = [];
        for (let i = 0; i < 12; i += 1) expected.push(...(await addChanges(t.account.id, 1 + (i % 3))));
        await waitFor(async () => rs.every((x) => x.deliveredChanges.length >= expected.length));
        for (const x of rs) {
          expect(entityIds(x)).toEqual(expected);
          const ids = x.received.map((q) => q.headers['webhook-id']);
          expect(new Set(ids).size).toBe(ids.length);
          expect(x.received.every((q) => q.verifiedBy.length === 1)).toBe(true);
        }
      } finally {
        await second.close();
      }
    });

    it('no answer carried a subscription secret except the one that created or rotated it', () => {
      expect(secrets.length).toBeGreaterThan(5);
      const offenders = rec.answers.flatMap((a) => secrets.filter((s) => a.text.includes(s.secret) && !a.text.includes(s.answer)).map(() => `${a.method} ${a.path}`));
      expect(offenders).toEqual([]);
    });
  });
});

describe('subscription targets: https and public hosts only (section 10)', () => {
  /** No worker; http and private targets allowed (creates what the stricter processes then judge). */
  let lenient: TestContext;
  /** The defaults: https only, no private hosts; no worker. */
  let strict: TestContext;
  /** The only worker: http allowed, private hosts not. */
  let deliverer: TestContext;
  let r: WebhookReceiver;
  const rec = new Recorder();

  beforeAll(async () => {
    r = await WebhookReceiver.start();
    lenient = await startTestApp({ WORKER: 'off', SUBSCRIPTIONS_ALLOW_HTTP: 'true', SUBSCRIPTIONS_ALLOW_PRIVATE: 'true' });
    strict = await startTestApp({ WORKER: 'off' }, { shareDatabaseWith: lenient });
    deliverer = await startTestApp({ SUBSCRIPTIONS_ALLOW_HTTP: 'true', SUBSCRIPTIONS_ALLOW_PRIVATE: 'false', RETRY_SCHEDULE: '0.05,0.1,0.2' }, { shareDatabaseWith: lenient });
  });
  afterAll(async () => {
    await r?.close();
    await deliverer?.close();
    await strict?.close();
    await lenient?.close();
  });

  it('refuses at creation and PATCH: http, a literal loopback/private/link-local address, a host resolving to loopback (400 naming url)', async () => {
    const admin = adminClient(strict, rec);
    const cases: Array<[string, RegExp]> = [
      ['http://hooks.example.com/inventory', /https/],
      ['https://127.0.0.1/inventory', /127\.0\.0\.1 is a loopback address/],
      ['https://10.1.2.3/inventory', /private/],
      ['https://172.20.0.1/inventory', /private/],
      ['https://192.168.10.10:8443/inventory', /private/],
      ['https://100.64.1.1/inventory', /carrier-grade/],
      ['https://169.254.169.254/latest/meta-data', /link-local/],
      ['https://0.0.0.0/', /unspecified/],
      ['https://[::1]/inventory', /loopback/],
      ['https://[fd00::1]/inventory', /unique local/],
      ['https://[fe80::1]/inventory', /link-local/],
      ['https://[::ffff:127.0.0.1]/inventory', /IPv4-mapped/],
      ['https://2130706433/inventory', /127\.0\.0\.1 is a loopback/],
      ['https://localhost/inventory', /localhost resolves to 127\.0\.0\.1, a loopback address/],
    ];
    for (const [url, why] of cases) {
      const res = await admin.post('/admin/subscriptions').send({ url });
      expectProblem(res, 400, 'url');
      expect({ url, detail: res.body.detail }).toEqual({ url, detail: expect.stringMatching(why) });
    }
    // A public literal address needs no DNS: accepted; a PATCH to a private one is refused and changes nothing.
    const ok = await admin.post('/admin/subscriptions').send({ url: 'https://93.184.216.34/inventory' });
    expectStatus(ok, 201);
    expectProblem(await admin.patch(`/admin/subscriptions/${ok.body.id}`).send({ url: 'https://10.0.0.1/x' }), 400, 'url');
    expectProblem(await admin.patch(`/admin/subscriptions/${ok.body.id}`).send({ url: 'http://93.184.216.34/x' }), 400, 'url');
    expect((await admin.get(`/admin/subscriptions/${ok.body.id}`)).body.url).toBe('https://93.184.216.34/inventory');
    expectStatus(await admin.delete(`/admin/subscriptions/${ok.body.id}`), 204);
  });

  it('checks again at each delivery: a target that is (or resolves to) loopback gets no request, and the attempt records why', async () => {
    const admin = adminClient(lenient, rec);
    const account = await newAccount(lenient, rec);
    const port = new URL(r.url).port;
    const literal = await admin.post('/admin/subscriptions').send({ url: r.url, accountId: account.id });
    const named = await admin.post('/admin/subscriptions').send({ url: `http://localhost:${port}/hooks/inventory`, accountId: account.id });
    expectStatus(literal, 201);
    expectStatus(named, 201);
    await lenient.db.query(
      `INSERT INTO changes (account_id, type, op, location_id, resource_id, entity_id, dedupe_key) VALUES ($1, 'resource', 'upsert', 'l', 'r', 'r', 'resource|r')`,
      [account.id],
    );
    const logOf = async (id: string) => (await admin.get(`/admin/subscriptions/${id}/deliveries`)).body.items as Json[];
    await waitFor(async () => (await logOf(literal.body.id))[0]?.lastError && (await logOf(named.body.id))[0]?.lastError);
    expect((await logOf(literal.body.id))[0]).toMatchObject({ lastStatus: null, lastError: expect.stringMatching(/^refused: 127\.0\.0\.1 is a loopback address.*SUBSCRIPTIONS_ALLOW_PRIVATE/) });
    expect((await logOf(named.body.id))[0]).toMatchObject({ lastStatus: null, lastError: expect.stringMatching(/^refused: localhost resolves to 127\.0\.0\.1, a loopback address/) });
    // Refused every time, so in the end failing, and the receiver never saw a request.
    await waitFor(async () => (await admin.get(`/admin/subscriptions/${literal.body.id}`)).body.status === 'failing');
    expect(r.received).toHaveLength(0);
  });
});

describe('subscriptions and feed retention (section 10)', () => {
  let ctx: TestContext;
  let r: WebhookReceiver;
  const rec = new Recorder();

  beforeAll(async () => {
    r = await WebhookReceiver.start();
    ctx = await startTestApp({ SUBSCRIPTIONS_ALLOW_HTTP: 'true', SUBSCRIPTIONS_ALLOW_PRIVATE: 'true' });
  });
  afterAll(async () => {
    await ctx?.close();
    await r?.close();
  });

  it('a position older than the feed keeps makes it failing (cursor-expired); PATCH active continues from the oldest retained change', async () => {
    const admin = adminClient(ctx, rec);
    const account = await newAccount(ctx, rec);
    const created = await admin.post('/admin/subscriptions').send({ url: r.url, accountId: account.id });
    expectStatus(created, 201);
    r.secrets = [created.body.secret];
    const id = created.body.id;
    expectStatus(await admin.patch(`/admin/subscriptions/${id}`).send({ status: 'paused' }), 200);
    const insert = async (entity: string) => (await ctx.db.query(
      `INSERT INTO changes (account_id, type, op, location_id, resource_id, entity_id, dedupe_key) VALUES ($1, 'resource', 'upsert', 'l', $2::text, $2::text, $2::text)
       RETURNING xid::text AS xid, seq::text AS seq`, [account.id, entity]))[0] as { xid: string; seq: string };
    // Retention prunes `lost` while the subscription is paused behind it.
    const lost = await insert('lost');
    await ctx.db.query(`DELETE FROM changes WHERE xid = $1 AND seq = $2`, [lost.xid, lost.seq]);
    await ctx.db.query(
      `INSERT INTO changes_horizon (id, pruned_xid, pruned_seq) VALUES (1, $1::bigint, $2::bigint) ON CONFLICT (id) DO UPDATE SET pruned_xid = EXCLUDED.pruned_xid, pruned_seq = EXCLUDED.pruned_seq`, [lost.xid, lost.seq]);
    await insert('kept');

    expectStatus(await admin.patch(`/admin/subscriptions/${id}`).send({ status: 'active' }), 200);
    await waitFor(async () => (await admin.get(`/admin/subscriptions/${id}`)).body.status === 'failing');
    expect((await admin.get(`/admin/subscriptions/${id}`)).body.failingReason).toMatch(/^cursor-expired: .*CHANGES_RETENTION_DAYS/);
    expect(r.received).toHaveLength(0);

    expectStatus(await admin.patch(`/admin/subscriptions/${id}`).send({ status: 'active' }), 200);
    await waitFor(async () => r.deliveredChanges.length >= 1);
    expect(r.deliveredChanges.map((c) => c.entityId)).toEqual(['kept']);
  });
});
