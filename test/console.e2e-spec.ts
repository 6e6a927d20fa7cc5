import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import request from 'supertest';
import { IntakeService } from '../src/ingestion/intake.service';
import { WebhookReceiver } from './fakes/webhook-receiver.server';
import { ADMIN_TOKEN, startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';
import { insertLosCellsSql } from './support/los-cells';

/**
 * The web console (CONTRACT 11): HTTP-level checks with supertest, then a real Chromium driven step by step
 * through test/support/console-browser.child.mjs. CONSOLE_SCREENSHOTS=1 saves docs/console-subscriptions.png (the other screenshots come from
 * the demo: `node test/support/console-browser.child.mjs --demo-screenshots`).
 */
const SHOTS = process.env.CONSOLE_SCREENSHOTS === '1';
const shot = (name: string) => join(__dirname, '..', 'docs', `console-${name}.png`);
const SECRET_IN_PAYLOAD = 'tok-console-secret-98765';

/** The browser child: one JSON command per line, one answer per line. */
class Browser {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number, (v: { ok: boolean; value?: any; error?: string }) => void>();
  private next = 0;
  readonly stderr: string[] = [];

  constructor() {
    this.child = spawn(process.execPath, [join(__dirname, 'support', 'console-browser.child.mjs')], { stdio: 'pipe' });
    this.child.stderr.on('data', (d) => this.stderr.push(String(d)));
    this.child.on('exit', (code) => {
      for (const resolve of this.waiting.values()) resolve({ ok: false, error: `browser child exited (${code}): ${this.stderr.join('')}` });
      this.waiting.clear();
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let msg: { id: number; ok: boolean; value?: unknown; error?: string };
      try { msg = JSON.parse(line); } catch { return; }
      this.waiting.get(msg.id)?.(msg);
      this.waiting.delete(msg.id);
    });
  }

  async call<T = any>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.next;
    if (this.child.exitCode !== null) throw new Error(`browser child exited: ${this.stderr.join('')}`);
    const answer = await new Promise<{ ok: boolean; value?: any; error?: string }>((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
    if (!answer.ok) throw new Error(`browser ${op} ${JSON.stringify(args)}: ${answer.error}`);
    return answer.value as T;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin.write(`${JSON.stringify({ id: ++this.next, op: 'close' })}\n`);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

describe('console (CONTRACT 11)', () => {
  let ctx: TestContext;
  let accountA: string;
  let accountB: string;
  let bConnection: string;
  let receiver: WebhookReceiver;
  const bLocation = 'console-beta-loc';

  beforeAll(async () => {
    // Subscriptions deliver to a loopback receiver over plain http.
    ctx = await startTestApp({ SUBSCRIPTIONS_ALLOW_HTTP: 'true', SUBSCRIPTIONS_ALLOW_PRIVATE: 'true' });
    receiver = await WebhookReceiver.start();
    accountA = (await ctx.admin.post('/admin/accounts').send({ name: 'Acme coworking' }).expect(201)).body.id;
    accountB = (await ctx.admin.post('/admin/accounts').send({ name: 'Beta desks' }).expect(201)).body.id;
    await ctx.admin.post(`/admin/accounts/${accountA}/users`).send({ email: 'ops@acme.test', password: 'acme password 123' }).expect(201);
    await ctx.admin.post(`/admin/accounts/${accountB}/users`).send({ email: 'ops@beta.test', password: 'beta password 123' }).expect(201);
    bConnection = (await ctx.admin.post('/admin/connections').send({ provider: 'stratech', externalId: 'org_beta_console', name: 'Beta park', accountId: accountB }).expect(201)).body.id;
    await ctx.admin.post(`/admin/connections/${bConnection}/locations`).send({ locationId: bLocation, externalId: 'rst_beta', name: 'Beta park' }).expect(201);
  });
  afterAll(async () => {
    await receiver?.close();
    await ctx.close();
  });

  /** An admin session through POST /auth/login: its cookie and CSRF token. */
  async function adminSession(): Promise<{ cookie: string; csrf: string }> {
    const login = await ctx.http().post('/auth/login').send({ adminToken: ADMIN_TOKEN }).expect(200);
    const cookie = (login.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    const session = await request(ctx.app.getHttpServer()).get('/auth/session').set('Cookie', cookie).expect(200);
    return { cookie, csrf: session.body.csrfToken };
  }

  describe('over HTTP', () => {
    it('redirects every console page to the sign-in page without a session (htmx gets HX-Redirect)', async () => {
      for (const path of ['/console', '/console/connections', '/console/events', '/console/keys', '/console/inventory', `/console/connections/${bConnection}`,
        '/console/subscriptions', '/console/accounts', `/console/accounts/${accountA}`]) {
        const res = await ctx.http().get(path);
        expect({ path, status: res.status, location: res.headers.location }).toEqual({ path, status: 303, location: '/console/login' });
      }
      const htmx = await ctx.http().post('/console/connections').set('HX-Request', 'true').type('form').send({ provider: 'syncaroo', externalId: '1' });
      expect(htmx.status).toBe(401);
      expect(htmx.headers['hx-redirect']).toBe('/console/login');
      const page = await ctx.http().get('/console/login').expect(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.text).toContain('Admin token');
    });

    it('sends a CSP without inline scripts or styles on console pages, and serves htmx from this origin', async () => {
      const { cookie } = await adminSession();
      for (const path of ['/console/login', '/console']) {
        const res = await request(ctx.app.getHttpServer()).get(path).set('Cookie', path === '/console' ? cookie : '');
        const csp = String(res.headers['content-security-policy']);
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
        expect(csp).toContain("script-src 'self'");
        expect(csp).toContain("style-src 'self'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).not.toContain('unsafe-inline');
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.text).not.toMatch(/<script>|<script [^>]*>[^<]+<\/script>|style="/);
      }
      const htmx = await ctx.http().get('/console/assets/htmx.min.js').expect(200);
      expect(htmx.headers['content-type']).toMatch(/javascript/);
      expect(htmx.text.length).toBeGreaterThan(10000);
      await ctx.http().get('/console/assets/console.js').expect(200);
      await ctx.http().get('/console/assets/console.css').expect(200);
    });

    it('refuses a cookie POST without the CSRF header (403, nothing created) and takes it with the header', async () => {
      const { cookie, csrf } = await adminSession();
      const before = (await ctx.db.query(`SELECT count(*)::int AS n FROM connections`))[0].n;
      const refused = await request(ctx.app.getHttpServer()).post('/console/connections').set('Cookie', cookie).set('HX-Request', 'true')
        .type('form').send({ provider: 'syncaroo', externalId: '777001' });
      expect(refused.status).toBe(403);
      expect(refused.text).toContain('x-csrf-token');
      expect((await ctx.db.query(`SELECT count(*)::int AS n FROM connections`))[0].n).toBe(before);
      const taken = await request(ctx.app.getHttpServer()).post('/console/connections').set('Cookie', cookie).set('HX-Request', 'true')
        .set('x-csrf-token', csrf).type('form').send({ provider: 'syncaroo', externalId: '777001', name: 'via form' });
      expect(taken.status).toBe(200);
      expect(taken.headers['hx-redirect']).toMatch(/^\/console\/connections\/[0-9a-f-]{36}$/);
      const invalid = await request(ctx.app.getHttpServer()).post('/console/connections').set('Cookie', cookie).set('HX-Request', 'true')
        .set('x-csrf-token', csrf).type('form').send({ provider: 'syncaroo', externalId: 'not-a-number' });
      expect(invalid.status).toBe(400);
      expect(invalid.text).toContain('externalId');
    });

    it('refuses a sign-in form without its CSRF cookie, and a wrong password with the same page', async () => {
      const noCookie = await ctx.http().post('/console/login').type('form').send({ csrf: 'x', adminToken: ADMIN_TOKEN });
      expect(noCookie.status).toBe(403);
      expect(noCookie.headers['set-cookie']?.toString() ?? '').not.toContain('isid=');
      const agent = ctx.http();
      const page = await agent.get('/console/login').expect(200);
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1];
      const wrong = await agent.post('/console/login').type('form').send({ csrf, email: 'ops@acme.test', password: 'wrong password 1' });
      expect(wrong.status).toBe(401);
      expect(wrong.text).toContain('Wrong e-mail or password.');
      const csrf2 = /name="csrf" value="([^"]+)"/.exec(wrong.text)![1];
      const ok = await agent.post('/console/login').type('form').send({ csrf: csrf2, email: 'ops@acme.test', password: 'acme password 123' });
      expect({ status: ok.status, location: ok.headers.location }).toEqual({ status: 303, location: '/console' });
      const overview = await agent.get('/console').expect(200);
      expect(overview.text).toContain('ops@acme.test');
    });

    it('pages the events list by cursor, and an account user gets 404 for another account\'s event and key', async () => {
      const intake = ctx.app.get(IntakeService);
      const answers = await intake.enqueue(Array.from({ length: 55 }, (_, i) => ({
        provider: 'stratech' as const, eventType: 'console.test', connectionId: bConnection, partitionKey: `stratech:console-page:${i}`, priority: 5,
        payload: { n: i },
      })));
      const ids = new Set(answers.map((a) => a.eventId));
      const { cookie } = await adminSession();
      const server = ctx.app.getHttpServer();
      const first = await request(server).get(`/console/events?connectionId=${bConnection}`).set('Cookie', cookie).expect(200);
      const firstIds = [...first.text.matchAll(/data-event-id="([0-9a-f-]{36})"/g)].map((m) => m[1]);
      expect(firstIds).toHaveLength(50);
      const next = /id="next-page" href="([^"]+)"/.exec(first.text)![1].replace(/&amp;/g, '&');
      expect(next).toContain(`connectionId=${bConnection}`);
      const second = await request(server).get(next).set('Cookie', cookie).expect(200);
      const secondIds = [...second.text.matchAll(/data-event-id="([0-9a-f-]{36})"/g)].map((m) => m[1]);
      expect(secondIds).toHaveLength(5);
      expect(new Set([...firstIds, ...secondIds])).toEqual(ids);
      expect(second.text).not.toContain('id="next-page"');
      expect((await request(server).get('/console/events?cursor=forged!').set('Cookie', cookie)).status).toBe(400);

      // Account A's user: B's event and B's key are as absent as missing ones.
      const login = await ctx.http().post('/auth/login').send({ email: 'ops@acme.test', password: 'acme password 123' }).expect(200);
      const userCookie = (login.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
      const csrf = (await request(server).get('/auth/session').set('Cookie', userCookie).expect(200)).body.csrfToken;
      const bEvent = answers[0].eventId;
      expect((await request(server).get(`/console/events/${bEvent}`).set('Cookie', userCookie)).status).toBe(404);
      expect((await request(server).post(`/console/events/${bEvent}/replay`).set('Cookie', userCookie).set('x-csrf-token', csrf).set('HX-Request', 'true')).status).toBe(404);
      const own = await request(server).get(`/console/events?connectionId=${bConnection}`).set('Cookie', userCookie).expect(200);
      expect(own.text).not.toContain('data-event-id=');
      const bKey = (await ctx.admin.post('/admin/api-keys').send({ name: 'beta key', accountId: accountB, scopes: ['inventory:read'] }).expect(201)).body;
      const keys = await request(server).get('/console/keys').set('Cookie', userCookie).expect(200);
      expect(keys.text).not.toContain(bKey.id);
      expect((await request(server).delete(`/console/keys/${bKey.id}`).set('Cookie', userCookie).set('x-csrf-token', csrf).set('HX-Request', 'true')).status).toBe(404);
      await request(server).get('/resources').set('Authorization', `Bearer ${bKey.key}`).expect(200);
      // An account user cannot mint an admin key, nor one of another account.
      const adminKey = await request(server).post('/console/keys').set('Cookie', userCookie).set('x-csrf-token', csrf).set('HX-Request', 'true')
        .type('form').send({ name: 'sneaky', scopes: 'admin' });
      expect(adminKey.status).toBe(400);
      const otherAccount = await request(server).post('/console/keys').set('Cookie', userCookie).set('x-csrf-token', csrf).set('HX-Request', 'true')
        .type('form').send({ name: 'own account only', scopes: 'inventory:read', accountId: accountB });
      expect(otherAccount.status).toBe(200);
      expect(await ctx.db.query(`SELECT account_id FROM api_keys WHERE name = 'own account only'`)).toEqual([{ account_id: accountA }]);
    });

    it('an account user gets 403 for the accounts screens and the bulk replay, and 404 for another account\'s subscription', async () => {
      const server = ctx.app.getHttpServer();
      const bSub = (await ctx.admin.post('/admin/subscriptions').send({ url: 'http://127.0.0.1:9/beta', accountId: accountB, description: 'beta index' }).expect(201)).body;
      const globalSub = (await ctx.admin.post('/admin/subscriptions').send({ url: 'http://127.0.0.1:9/global', description: 'global index' }).expect(201)).body;
      const login = await ctx.http().post('/auth/login').send({ email: 'ops@acme.test', password: 'acme password 123' }).expect(200);
      const userCookie = (login.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
      const csrf = (await request(server).get('/auth/session').set('Cookie', userCookie).expect(200)).body.csrfToken;
      const get = (path: string) => request(server).get(path).set('Cookie', userCookie);
      const send = (method: 'post' | 'delete', path: string) => request(server)[method](path).set('Cookie', userCookie).set('x-csrf-token', csrf).set('HX-Request', 'true');

      for (const path of ['/console/accounts', `/console/accounts/${accountA}`, '/console/events-replay-dead']) {
        const res = await get(path);
        expect({ path, status: res.status }).toEqual({ path, status: 403 });
        expect(res.text).toContain('id="error"');
      }
      expect((await send('post', '/console/accounts').type('form').send({ name: 'sneaky' })).status).toBe(403);
      expect((await send('post', `/console/accounts/${accountA}/users`).type('form').send({ email: 'x@acme.test', password: 'a long password 1' })).status).toBe(403);
      expect((await send('post', '/console/events-replay-dead')).status).toBe(403);
      expect(await ctx.db.query(`SELECT 1 FROM accounts WHERE name = 'sneaky'`)).toEqual([]);
      // The nav has no Accounts link for an account user.
      expect((await get('/console').expect(200)).text).not.toContain('href="/console/accounts"');

      // B's subscription and the global one: not listed, 404 to open, change, rotate or delete.
      const list = await get('/console/subscriptions').expect(200);
      expect(list.text).not.toContain(bSub.id);
      expect(list.text).not.toContain(globalSub.id);
      expect(list.text).not.toContain('id="sub-account"');
      for (const id of [bSub.id, globalSub.id]) {
        expect((await get(`/console/subscriptions/${id}`)).status).toBe(404);
        expect((await send('post', `/console/subscriptions/${id}/status`).type('form').send({ status: 'paused' })).status).toBe(404);
        expect((await send('post', `/console/subscriptions/${id}/rotate-secret`)).status).toBe(404);
        expect((await send('delete', `/console/subscriptions/${id}`)).status).toBe(404);
      }
      expect((await get('/console/subscriptions/not-a-uuid')).status).toBe(400);
      expect(await ctx.db.query(`SELECT status FROM subscriptions WHERE id = ANY($1::uuid[]) ORDER BY created_at`, [[bSub.id, globalSub.id]])).toEqual([{ status: 'active' }, { status: 'active' }]);
      // An account user's subscription is its own account's, whatever the form says; the target rules apply (400 naming url).
      const own = await send('post', '/console/subscriptions').type('form').send({ url: 'http://127.0.0.1:9/acme', accountId: accountB, description: 'acme via form' });
      expect(own.status).toBe(200);
      expect(await ctx.db.query(`SELECT account_id FROM subscriptions WHERE description = 'acme via form'`)).toEqual([{ account_id: accountA }]);
      const bad = await send('post', '/console/subscriptions').type('form').send({ url: 'ftp://example.com/x' });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('<code>url</code>');

      // The admin sees all three.
      const { cookie } = await adminSession();
      const all = await request(server).get('/console/subscriptions').set('Cookie', cookie).expect(200);
      for (const id of [bSub.id, globalSub.id]) expect(all.text).toContain(`data-subscription-id="${id}"`);
      for (const id of [bSub.id, globalSub.id]) await ctx.admin.delete(`/admin/subscriptions/${id}`).expect(204);
      const [{ id: ownId }] = await ctx.db.query(`SELECT id FROM subscriptions WHERE description = 'acme via form'`);
      await ctx.admin.delete(`/admin/subscriptions/${ownId}`).expect(204);
    });

    it('shows a subscription\'s deliveries log (status, attempts, last status and error, times) in cursor pages, newest first', async () => {
      const server = ctx.app.getHttpServer();
      // Paused: the worker leaves it alone; its log is written here as the worker would have.
      const sub = (await ctx.admin.post('/admin/subscriptions').send({ url: 'http://127.0.0.1:9/log', accountId: accountA, description: 'log pages' }).expect(201)).body;
      await ctx.admin.patch(`/admin/subscriptions/${sub.id}`).send({ status: 'paused' }).expect(200);
      await ctx.db.query(
        `INSERT INTO subscription_deliveries (id, subscription_id, webhook_id, status, attempts, cursor, change_count, body, last_status, last_error, created_at, delivered_at)
         SELECT gen_random_uuid(), $1, 'msg_console_' || n, CASE WHEN n = 53 THEN 'failed' ELSE 'succeeded' END, CASE WHEN n = 53 THEN 4 ELSE 1 END,
                'c' || n, n, '{}', CASE WHEN n = 53 THEN 503 ELSE 200 END, CASE WHEN n = 53 THEN 'HTTP 503 from the receiver' END,
                now() - make_interval(mins => 60 - n), CASE WHEN n = 53 THEN NULL ELSE now() - make_interval(mins => 60 - n) END
           FROM generate_series(1, 53) n ORDER BY n`, [sub.id]);
      const { cookie } = await adminSession();
      const first = await request(server).get(`/console/subscriptions/${sub.id}`).set('Cookie', cookie).expect(200);
      const rows = (html: string) => [...html.matchAll(/<td class="mono">(msg_console_\d+)<\/td>/g)].map((m) => m[1]);
      expect(rows(first.text)).toEqual(Array.from({ length: 50 }, (_, i) => `msg_console_${53 - i}`));
      expect(first.text).toContain('HTTP 503 from the receiver');
      expect(first.text).toContain('<span class="status failed">failed</span>');
      const next = /id="next-page" href="([^"]+)"/.exec(first.text)![1].replace(/&amp;/g, '&');
      const second = await request(server).get(next).set('Cookie', cookie).expect(200);
      expect(rows(second.text)).toEqual(['msg_console_3', 'msg_console_2', 'msg_console_1']);
      expect(second.text).not.toContain('id="next-page"');
      expect((await request(server).get(`/console/subscriptions/${sub.id}?cursor=forged!`).set('Cookie', cookie)).status).toBe(400);
      await ctx.admin.delete(`/admin/subscriptions/${sub.id}`).expect(204);
    });

    it('keeps console routes out of the OpenAPI document', async () => {
      const doc = (await ctx.http().get('/docs-json').expect(200)).body;
      expect(Object.keys(doc.paths).filter((p) => p.startsWith('/console'))).toEqual([]);
    });
  });

  describe('in a real browser', () => {
    let browser: Browser;
    beforeAll(() => { browser = new Browser(); });
    afterAll(async () => { await browser.close(); });

    const url = (path: string) => `${ctx.baseUrl}${path}`;

    it('admin: signs in with the admin token, creates a connection, maps a location, sees an event, replays it, creates and revokes a key, signs out', async () => {
      // Unauthenticated → the sign-in page.
      expect((await browser.call('goto', { url: url('/console') })).url).toBe(url('/console/login'));
      await browser.call('fill', { selector: '#adminToken', value: ADMIN_TOKEN });
      const signedIn = await browser.call('click', { selector: '#sign-in-admin', nav: true });
      expect(signedIn.url).toBe(url('/console'));
      expect(await browser.call('text', { selector: '#who' })).toBe('admin');

      // Create a connection (of account A) → its page.
      await browser.call('goto', { url: url('/console/connections') });
      await browser.call('select', { selector: '#new-provider', value: 'syncaroo' });
      await browser.call('fill', { selector: '#new-external-id', value: '4242' });
      await browser.call('fill', { selector: '#new-name', value: 'Acme Amsterdam' });
      await browser.call('select', { selector: '#new-account', value: accountA });
      const created = await browser.call('click', { selector: '#create-connection-submit', nav: true });
      const connectionId = /\/console\/connections\/([0-9a-f-]{36})$/.exec(created.url)![1];
      const [row] = await ctx.db.query(`SELECT provider, external_id, name, account_id, status FROM connections WHERE id = $1`, [connectionId]);
      expect(row).toEqual({ provider: 'syncaroo', external_id: '4242', name: 'Acme Amsterdam', account_id: accountA, status: 'active' });
      expect(await browser.call('text', { selector: '#webhook-url' })).toBe(`${ctx.baseUrl}/webhooks/syncaroo`);

      // Map a location.
      await browser.call('fill', { selector: '#map-location-id', value: 'console-acme-zuid' });
      await browser.call('fill', { selector: '#map-name', value: 'Amsterdam Zuid' });
      await browser.call('fill', { selector: '#map-timezone', value: 'Europe/Amsterdam' });
      await browser.call('click', { selector: '#map-submit', nav: true });
      expect(await browser.call('text', { selector: '#mappings' })).toContain('console-acme-zuid');
      expect(await ctx.db.query(`SELECT connection_id FROM location_mappings WHERE location_id = 'console-acme-zuid'`)).toEqual([{ connection_id: connectionId }]);

      // Map a second one and unmap it again.
      await browser.call('fill', { selector: '#map-location-id', value: 'console-acme-tmp' });
      await browser.call('click', { selector: '#map-submit', nav: true });
      expect(await browser.call('exists', { selector: 'tr[data-location-id="console-acme-tmp"] button.unmap' })).toBe(true);
      await browser.call('click', { selector: 'tr[data-location-id="console-acme-tmp"] button.unmap', nav: true });
      expect(await browser.call('exists', { selector: 'tr[data-location-id="console-acme-tmp"]' })).toBe(false);
      expect(await ctx.db.query(`SELECT 1 FROM location_mappings WHERE location_id = 'console-acme-tmp'`)).toEqual([]);

      // Disable and enable again; queue a resync.
      await browser.call('click', { selector: '#disable', nav: true });
      expect(await browser.call('text', { selector: '#connection-status' })).toContain('disabled');
      await browser.call('click', { selector: '#enable', nav: true });
      expect(await browser.call('text', { selector: '#connection-status' })).toContain('active');
      await browser.call('click', { selector: '#resync' });
      expect(await browser.call('waitForText', { selector: '#action-result', text: 'Resync queued' })).toMatch(/event [0-9a-f-]{36}/);

      // Inventory of the mapped location, for the screens.
      await seedInventory(connectionId, 'console-acme-zuid');

      // An event of the connection (a webhook body with a secret in it). Syncaroo is not configured here, so it is
      // retried (RETRY_SCHEDULE 0.05,0.1,0.2 s) and ends dead: wait for that end, since a `failed` one may be
      // processing again when the replay is clicked (and a replay of a running event is refused).
      const [answer] = await ctx.app.get(IntakeService).enqueue([{
        provider: 'syncaroo', eventType: 'resources', connectionId, partitionKey: `syncaroo:4242:console-1`, priority: 5,
        payload: { connectionId: 4242, locationId: 'console-acme-zuid', syncarooId: 'console-1', action: 'update', token: SECRET_IN_PAYLOAD },
      }]);
      const eventId = answer.eventId;
      await waitFor(async () => {
        const [e] = await ctx.db.query(`SELECT status FROM inbound_events WHERE id = $1`, [eventId]);
        return e.status === 'dead';
      }, 30000);

      // The overview counts it.
      await browser.call('goto', { url: url('/console') });
      expect(await browser.call('exists', { selector: 'svg.events-chart rect' })).toBe(true);

      await browser.call('goto', { url: url(`/console/events?connectionId=${connectionId}`) });
      expect(await browser.call('exists', { selector: `tr[data-event-id="${eventId}"]` })).toBe(true);
      await browser.call('goto', { url: url('/console/events?status=done&provider=lockme') });
      expect(await browser.call('exists', { selector: `tr[data-event-id="${eventId}"]` })).toBe(false);

      await browser.call('goto', { url: url(`/console/events/${eventId}`) });
      const payload = await browser.call<string>('text', { selector: '#payload' });
      expect(payload).toContain('[redacted]');
      expect(payload).not.toContain(SECRET_IN_PAYLOAD);
      expect(payload).toContain('console-acme-zuid');
      expect(await browser.call('text', { selector: '#event-why' })).not.toBe('');
      const [{ n: receivedBefore }] = await ctx.db.query(`SELECT attempts AS n FROM inbound_events WHERE id = $1`, [eventId]);
      expect(receivedBefore).toBeGreaterThan(0);
      await browser.call('click', { selector: '#replay' });
      expect(await browser.call('waitForText', { selector: '#replay-result', text: 'Replayed' })).toMatch(/Replayed: the event is \w+/);

      // Connections list and the inventory screens.
      await browser.call('goto', { url: url('/console/connections') });
      expect(await browser.call('exists', { selector: `tr[data-connection-id="${connectionId}"]` })).toBe(true);
      expect(await browser.call('exists', { selector: `tr[data-connection-id="${bConnection}"]` })).toBe(true);
      await browser.call('goto', { url: url('/console/inventory') });
      expect(await browser.call('exists', { selector: 'tr[data-location-id="console-acme-zuid"]' })).toBe(true);
      await browser.call('goto', { url: url('/console/inventory/locations/console-acme-zuid') });
      expect(await browser.call('exists', { selector: 'tr[data-resource-id="console-room-1"]' })).toBe(true);
      await browser.call('goto', { url: url('/console/inventory/resources/console-room-1') });
      expect(await browser.call('text', { selector: '#bookings' })).toContain('bk-console-1');
      const grid = await browser.call<string>('text', { selector: '#los-grid' });
      expect(grid).toContain('2027-04-01');
      expect(grid).toContain('199.5');

      // An API key: shown once, works, revoked, then refused.
      await browser.call('goto', { url: url('/console/keys') });
      await browser.call('fill', { selector: '#key-name', value: 'console read key' });
      await browser.call('select', { selector: '#key-account', value: accountA });
      await browser.call('check', { selector: '#scope-inventory-read' });
      await browser.call('click', { selector: '#create-key-submit' });
      await browser.call('waitForText', { selector: '#new-key', text: 'shown only this once' });
      const key = (await browser.call<string>('text', { selector: '#new-key-value' })).trim();
      expect(key).toMatch(/^isk_[A-Za-z0-9]{40}$/);
      const resources = await request(ctx.app.getHttpServer()).get('/resources').set('Authorization', `Bearer ${key}`).expect(200);
      expect(resources.body.items.map((r: { id: string }) => r.id)).toEqual(['console-room-1', 'console-room-2']);
      await browser.call('goto', { url: url('/console/keys') });
      const [{ id: keyId }] = await ctx.db.query(`SELECT id FROM api_keys WHERE name = 'console read key'`);
      expect(await browser.call('text', { selector: `tr[data-key-id="${keyId}"]` })).not.toContain(key);
      await browser.call('click', { selector: `tr[data-key-id="${keyId}"] button.revoke`, nav: true });
      expect(await browser.call('exists', { selector: `tr[data-key-id="${keyId}"]` })).toBe(false);
      await request(ctx.app.getHttpServer()).get('/resources').set('Authorization', `Bearer ${key}`).expect(401);

      // Sign out → the sign-in page; the console is closed again.
      const out = await browser.call('click', { selector: '#logout', nav: true });
      expect(out.url).toBe(url('/console/login'));
      expect((await browser.call('goto', { url: url('/console/connections') })).url).toBe(url('/console/login'));
      expect((await browser.call<string[]>('consoleMessages')).filter((m) => /Content Security Policy|pageerror|error:/i.test(m))).toEqual([]);
    }, 120000);

    it('an account user signs in with e-mail and password and sees only its own account (another account\'s URLs are 404)', async () => {
      await browser.call('clearCookies');
      await browser.call('goto', { url: url('/console/login') });
      await browser.call('fill', { selector: '#email', value: 'ops@acme.test' });
      await browser.call('fill', { selector: '#password', value: 'acme password 123' });
      expect((await browser.call('click', { selector: '#sign-in-user', nav: true })).url).toBe(url('/console'));
      expect(await browser.call('text', { selector: '#who' })).toBe('ops@acme.test');
      // The overview counts the account's events only (B's are Stratech's, A's Syncaroo's).
      expect(await browser.call('exists', { selector: 'tr[data-provider="syncaroo"]' })).toBe(true);
      expect(await browser.call('exists', { selector: 'tr[data-provider="stratech"]' })).toBe(false);

      await browser.call('goto', { url: url('/console/connections') });
      const [own] = await ctx.db.query(`SELECT id FROM connections WHERE external_id = '4242'`);
      expect(await browser.call('exists', { selector: `tr[data-connection-id="${own.id}"]` })).toBe(true);
      expect(await browser.call('exists', { selector: `tr[data-connection-id="${bConnection}"]` })).toBe(false);
      expect(await browser.call('exists', { selector: '#new-account' })).toBe(false);

      expect((await browser.call('goto', { url: url(`/console/connections/${bConnection}`) })).status).toBe(404);
      expect((await browser.call('goto', { url: url(`/console/inventory/locations/${bLocation}`) })).status).toBe(404);
      expect((await browser.call('goto', { url: url(`/console/events?connectionId=${bConnection}`) })).status).toBe(200);
      await browser.call('goto', { url: url('/console/inventory') });
      expect(await browser.call('exists', { selector: `tr[data-location-id="${bLocation}"]` })).toBe(false);
      expect(await browser.call('exists', { selector: 'tr[data-location-id="console-acme-zuid"]' })).toBe(true);
      await browser.call('goto', { url: url('/console/keys') });
      expect(await browser.call('exists', { selector: '#scope-admin' })).toBe(false);

      const out = await browser.call('click', { selector: '#logout', nav: true });
      expect(out.url).toBe(url('/console/login'));
      expect((await browser.call<string[]>('consoleMessages')).filter((m) => /Content Security Policy|pageerror/i.test(m))).toEqual([]);
    }, 60000);

    async function signIn(as: { email: string; password: string } | 'admin'): Promise<void> {
      await browser.call('clearCookies');
      await browser.call('goto', { url: url('/console/login') });
      if (as === 'admin') {
        await browser.call('fill', { selector: '#adminToken', value: ADMIN_TOKEN });
        expect((await browser.call('click', { selector: '#sign-in-admin', nav: true })).url).toBe(url('/console'));
      } else {
        await browser.call('fill', { selector: '#email', value: as.email });
        await browser.call('fill', { selector: '#password', value: as.password });
        expect((await browser.call('click', { selector: '#sign-in-user', nav: true })).url).toBe(url('/console'));
      }
    }

    it('subscriptions (account user): creates one and sees its secret once, sees a delivery for a change, rotates the secret, pauses, activates and deletes it', async () => {
      await signIn({ email: 'ops@acme.test', password: 'acme password 123' });
      await browser.call('goto', { url: url('/console/subscriptions') });
      expect(await browser.call('exists', { selector: '#sub-account' })).toBe(false);
      await browser.call('fill', { selector: '#sub-url', value: receiver.url });
      await browser.call('fill', { selector: '#sub-description', value: 'acme search index' });
      await browser.call('check', { selector: '#sub-type-location' });
      await browser.call('click', { selector: '#create-subscription-submit' });
      await browser.call('waitForText', { selector: '#new-secret', text: 'shown only this once' });
      const secret = (await browser.call<string>('text', { selector: '#new-secret-value' })).trim();
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
      receiver.secrets = [secret];
      const [sub] = await ctx.db.query(`SELECT id, account_id, types, status, url FROM subscriptions WHERE description = 'acme search index'`);
      expect(sub).toEqual({ id: expect.any(String), account_id: accountA, types: ['location'], status: 'active', url: receiver.url });

      // Shown once: neither the subscription's page nor the list carries it again.
      await browser.call('click', { selector: '#new-subscription-link', nav: true });
      expect(await browser.call('url')).toBe(url(`/console/subscriptions/${sub.id}`));
      expect(await browser.call('text', { selector: 'body' })).not.toContain(secret);
      await browser.call('goto', { url: url('/console/subscriptions') });
      expect(await browser.call('exists', { selector: `tr[data-subscription-id="${sub.id}"]` })).toBe(true);
      expect(await browser.call('text', { selector: 'body' })).not.toContain(secret);

      // A change of the account (a new listing, through the admin API) → a signed delivery, shown in the log.
      const delivered = (entityId: string) => waitFor(async () => receiver.received.find((r) =>
        r.json?.subscriptionId === sub.id && r.answered === 200 && r.json.changes.some((c: { entityId: string }) => c.entityId === entityId)), 20000);
      await ctx.admin.put(`/admin/accounts/${accountA}/locations/console-acme-sub-1`).send({ name: 'Acme Noord' }).expect(201);
      const first = await delivered('console-acme-sub-1');
      expect(first.verifiedBy).toEqual([0]);
      expect(first.json.changes.every((c: { type: string }) => c.type === 'location')).toBe(true);
      const logShows = async (text: string) => waitFor(async () => {
        await browser.call('goto', { url: url(`/console/subscriptions/${sub.id}`) });
        const log = await browser.call<string>('text', { selector: '#deliveries' });
        return log.includes(text) && log;
      }, 20000);
      const log = await logShows('succeeded');
      expect(log).toContain(first.headers['webhook-id']);
      expect(await browser.call('text', { selector: `#deliveries tr[data-delivery-id] td.num:nth-of-type(5)` })).toBe('200');

      // Rotate: a new secret, shown once; the next delivery is signed with both.
      await browser.call('click', { selector: '#rotate' });
      await browser.call('waitForText', { selector: '#new-secret', text: 'Secret rotated' });
      const rotated = (await browser.call<string>('text', { selector: '#new-secret-value' })).trim();
      expect(rotated).toMatch(/^whsec_/);
      expect(rotated).not.toBe(secret);
      receiver.secrets = [secret, rotated];
      await ctx.admin.put(`/admin/accounts/${accountA}/locations/console-acme-sub-2`).send({ name: 'Acme Oost' }).expect(201);
      expect((await delivered('console-acme-sub-2')).verifiedBy).toEqual([0, 1]);
      await browser.call('goto', { url: url(`/console/subscriptions/${sub.id}`) });
      expect(await browser.call('text', { selector: 'body' })).not.toContain(rotated);
      if (SHOTS) {
        await browser.call('goto', { url: url(`/console/subscriptions/${sub.id}`) });
        await browser.call('screenshot', { path: shot('subscriptions') });
      }

      // Pause and activate again.
      await browser.call('click', { selector: '#pause', nav: true });
      expect(await browser.call('text', { selector: '#subscription-status' })).toContain('paused');
      expect(await ctx.db.query(`SELECT status FROM subscriptions WHERE id = $1`, [sub.id])).toEqual([{ status: 'paused' }]);
      await browser.call('click', { selector: '#activate', nav: true });
      expect(await browser.call('text', { selector: '#subscription-status' })).toContain('active');
      expect(await ctx.db.query(`SELECT status FROM subscriptions WHERE id = $1`, [sub.id])).toEqual([{ status: 'active' }]);

      // Delete → the list; gone with its log.
      expect((await browser.call('click', { selector: '#delete-subscription', nav: true })).url).toBe(url('/console/subscriptions'));
      expect(await browser.call('exists', { selector: `tr[data-subscription-id="${sub.id}"]` })).toBe(false);
      expect(await ctx.db.query(`SELECT 1 FROM subscriptions WHERE id = $1`, [sub.id])).toEqual([]);
      expect((await browser.call<string[]>('consoleMessages')).filter((m) => /Content Security Policy|pageerror/i.test(m))).toEqual([]);
    }, 90000);

    it('accounts (admin): creates an account, claims and releases listings, creates users and deletes one; the new user signs in to its account only', async () => {
      await signIn('admin');
      await browser.call('goto', { url: url('/console/accounts') });
      expect(await browser.call('exists', { selector: `tr[data-account-id="${accountA}"]` })).toBe(true);
      await browser.call('fill', { selector: '#account-name', value: 'Gamma parks' });
      await browser.call('fill', { selector: '#account-external-id', value: 'gamma-console' });
      const created = await browser.call('click', { selector: '#create-account-submit', nav: true });
      const gamma = /\/console\/accounts\/([0-9a-f-]{36})$/.exec(created.url)![1];
      expect(await ctx.db.query(`SELECT name, external_id FROM accounts WHERE id = $1`, [gamma])).toEqual([{ name: 'Gamma parks', external_id: 'gamma-console' }]);

      // Listings: claim two, release one; another account's location is refused (409 in place).
      for (const [id, name] of [['console-gamma-1', 'Gamma Veluwe'], ['console-gamma-tmp', 'Temporary']]) {
        await browser.call('fill', { selector: '#claim-location-id', value: id });
        await browser.call('fill', { selector: '#claim-name', value: name });
        await browser.call('fill', { selector: '#claim-timezone', value: 'Europe/Amsterdam' });
        await browser.call('click', { selector: '#claim-submit', nav: true });
        expect(await browser.call('exists', { selector: `#account-locations tr[data-location-id="${id}"]` })).toBe(true);
      }
      await browser.call('click', { selector: 'tr[data-location-id="console-gamma-tmp"] button.release', nav: true });
      expect(await browser.call('exists', { selector: 'tr[data-location-id="console-gamma-tmp"]' })).toBe(false);
      expect(await ctx.db.query(`SELECT id, account_id FROM locations WHERE id IN ('console-gamma-1', 'console-gamma-tmp') ORDER BY id`))
        .toEqual([{ id: 'console-gamma-1', account_id: gamma }, { id: 'console-gamma-tmp', account_id: null }]);
      await browser.call('fill', { selector: '#claim-location-id', value: bLocation });
      await browser.call('click', { selector: '#claim-submit' });
      expect(await browser.call('waitForText', { selector: '#account-action', text: 'another account' })).toContain(bLocation);
      expect(await ctx.db.query(`SELECT account_id FROM locations WHERE id = $1`, [bLocation])).toEqual([{ account_id: accountB }]);

      // Users: a short password is refused in place; two created, one deleted.
      await browser.call('fill', { selector: '#user-email', value: 'short@gamma.test' });
      await browser.call('fill', { selector: '#user-password', value: 'too short' });
      await browser.call('click', { selector: '#create-user-submit' });
      // (the browser's own minlength check may stop the submit; either way nothing is created)
      expect(await ctx.db.query(`SELECT 1 FROM account_users WHERE email = 'short@gamma.test'`)).toEqual([]);
      for (const email of ['ops@gamma.test', 'temp@gamma.test']) {
        await browser.call('fill', { selector: '#user-email', value: email });
        await browser.call('fill', { selector: '#user-password', value: 'gamma password 123' });
        await browser.call('click', { selector: '#create-user-submit', nav: true });
      }
      const users = await ctx.db.query(`SELECT id, email FROM account_users WHERE account_id = $1 ORDER BY email`, [gamma]);
      expect(users.map((u: { email: string }) => u.email)).toEqual(['ops@gamma.test', 'temp@gamma.test']);
      const temp = users.find((u: { email: string }) => u.email === 'temp@gamma.test');
      await browser.call('click', { selector: `tr[data-user-id="${temp.id}"] button.delete-user`, nav: true });
      expect(await browser.call('exists', { selector: `tr[data-user-id="${temp.id}"]` })).toBe(false);
      expect(await ctx.db.query(`SELECT 1 FROM account_users WHERE id = $1`, [temp.id])).toEqual([]);
      await browser.call('goto', { url: url('/console/accounts') });
      expect(await browser.call('text', { selector: `tr[data-account-id="${gamma}"]` })).toContain('Gamma parks');

      // The new user signs in and sees Gamma's listing only; the accounts screen is closed to it.
      await browser.call('click', { selector: '#logout', nav: true });
      await signIn({ email: 'ops@gamma.test', password: 'gamma password 123' });
      expect(await browser.call('text', { selector: '#who' })).toBe('ops@gamma.test');
      expect(await browser.call('exists', { selector: 'header a[href="/console/accounts"]' })).toBe(false);
      await browser.call('goto', { url: url('/console/inventory') });
      expect(await browser.call('exists', { selector: 'tr[data-location-id="console-gamma-1"]' })).toBe(true);
      expect(await browser.call('exists', { selector: 'tr[data-location-id="console-acme-zuid"]' })).toBe(false);
      const closed = await browser.call('goto', { url: url('/console/accounts') });
      expect(closed.status).toBe(403);
      expect(await browser.call('text', { selector: '#error' })).toContain('403');
      expect((await browser.call('goto', { url: url(`/console/accounts/${gamma}`) })).status).toBe(403);
      // Another account's subscription: 404, as a missing one.
      const acmeSub = (await ctx.admin.post('/admin/subscriptions').send({ url: 'http://127.0.0.1:9/acme', accountId: accountA, description: 'acme only' }).expect(201)).body;
      const hidden = await browser.call('goto', { url: url(`/console/subscriptions/${acmeSub.id}`) });
      expect(hidden.status).toBe(404);
      expect(await browser.call('text', { selector: '#error' })).toContain('404');
      await browser.call('goto', { url: url('/console/subscriptions') });
      expect(await browser.call('exists', { selector: `tr[data-subscription-id="${acmeSub.id}"]` })).toBe(false);
      await ctx.admin.delete(`/admin/subscriptions/${acmeSub.id}`).expect(204);
      expect((await browser.call<string[]>('consoleMessages')).filter((m) => /Content Security Policy|pageerror/i.test(m))).toEqual([]);
    }, 90000);

    it('events (admin): bulk replay of dead events shows the count first, then replays; the overview labels the lag and connections link to their events', async () => {
      // Lockme is not configured here: its events are retried (RETRY_SCHEDULE 0.05,0.1,0.2 s) and end dead.
      const answers = await ctx.app.get(IntakeService).enqueue(Array.from({ length: 3 }, (_, i) => ({
        provider: 'lockme' as const, eventType: 'console.dead', connectionId: null, partitionKey: `lockme:console-dead:${i}`, priority: 5, payload: { n: i },
      })));
      const ids = answers.map((a) => a.eventId);
      const deadRows = () => ctx.db.query(`SELECT id, status, processed_at FROM inbound_events WHERE id = ANY($1::uuid[])`, [ids]);
      const before: Array<{ processed_at: Date }> = await waitFor(async () => {
        const rows = await deadRows();
        return rows.length === 3 && rows.every((r: { status: string }) => r.status === 'dead') && rows;
      }, 20000);
      const [{ n: deadLockme }] = await ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events WHERE status = 'dead' AND provider = 'lockme'`);
      expect(deadLockme).toBe(3);

      await signIn('admin');
      // Overview: the per-provider lag column and links to the provider's (dead) events.
      expect(await browser.call('text', { selector: '#by-provider tr:first-child' })).toContain('lag');
      expect(await browser.call('exists', { selector: 'tr[data-provider="lockme"] td.lag' })).toBe(true);
      expect(await browser.call('exists', { selector: 'tr[data-provider="lockme"] a.dead-link' })).toBe(true);
      expect(await browser.call('text', { selector: '#totals' })).toContain('lag');

      // Connections: each row links to its events.
      await browser.call('goto', { url: url('/console/connections') });
      const toEvents = await browser.call('click', { selector: `tr[data-connection-id="${bConnection}"] a.events-link`, nav: true });
      expect(toEvents.url).toBe(url(`/console/events?connectionId=${bConnection}`));
      expect(await browser.call('exists', { selector: 'tr[data-event-id]' })).toBe(true);

      // The count first: nothing is replayed by counting.
      await browser.call('goto', { url: url('/console/events?provider=lockme&status=dead') });
      for (const id of ids) expect(await browser.call('exists', { selector: `tr[data-event-id="${id}"]` })).toBe(true);
      await browser.call('select', { selector: '#replay-dead-provider', value: 'lockme' });
      await browser.call('click', { selector: '#replay-dead-count' });
      expect(await browser.call('waitForText', { selector: '#replay-dead-result', text: 'match' })).toContain('dead events of lockme match');
      expect(await browser.call('text', { selector: '#dead-count' })).toBe('3');
      expect((await deadRows()).every((r: { status: string }) => r.status === 'dead')).toBe(true);

      // Then the confirm button replays them (they run again: processed anew).
      await browser.call('click', { selector: '#replay-dead-confirm' });
      expect(await browser.call('waitForText', { selector: '#replay-dead-result', text: 'Replayed' })).toContain('Replayed 3 dead events of lockme; 0 skipped as stale');
      const lastBefore = Math.max(...before.map((r) => new Date(r.processed_at).getTime()));
      await waitFor(async () => (await deadRows()).every((r: { status: string; processed_at: Date | null }) =>
        r.status === 'dead' && r.processed_at !== null && new Date(r.processed_at).getTime() > lastBefore), 20000);
      expect((await browser.call<string[]>('consoleMessages')).filter((m) => /Content Security Policy|pageerror/i.test(m))).toEqual([]);
    }, 90000);
  });

  async function seedInventory(connectionId: string, locationId: string): Promise<void> {
    for (const [id, name] of [['console-room-1', 'Boardroom'], ['console-room-2', 'Focus room']]) {
      await ctx.db.query(
        `INSERT INTO resources (id, location_id, connection_id, type, name, capacity, status, provider, external_id, attributes, source_hash)
         VALUES ($1, $2, $3, 'meeting-room', $4, 8, 'active', 'syncaroo', $1, '{}', 'h')`, [id, locationId, connectionId, name]);
    }
    await ctx.db.query(
      `INSERT INTO bookings (resource_id, connection_id, provider, external_id, starts_at, ends_at, status, people, price, currency)
       VALUES ('console-room-1', $1, 'syncaroo', 'bk-console-1', '2027-03-01T08:00:00Z', '2027-03-01T10:00:00Z', 'confirmed', 6, 120, 'EUR')`, [connectionId]);
    await ctx.db.query(
      `INSERT INTO availability_windows (resource_id, connection_id, starts_at, ends_at)
       VALUES ('console-room-1', $1, '2027-03-01T07:00:00Z', '2027-03-01T19:00:00Z')`, [connectionId]);
    await ctx.db.query(
      insertLosCellsSql(`SELECT 'console-room-1'::varchar AS resource_id, 'web' AS channel, date '2027-04-01' + d AS arrival_date, n AS length_of_stay,
              $1::varchar AS location_id, $2::uuid AS connection_id, CASE WHEN (d + n) % 6 = 0 THEN 0 ELSE 3 END AS units_available,
              199.5 * n - d AS price, 'EUR' AS currency, now() AS updated_at, (SELECT account_id FROM locations WHERE id = $1::varchar) AS account_id
         FROM generate_series(0, 9) d, generate_series(1, 7) n`), [locationId, connectionId]);
  }
});
